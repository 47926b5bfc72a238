/**
 * A per-node cache of rows that other nodes may change (SPEC §6/§7): the session check of
 * every authenticated request, and the hot reads of patient data (a record page, a profile,
 * an emergency link, a doctor's consent; issue 11). Entries carry tags (`user:<id>`,
 * `session:<id>`, `records:<patientId>`…).
 *
 * Invalidation, in three layers:
 * - **Triggers** (migration 0015) on the tables behind cached reads send
 *   `NOTIFY carelocker_cache '{"tags":[…]}'` for every changed row, so no write path can
 *   forget: every node drops the tags when the writing transaction commits.
 * - `invalidate(trx, tags)` does the same from code, for tags no trigger knows (a session).
 * - `forgetLocally(tags)` drops tags on this process at once, so the node that wrote reads
 *   its own write without waiting for the notification's flight.
 *
 * Each node hears notifications through its one listener (src/db/db-listener.ts: `LISTEN` on
 * a dedicated PostgreSQL connection, or PGlite's `listen` in the embedded engine). Never stale beyond a notification's flight: while
 * the listener is down (before its first `LISTEN`, or after a lost connection until it
 * listens again) `get` answers nothing, and every (re)connect clears the cache; a read that
 * raced an invalidation is not stored (`generation`). Entries expire after 30 s, a backstop.
 */
import { randomUUID } from 'node:crypto'
import { sql, type Kysely, type Transaction } from 'kysely'
import { CACHE_CHANNEL, type DbListener } from './db-listener.js'
import type { DB } from './schema.js'

export interface NodeCache {
  /** The value under `key`, or undefined (absent, expired, or the listener is down). */
  get<T>(key: string): T | undefined
  /** Take before reading the database; pass to `set` so a read that raced an invalidation is dropped. */
  generation(): number
  /**
   * Stores `value` under `key` with `tags`, unless anything was invalidated since `generation`.
   * `weight` (default 1) counts against the cache's capacity: about one per row held.
   */
  set<T>(key: string, value: T, tags: readonly string[], generation: number, weight?: number): void
  /**
   * Drops every entry carrying one of `tags` on this node now, and on every node once `db`'s
   * transaction commits (or at once when `db` is not in a transaction). Call inside the
   * transaction that makes the change.
   */
  invalidate(db: Kysely<DB> | Transaction<DB>, tags: readonly string[]): Promise<void>
  /**
   * Resolves once this node has applied every invalidation committed before the call (a
   * marker notification sent after them has come back; notifications arrive in commit
   * order). For a caller that changed rows outside the code paths that forget locally (raw
   * SQL in a test, another process) and reads them next. Gives up after 5 s (the listener is
   * down then, and `get` answers nothing anyway).
   */
  settle(db: Kysely<DB>): Promise<void>
}

/** The channel of cache invalidations; payload `{"tags":[…]}`, or `{"all":true}` after a TRUNCATE. */
export { CACHE_CHANNEL }
const CACHE_TTL_MS = 30_000
/** Capacity in weight units: about 50,000 sessions, or 2,500 pages of 20 records (~25 MB). */
const CACHE_MAX_WEIGHT = 50_000
/**
 * How long `forgetLocally` keeps its tags out of the cache: longer than a writing transaction
 * normally stays open after the write, plus the flight of its trigger's notification.
 */
const HOLD_MS = 2_000

/** The tags of the hot patient-data reads; the strings the triggers of migration 0015 send. */
export const cacheTags = {
  records: (patientId: string) => `records:${patientId}`,
  profile: (patientId: string) => `profile:${patientId}`,
  emergency: (patientId: string) => `emergency:${patientId}`,
  consultations: (patientId: string) => `consultations:${patientId}`,
  /** A prescription, its items and dispensations (migration 0016). */
  prescription: (prescriptionId: string) => `prescription:${prescriptionId}`,
  /** A user's account row (status, role, name): sessions, and reads that join the account. */
  user: (userId: string) => `user:${userId}`,
}

interface CacheEntry {
  value: unknown
  tags: readonly string[]
  weight: number
  storedAt: number
}

interface LocalCache {
  cache: Omit<NodeCache, 'invalidate' | 'settle'>
  drop(tags: readonly string[]): void
  /** Drops `tags` and refuses to store entries carrying them for `HOLD_MS` (see `forgetLocally`). */
  hold(tags: readonly string[]): void
  setListening(on: boolean): void
  /** Markers sent by `settle`, resolved when their notification comes back. */
  markers: Map<string, () => void>
}

/** Every local cache of this process, for `forgetLocally`. */
const liveCaches = new Set<LocalCache>()
/** The cache of each root Kysely instance, for `readThrough`. */
const cacheOfDb = new WeakMap<object, NodeCache>()

