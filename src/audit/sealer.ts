/**
 * The audit log's sealer (SPEC §4.7): puts committed events into the Merkle tree and signs
 * a new tree head. Requests only insert their events (with `seq` NULL) and never wait; the
 * sealer, one at a time on any number of nodes (a transaction-level advisory lock that only
 * sealers take), gives each event the next `seq` — gap-free, since nothing else assigns
 * one — appends its leaf and the completed parent nodes, and signs `{treeSize, rootHash,
 * timestamp}`. Every node runs a loop (`start`) that seals every `intervalMs` (500 ms by
 * default, well inside the 2 s of §4.7); a node that finds the lock taken skips that turn.
 */
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { eventLeafHash, eventOfRow } from './audit-event.js'
import { appendLeaves, frontier, getterOf, rootHash } from './merkle.js'
import type { TreeHeadSigner } from './tree-head.js'
import * as q from './tree.queries.js'

/** One sealing transaction's outcome. `locked` false: another sealer held the lock. */
export interface SealResult {
  locked: boolean
  /** Events put into the tree by this transaction. */
  sealed: number
  /** The tree size after it (-1 when not `locked`). */
  treeSize: number
  /** True when nothing was left to seal when it ran. */
  caughtUp: boolean
}

/**
 * Events sealed per transaction: bounds the transaction's length and memory, and the time the
 * hashing holds the event loop (~5 ms for 500; 2000 showed in the p99 of audited requests).
 */
const BATCH = 500

/**
 * One sealing transaction: up to `BATCH` events. Also signs the first (empty) tree head.
 * Throws when the stored tree disagrees with the events (more leaves than sequenced events,
 * or a gap in `seq`): `npm run audit:verify` tells what is wrong.
 */
export async function sealOnce(db: Kysely<DB>, signer: TreeHeadSigner, now: () => Date): Promise<SealResult> {
  return db.transaction().execute(async (trx) => {
    if (!(await q.tryLockSealer(trx))) return { locked: false, sealed: 0, treeSize: -1, caughtUp: false }
    const leaves = await q.leafCount(trx)
    let sequenced = await q.maxSeq(trx)
    if (sequenced < leaves) throw new Error(`The audit tree has ${leaves} leaves but only ${sequenced} events have a seq.`)
    // Events chained before migration 0014 have a seq and no leaf yet: they come first.
    if (sequenced - leaves < BATCH) sequenced += await q.assignSeqs(trx, sequenced, BATCH - (sequenced - leaves))
    const rows = await q.sealedEventsAfter(trx, leaves, BATCH)
    rows.forEach((row, i) => {
      if (row.seq !== leaves + i + 1) throw new Error(`Audit event seq ${leaves + i + 1} is missing (found ${row.seq}).`)
    })
    const nodes = await q.loadNodes(trx, frontier(leaves))
    const created = appendLeaves(
      leaves,
      rows.map((row) => eventLeafHash(eventOfRow(row))),
      nodes,
    )
    await q.insertNodes(trx, created)
    const treeSize = leaves + rows.length
    const head = await q.latestHead(trx)
    if (!head || head.treeSize !== treeSize) {
      const signedAt = new Date(now().getTime())
      const payload = { treeSize, rootHash: rootHash(treeSize, getterOf(nodes)).toString('hex'), timestamp: signedAt.toISOString() }
      await q.insertHead(trx, { treeSize, rootHash: payload.rootHash, signedAt, signature: await signer.sign(payload) })
    }
    return { locked: true, sealed: rows.length, treeSize, caughtUp: rows.length < BATCH }
  })
}

/** The sealer of one node (`deps.audit` exposes `sealNow`). */
export interface AuditSealer {
  /** Starts the loop. */
  start(): void
  /** Stops the loop and waits for a running seal to end. */
  stop(): Promise<void>
  /**
   * Seals until every event committed before the call is in a signed tree head, waiting
   * for another node's sealer when it holds the lock. Throws after `timeoutMs` (30 s).
   * Tests and the CLI use it; requests never do.
   */
  sealNow(timeoutMs?: number): Promise<void>
}

/** The sealer over `db`. `onError` gets a failed loop turn (the loop goes on). */
export function createAuditSealer(
  db: Kysely<DB>,
  signer: TreeHeadSigner,
  now: () => Date,
  opts: { intervalMs?: number; onError: (err: unknown) => void },
): AuditSealer {
  const intervalMs = opts.intervalMs ?? 500
  let timer: NodeJS.Timeout | undefined
  let running = false
  let current: Promise<void> | undefined
  // One sealing transaction at a time in this process: on PGlite there is a single
  // connection, and on PostgreSQL a second one would only find the lock taken.
  let tail: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn)
    tail = next.catch(() => undefined)
    return next
  }
  let headSigned = false

  /** One loop turn: seal while there is work and this node holds the lock. */
  const turn = async () => {
    if (headSigned && !(await q.hasUnsealed(db))) return
    for (;;) {
      const result = await exclusive(() => sealOnce(db, signer, now))
      if (result.locked) headSigned = true
      if (!result.locked || result.caughtUp) return
    }
  }

  const schedule = () => {
    if (!running) return
    timer = setTimeout(() => {
      timer = undefined
      current = turn()
        .catch(opts.onError)
        .finally(() => {
          current = undefined
          schedule()
        })
    }, intervalMs)
    timer.unref()
  }

  return {
    start: () => {
      if (running) return
      running = true
      schedule()
    },
    stop: async () => {
      running = false
      if (timer) clearTimeout(timer)
      timer = undefined
      await current
      await tail
    },
    sealNow: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const result = await exclusive(() => sealOnce(db, signer, now))
        if (result.locked) headSigned = true
        if (result.locked && result.caughtUp) return
        if (Date.now() > deadline) throw new Error(`The audit log could not be sealed within ${timeoutMs} ms (another sealer holds the lock).`)
        if (!result.locked) await new Promise((r) => setTimeout(r, 20))
      }
    },
  }
}
