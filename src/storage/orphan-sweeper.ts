/**
 * The orphan sweeper (SPEC §11): removes blobs that no row references once they are older
 * than `ORPHAN_SWEEP_AGE_MIN`, and what unfinished puts left behind (local temp files, S3
 * incomplete multipart uploads) older than that. Orphans come from a process killed between
 * storing a file and committing its row (an upload, an import), or a failed clean-up.
 *
 * Why the age: a blob is stored before its row commits (no transaction is held while a file
 * streams: records-upload.service.ts), so a young blob without a row may be an upload about to
 * commit. Keys are checked against the rows in batches just before their deletion.
 *
 * One node at a time: on PostgreSQL a sweep runs under a session-level advisory lock on a
 * pinned connection, and a node that finds it taken skips its turn (as the audit sealer does
 * with its own lock). PGlite is opened by one process only, so it needs no lock and pins no
 * connection (its single connection stays free for requests between batches).
 */
import { type Kysely, sql } from 'kysely'
import type { DB } from '../db/schema.js'
import type { BlobStore } from './blob-store.js'

/**
 * Every column that holds a blob key. A blob whose key is in any of them is never removed.
 * Records own blobs (uploads and imports both become records; shares and emergency links
 * point to records, not to blobs), and so do patient exports while they live (SPEC §9).
 * `keyed`: the row references its blob only while this column (its wrapped data key) is set —
 * a deleted or erased record's key is forgotten (crypto-shredding, SPEC §4.3), so its
 * ciphertext is an orphan if the removal after the commit failed (security review L4).
 */
const BLOB_KEY_COLUMNS: readonly { table: string; column: string; keyed?: string }[] = [
  { table: 'records', column: 'blob_key', keyed: 'wrapped_key' },
  // Export zips (SPEC §9), while they live.
  { table: 'patient_exports', column: 'blob_key' },
  // SMART Health Links keep their files as JWE blobs of their own (src/features/shl).
  { table: 'smart_health_link_files', column: 'blob_key' },
]

/** Keys checked against the rows per query. */
const BATCH = 500
/** `pg_try_advisory_lock` key of the sweeper (distinct from the audit sealer's). */
const SWEEPER_LOCK_KEY = 7_281_946_001
const HOUR_MS = 60 * 60 * 1000

export interface SweepResult {
  /** False when another node was sweeping: this one did nothing. */
  locked: boolean
  /** Complete blobs removed (no row, older than the age). */
  removed: number
  /** Leftovers of unfinished puts removed. */
  incomplete: number
  /** True when the store cannot list unfinished puts (see `BlobStore.removeIncomplete`). */
  incompleteUnsupported: boolean
}

export interface SweepOptions {
  /** ORPHAN_SWEEP_AGE_MIN: only blobs last modified before now − ageMinutes are candidates. */
  ageMinutes: number
  now: () => Date
  /** `pglite` sweeps without the advisory lock (one process). */
  engine: 'pglite' | 'postgres'
  /** Aborted: the sweep stops after the blob at hand (a node shutting down does not wait for a long listing). */
  signal?: AbortSignal
}

/**
 * One sweep of `store` against the rows of `db`. Resolves with what it removed; rejects with
 * the store's or the database's error (a StorageUnavailableError when S3 does not answer),
 * having removed only orphans.
 */
export async function sweepOrphans(db: Kysely<DB>, store: BlobStore, opts: SweepOptions): Promise<SweepResult> {
  const before = new Date(opts.now().getTime() - opts.ageMinutes * 60_000)
  if (opts.engine === 'pglite') return { locked: true, ...(await sweepWith(db, store, before, opts.signal)) }
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${sql.lit(SWEEPER_LOCK_KEY)}) AS locked`.execute(conn)
    if (rows[0]?.locked !== true) return { locked: false, removed: 0, incomplete: 0, incompleteUnsupported: false }
    try {
      return { locked: true, ...(await sweepWith(conn, store, before, opts.signal)) }
    } finally {
      await sql`SELECT pg_advisory_unlock(${sql.lit(SWEEPER_LOCK_KEY)})`.execute(conn)
    }
  })
}

async function sweepWith(db: Kysely<DB>, store: BlobStore, before: Date, signal: AbortSignal | undefined): Promise<Omit<SweepResult, 'locked'>> {
  const incomplete = await store.removeIncomplete(before)
  let removed = 0
  let batch: string[] = []
  const flush = async () => {
    const referenced = await referencedKeys(db, batch)
    for (const key of batch) {
      if (referenced.has(key)) continue
      await store.delete(key)
      removed += 1
    }
    batch = []
  }
  for await (const entry of store.list()) {
    if (signal?.aborted) break
    if (entry.lastModified >= before) continue
    batch.push(entry.key)
    if (batch.length >= BATCH) await flush()
  }
  if (batch.length > 0) await flush()
  return { removed, incomplete: incomplete.removed, incompleteUnsupported: incomplete.unsupported === true }
}

/** The keys among `keys` that some row of a BLOB_KEY_COLUMNS column holds (a keyed table's row only while its key is set). */
async function referencedKeys(db: Kysely<DB>, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>()
  for (const { table, column, keyed } of BLOB_KEY_COLUMNS) {
    const live = keyed ? sql` AND ${sql.ref(keyed)} IS NOT NULL` : sql``
    const { rows } = await sql<{ key: string }>`SELECT ${sql.ref(column)} AS key FROM ${sql.table(table)} WHERE ${sql.ref(column)} = ANY(${keys}::text[])${live}`.execute(db)
    for (const row of rows) found.add(row.key)
  }
  return found
}

export interface OrphanSweeper {
  /** Sweeps now (without waiting), then every `intervalMs`. */
  start(): void
  /** Stops the loop; a running sweep ends after the blob at hand, and this waits for it. */
  stop(): Promise<void>
  /** One sweep now, after any running one; for tests and the CLI. */
  sweepNow(): Promise<SweepResult>
}

/**
 * The sweeper loop of a node with job workers (SPEC §11: at start and hourly). A failed turn
 * goes to `onError` and the loop goes on; `onSwept` hears each turn that removed something.
 */
export function createOrphanSweeper(
  db: Kysely<DB>,
  store: BlobStore,
  opts: SweepOptions & { intervalMs?: number; onError: (err: unknown) => void; onSwept?: (result: SweepResult) => void },
): OrphanSweeper {
  const intervalMs = opts.intervalMs ?? HOUR_MS
  let timer: NodeJS.Timeout | undefined
  let tail: Promise<unknown> = Promise.resolve()
  const stopping = new AbortController()
  const sweepNow = (): Promise<SweepResult> => {
    const next = tail.then(() => sweepOrphans(db, store, { ...opts, signal: stopping.signal }))
    tail = next.catch(() => undefined)
    return next
  }
  const turn = () => {
    sweepNow().then((result) => {
      if (result.removed + result.incomplete > 0) opts.onSwept?.(result)
    }, opts.onError)
  }
  return {
    start: () => {
      if (timer) return
      turn()
      timer = setInterval(turn, intervalMs)
      timer.unref()
    },
    stop: async () => {
      if (timer) clearInterval(timer)
      timer = undefined
      stopping.abort()
      await tail
    },
    sweepNow,
  }
}
