/**
 * Verification of the whole audit log (SPEC §4.7): `GET /admin/audit/verify` and
 * `npm run audit:verify`. Recomputes every sealed event's leaf from the event as stored,
 * every stored node of the tree from its children, and the root of the newest signed
 * tree head, and checks that head's signature. Streams in `seq` order with O(log n)
 * state: memory stays flat whatever the log's size.
 */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/schema.js'
import { eventLeafHash, eventOfRow } from './audit-event.js'
import { EMPTY_TREE_HASH, nodeHash, type NodeKey } from './merkle.js'
import type { TreeHeadSigner } from './tree-head.js'
import * as q from './tree.queries.js'

/** `GET /admin/audit/verify` (SPEC §4.7). `firstBadSeq` only when an event or the tree over it is wrong. */
export interface TreeVerification {
  ok: boolean
  /** Events checked: those of the newest signed tree head. */
  events: number
  treeSize: number
  /** The root recomputed from the events (lowercase hex). */
  rootHash: string
  firstBadSeq?: number
}

/**
 * Checks the tree of the newest signed head (events sealed later are checked next time).
 * An event is bad when it is missing (a gap in `seq`), or its content does not hash to its
 * stored leaf (an edited row); a stored node is bad when it is not the hash of its stored
 * children (`firstBadSeq` is then the first leaf of the lowest such node, when no event is bad). `ok` is also false when the
 * recomputed root or the head's signature does not match. Truncating the log is found
 * against the signed head; a head replaced by the operator is found by the patients' own
 * copies of older heads and consistency proofs.
 */
export async function verifyAuditTree(db: Kysely<DB> | Transaction<DB>, signer: TreeHeadSigner, batchSize = 1000): Promise<TreeVerification> {
  const head = await q.latestHead(db)
  const treeSize = head?.treeSize ?? 0
  // The first missing or edited event; failing that, the lowest changed tree node's first leaf.
  let firstBadSeq: number | undefined
  let badNode: { level: number; seq: number } | undefined
  const bad = (seq: number) => {
    if (firstBadSeq === undefined || seq < firstBadSeq) firstBadSeq = seq
  }
  // Perfect subtrees not yet merged, largest first: the tree's right edge so far.
  const stack: Array<NodeKey & { hash: Buffer }> = []
  let events = 0
  let lastSeq = 0
  while (lastSeq < treeSize && firstBadSeq === undefined) {
    const rows = (await q.sealedEventsAfter(db, lastSeq, Math.min(batchSize, treeSize - lastSeq))).filter((r) => r.seq <= treeSize)
    if (rows.length === 0) {
      bad(lastSeq + 1)
      break
    }
    const leaves: Array<NodeKey & { hash: Buffer }> = []
    const parents: NodeKey[] = []
    for (const row of rows) {
      if (row.seq !== lastSeq + 1) {
        bad(lastSeq + 1)
        break
      }
      events += 1
      lastSeq = row.seq
      let node = { level: 0, index: row.seq - 1, hash: eventLeafHash(eventOfRow(row)) }
      leaves.push(node)
      while (stack.length > 0 && stack[stack.length - 1]?.level === node.level) {
        const left = stack.pop() as NodeKey & { hash: Buffer }
        node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) }
        parents.push(node)
      }
      stack.push(node)
    }
    // Each leaf against the event; each stored parent against its stored children.
    const children = parents.flatMap((p) => [{ level: p.level - 1, index: p.index * 2 }, { level: p.level - 1, index: p.index * 2 + 1 }])
    const stored = await q.loadNodes(db, [...leaves, ...parents, ...children])
    const at = (level: number, index: number) => stored.get(`${level}:${index}`)
    for (const leaf of leaves) if (!at(0, leaf.index)?.equals(leaf.hash)) bad(leaf.index + 1)
    for (const p of parents) {
      const left = at(p.level - 1, p.index * 2)
      const right = at(p.level - 1, p.index * 2 + 1)
      const intact = left && right && at(p.level, p.index)?.equals(nodeHash(left, right))
      if (!intact && (!badNode || p.level < badNode.level)) badNode = { level: p.level, seq: p.index * 2 ** p.level + 1 }
    }
  }
  if (firstBadSeq === undefined && badNode) firstBadSeq = badNode.seq
  let root = EMPTY_TREE_HASH
  if (stack.length > 0) {
    root = (stack[stack.length - 1] as { hash: Buffer }).hash
    for (let i = stack.length - 2; i >= 0; i -= 1) root = nodeHash((stack[i] as { hash: Buffer }).hash, root)
  }
  const rootHash = root.toString('hex')
  let ok = firstBadSeq === undefined && events === treeSize
  if (ok && head) {
    const payload = { treeSize, rootHash: head.rootHash, timestamp: head.signedAt.toISOString() }
    ok = head.rootHash === rootHash && (await signer.verify(payload, head.signature))
  }
  const result: TreeVerification = { ok, events, treeSize, rootHash }
  if (firstBadSeq !== undefined) result.firstBadSeq = firstBadSeq
  return result
}