/** The local half of a NodeCache: entries, tags, generation, a listening flag. */
function createLocalCache(opts: { ttlMs: number; maxWeight: number; listening: boolean }): LocalCache {
  const entries = new Map<string, CacheEntry>()
  let generation = 0
  let weight = 0
  let listening = opts.listening
  /** Tag → time until which entries carrying it are not stored. */
  const held = new Map<string, number>()
  const isHeld = (tags: readonly string[]) => {
    if (held.size === 0) return false
    const now = performance.now()
    return tags.some((t) => (held.get(t) ?? 0) > now)
  }
  const remove = (key: string, entry: CacheEntry) => {
    entries.delete(key)
    weight -= entry.weight
  }
  const clear = () => {
    generation++
    entries.clear()
    weight = 0
  }
  const local: LocalCache = {
    markers: new Map(),
    cache: {
      get<T>(key: string): T | undefined {
        if (!listening) return undefined
        const entry = entries.get(key)
        if (!entry) return undefined
        if (performance.now() - entry.storedAt > opts.ttlMs) {
          remove(key, entry)
          return undefined
        }
        return entry.value as T
      },
      generation: () => generation,
      set(key, value, tags, seen, w = 1) {
        if (!listening || seen !== generation || w > opts.maxWeight || isHeld(tags)) return
        const previous = entries.get(key)
        if (previous) remove(key, previous)
        // Oldest first (Map order) until the new entry fits.
        for (const [k, e] of entries) {
          if (weight + w <= opts.maxWeight) break
          remove(k, e)
        }
        entries.set(key, { value, tags, weight: w, storedAt: performance.now() })
        weight += w
      },
    },
    drop(tags) {
      generation++
      if (tags.length === 0) return
      const wanted = new Set(tags)
      for (const [key, entry] of entries) if (entry.tags.some((t) => wanted.has(t))) remove(key, entry)
    },
    hold(tags) {
      const now = performance.now()
      if (held.size > 10_000) for (const [t, until] of held) if (until <= now) held.delete(t)
      for (const t of tags) held.set(t, now + HOLD_MS)
      local.drop(tags)
    },
    setListening(on) {
      listening = on
      clear()
    },
  }
  liveCaches.add(local)
  return local
}

/** Applies one notification's payload to `local`: its tags, or everything when unreadable or `all`. */
function applyNotification(local: LocalCache, payload: string | undefined): void {
  try {
    const { tags, all, marker } = JSON.parse(payload ?? '{}') as { tags?: unknown; all?: unknown; marker?: unknown }
    if (typeof marker === 'string') {
      local.markers.get(marker)?.()
      return
    }
    if (all === true) return local.setListening(true)
    local.drop(Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [])
  } catch {
    local.setListening(true) // unreadable message: forget everything rather than keep a stale entry
  }
}

/**
 * The node cache on `listener`'s `carelocker_cache` channel (src/db/db-listener.ts): bypassed
 * while the listener is not listening and cleared each time it starts listening again, since
 * notifications sent meanwhile are lost. `engine: 'pglite'` (one process) drops code-level
 * invalidations locally; `'postgres'` also sends them to every node (`pg_notify`).
 */
export function createNodeCache(listener: DbListener, engine: 'pglite' | 'postgres'): NodeCache & { close(): Promise<void> } {
  const local = createLocalCache({ ttlMs: CACHE_TTL_MS, maxWeight: CACHE_MAX_WEIGHT, listening: false })
  const unsubscribe = listener.subscribe(CACHE_CHANNEL, {
    message: (payload) => applyNotification(local, payload),
    listening: (on) => local.setListening(on),
  })
  return {
    ...local.cache,
    invalidate: async (db, tags) => {
      local.drop(tags)
      if (engine === 'postgres') await sql`SELECT pg_notify(${CACHE_CHANNEL}, ${JSON.stringify({ tags })})`.execute(db)
    },
    settle: (db) => settle(local, db),
    close: async () => {
      unsubscribe()
      liveCaches.delete(local)
      local.setListening(false)
    },
  }
}

/** Sends a marker notification and waits (≤ 5 s) for it to come back to `local` (NodeCache.settle). */
async function settle(local: LocalCache, db: Kysely<DB>): Promise<void> {
  const marker = randomUUID()
  let timer: NodeJS.Timeout | undefined
  const back = new Promise<void>((resolve) => {
    local.markers.set(marker, resolve)
    timer = setTimeout(resolve, 5_000)
  })
  try {
    await sql`SELECT pg_notify(${CACHE_CHANNEL}, ${JSON.stringify({ marker })})`.execute(db)
    await back
  } finally {
    clearTimeout(timer)
    local.markers.delete(marker)
  }
}

/** Makes `cache` the one `readThrough` uses for queries on `db` (the root Kysely instance). */
export function attachCache(db: Kysely<DB>, cache: NodeCache): void {
  cacheOfDb.set(db, cache)
}

/**
 * Drops `tags` from every cache of this process now, and stores nothing carrying them for the
 * next 2 s: the write is not committed yet, so a read on another connection meanwhile still
 * sees the old rows and must not put them back. Call with a write whose table has an
 * invalidation trigger, so this node reads its own write at once; other nodes hear the
 * trigger's notification when the transaction commits.
 */
export function forgetLocally(tags: readonly string[]): void {
  for (const local of liveCaches) local.hold(tags)
}

/**
 * The cached value of `key`, or `read()`'s, stored with the tags and weight computed from it
 * (see NodeCache; undefined and null are not stored). Inside a transaction (`db.isTransaction`) it always reads: a transaction may hold writes
 * of its own that no cache entry reflects. Values are shared between requests: never mutate
 * what this returns. Throws what `read` throws (nothing is stored then).
 */
export async function readThrough<T>(
  db: Kysely<DB> | Transaction<DB>,
  key: string,
  read: () => Promise<T>,
  tagsOf: (value: NonNullable<T>) => readonly string[],
  weightOf: (value: NonNullable<T>) => number = () => 1,
): Promise<T> {
  const cache = db.isTransaction ? undefined : cacheOfDb.get(db)
  if (!cache) return read()
  const hit = cache.get<T>(key)
  if (hit !== undefined) return hit
  const generation = cache.generation()
  const value = await read()
  if (value !== undefined && value !== null) cache.set(key, value, tagsOf(value), generation, weightOf(value))
  return value
}
