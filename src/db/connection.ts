/**
 * One database layer, two engines (issue 2): embedded PGlite in `$DATA_DIR/db` when
 * `DATABASE_URL` is unset (or `memory://` for an in-memory PGlite), a PostgreSQL server
 * otherwise. Both speak the same SQL (PostgreSQL 15 feature level) and run the same
 * migrations through Kysely's Migrator.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { PGlite, type PGliteOptions } from '@electric-sql/pglite'
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist'
import { CamelCasePlugin, CompiledQuery, Kysely, Migrator, PostgresDialect, sql, type Compilable, type PostgresPool, type PostgresPoolClient, type Transaction } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { migrationProvider } from './migrations/index.js'
import { createPgListener, createPgliteListener, type DbListener } from './db-listener.js'
import { attachCache, createNodeCache, type NodeCache } from './node-cache.js'
import type { DB } from './schema.js'

export type { NodeCache } from './node-cache.js'

export type Engine = 'pglite' | 'postgres'

export interface Database {
  db: Kysely<DB>
  engine: Engine
  /**
   * The embedded PGlite instance (engine `pglite` only). Use it only while holding a
   * Kysely connection (`db.connection().execute(…)`): PGlite is one session, so a
   * statement sent beside Kysely's mutex would run inside whatever transaction is open.
   */
  pglite?: PGlite
  /** Resolves when the database answers a trivial query (used by `/ready`). */
  ping(): Promise<void>
  /** The PostgreSQL pool's connections now (engine `postgres` only; for `/metrics`, SPEC §11). */
  poolStats?(): { total: number; idle: number; waiting: number }
  /** This node's read cache, invalidated on every node when a change commits (see `NodeCache`). */
  cache: NodeCache
  /** This node's one `LISTEN` connection, dispatching each channel to its subscribers (src/db/db-listener.ts). */
  listener: DbListener
  close(): Promise<void>
}

// PostgreSQL type OIDs whose default JavaScript mapping we override.
const INT8 = 20
const NUMERIC = 1700
const DATE = 1082

/** `date` stays `YYYY-MM-DD` text (no time-zone shift); int8 and numeric become numbers. */
const parsers: Record<number, (value: string) => unknown> = {
  [INT8]: (v) => Number(v),
  [NUMERIC]: (v) => Number(v),
  [DATE]: (v) => v,
}

export interface OpenOptions {
  /** `postgres://…`, `memory://`, or undefined for PGlite in `dataDir/db`. */
  databaseUrl: string | undefined
  dataDir: string
  /** Pool size for PostgreSQL (default 10). */
  poolSize?: number
  /**
   * `memory://` only: start from this PGlite data-directory dump (`PGlite.dumpDataDir()`)
   * instead of an empty cluster; migrations then run from wherever the dump stands. The test
   * suite migrates once and starts every file's database from the dump (about 5 s saved per
   * file on this 2-core machine).
   */
  snapshot?: Blob | undefined
}

/**
 * Creates a PGlite instance (data directory `dataDir`, or in memory when undefined) with the
 * extensions the migrations need loaded: `btree_gist` for the appointments' exclusion
 * constraint (migration 0024). Every PGlite of the product and its tests is made here, since
 * an instance without the extension cannot open a database that uses it.
 */
export function createPglite(dataDir?: string, options: PGliteOptions = {}): PGlite {
  const opts: PGliteOptions = { ...options, extensions: { btree_gist, ...options.extensions } }
  return dataDir === undefined ? new PGlite(opts) : new PGlite(dataDir, opts)
}

/** Opens the database and applies pending migrations. Throws when a migration fails. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const database = opts.databaseUrl?.startsWith('postgres') ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10) : await openPglite(opts)
  try {
    await migrateToLatest(database.db)
  } catch (err) {
    await database.close()
    throw err
  }
  return database
}

async function openPglite(opts: OpenOptions): Promise<Database> {
  let client: PGlite
  if (opts.databaseUrl === 'memory://') {
    client = createPglite(undefined, { parsers, ...(opts.snapshot ? { loadDataDir: opts.snapshot } : {}) })
  } else {
    const dir = path.join(opts.dataDir, 'db')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    client = createPglite(dir, { parsers })
  }
  await client.waitReady
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client), plugins: [new CamelCasePlugin()] })
  // Subscribed before Kysely sends anything: PGlite's listen runs a statement of its own.
  const listener = await createPgliteListener(client)
  return { ...withCache(db, listener, 'pglite'), engine: 'pglite', pglite: client }
}

function openPostgres(url: string, max: number): Database {
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      parsers[oid] ?? (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
  }
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: types as pg.CustomTypesConfig,
    // Fail fast while the server is down or unreachable (SPEC §11: a 503 within 5 s, never a
    // hang): waiting for a connection — a free pooled one or a new one — gives up after 3 s;
    // keepalive notices a peer that vanished without closing the socket.
    connectionTimeoutMillis: 3_000,
    keepAlive: true,
  })
  // An idle client losing its connection must not crash the process (the pool drops it).
  pool.on('error', () => undefined)
  // Nor one that is checked out between two statements (a transaction, the sealer) when the
  // server ends its session (57P01 at a shutdown): pg emits 'error' on it, and the pool only
  // listens while it is idle. Its next statement fails, and the caller sees that error.
  pool.on('connect', (client) => client.on('error', () => undefined))
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }), plugins: [new CamelCasePlugin()] })
  const listener = createPgListener(url, types as pg.CustomTypesConfig)
  return {
    ...withCache(db, listener, 'postgres'),
    engine: 'postgres',
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  }
}

/** What both engines share: `db` with its read cache attached, the listener, `ping`, and `close` (cache, listener, then the pool). */
function withCache(db: Kysely<DB>, listener: DbListener, engine: Engine): Pick<Database, 'db' | 'ping' | 'cache' | 'listener' | 'close'> {
  const cache = createNodeCache(listener, engine)
  attachCache(db, cache)
  return {
    db,
    ping: async () => {
      await sql`SELECT 1`.execute(db)
    },
    cache,
    listener,
    close: async () => {
      await cache.close()
      await listener.close()
      await db.destroy()
    },
  }
}

/**
 * Named server-side statements for the queries a node runs over and over (issue 11, SPEC §7).
 * Each pooled connection parses a named statement once, and after five executions
 * PostgreSQL may keep a generic plan instead of planning every call (PREPARE and
 * `plan_cache_mode`, PostgreSQL 15 docs). Measured: the record list's page query ran 41 %
 * faster in a bare Fastify + pg server.
 *
 * A text is named the second time it is seen, if it takes parameters, is at most
 * `MAX_NAMED_SQL_LENGTH` characters (bulk inserts are not repeated) and has no `*` column
 * list: a `SELECT *` prepared before a migration adds a column would fail with "cached plan
 * must not change result type" on a node that keeps running through a rolling deploy.
 * At most `MAX_NAMED_STATEMENTS` names per process, so each server connection holds a
 * bounded set. PGlite does not use this. A PgBouncer in transaction mode needs
 * `max_prepared_statements` (PgBouncer ≥ 1.21).
 */
const MAX_NAMED_STATEMENTS = 500
const MAX_NAMED_SQL_LENGTH = 8_000
const MAX_SEEN_ONCE = 5_000
const STAR_COLUMNS = /(^|[\s,(])(\w+\.|"\w+"\.)?\*(\s|,|$)/
const statementNames = new Map<string, string>()
const seenOnce = new Set<string>()

/** The statement name for `text`, or undefined to send it unnamed (see above). */
function statementName(text: string, parameterCount: number): string | undefined {
  const name = statementNames.get(text)
  if (name !== undefined || parameterCount === 0 || statementNames.size >= MAX_NAMED_STATEMENTS || text.length > MAX_NAMED_SQL_LENGTH) return name
  if (!seenOnce.has(text)) {
    if (seenOnce.size >= MAX_SEEN_ONCE) seenOnce.clear()
    seenOnce.add(text)
    return undefined
  }
  seenOnce.delete(text)
  if (STAR_COLUMNS.test(text)) return undefined
  const named = `carelocker_${statementNames.size + 1}`
  statementNames.set(text, named)
  return named
}

/** Kysely's pool with one change: repeated queries go out as named statements (above). */
function withNamedStatements(pool: pg.Pool): PostgresPool {
  return {
    connect: async () => {
      const client = await pool.connect()
      return {
        query: ((text: unknown, values?: unknown[]) => {
          const name = typeof text === 'string' ? statementName(text, values?.length ?? 0) : undefined
          if (name !== undefined) return client.query({ name, text: text as string, values: values ?? [] })
          return client.query(text as string, values)
        }) as unknown as PostgresPoolClient['query'],
        release: () => client.release(),
      }
    },
    end: () => pool.end(),
  }
}

/** Applies every pending migration (Kysely Migrator, with its own lock table). */
export async function migrateToLatest(db: Kysely<DB>): Promise<void> {
  // The migrator must not see the CamelCasePlugin: its bookkeeping tables are its own.
  // Unordered: features land in parallel with pre-assigned numbers; a data directory that
  // already ran a later number still accepts an earlier one that arrives after it.
  const migrator = new Migrator({ db: db.withoutPlugins() as unknown as Kysely<unknown>, provider: migrationProvider, allowUnorderedMigrations: true })
  const { error, results } = await migrator.migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error })
  }
}

/** One `$n` parameter of a precompiled query: a named input, or a constant of the builder. */
type Slot = { name: string } | { value: unknown }

const SENTINEL = '\u0000carelocker-param:'

/**
 * A hot query compiled once per shape instead of on every call (issue 11: Kysely's
 * compilation was a tenth of a record list's CPU). `build` gets a stand-in for each defined
 * input (inputs left undefined are undefined, so optional filters still shape the query) and
 * must use them only as values — no arithmetic or string work on them; compute derived
 * values (a LIKE pattern, `limit + 1`) before the call. The SQL of each shape (which inputs
 * are defined) is cached with the position of every input; a call binds the values in that
 * order and runs the SQL on `db` (a transaction too), with the dialect's plugins applied to
 * the result as for any Kysely query. Throws like the query would.
 *
 * Inputs named in `literals` reach `build` as their values and become part of the SQL text
 * (each value is a shape of its own): only for small bounded integers such as a page size,
 * written with `sql.lit`. A literal `LIMIT` lets PostgreSQL's plan cache estimate the rows
 * right and keep a generic plan (no planning per call); a `LIMIT $n` is estimated at 10 % of
 * the table and keeps it planning every call.
 */
export function precompiled<P extends Record<string, unknown>, R>(
  build: (db: Kysely<DB> | Transaction<DB>, params: P) => Compilable<R>,
  opts: { literals?: readonly (keyof P & string)[] } = {},
): (db: Kysely<DB> | Transaction<DB>, params: P) => Promise<R[]> {
  const shapes = new Map<string, { sql: string; slots: Slot[] }>()
  const literals = new Set<string>(opts.literals ?? [])
  return async (db, params) => {
    const defined = Object.keys(params).filter((k) => params[k] !== undefined)
    const shape = defined.map((k) => (literals.has(k) ? `${k}=${String(params[k])}` : k)).join(',')
    let compiled = shapes.get(shape)
    if (!compiled) {
      for (const k of literals) if (params[k] !== undefined && !Number.isSafeInteger(params[k])) throw new TypeError(`precompiled: literal ${k} must be an integer`)
      const standIns = Object.fromEntries(defined.map((k) => [k, literals.has(k) ? params[k] : `${SENTINEL}${k}`])) as P
      const query = build(db, standIns).compile()
      const slots = query.parameters.map((v): Slot => (typeof v === 'string' && v.startsWith(SENTINEL) ? { name: v.slice(SENTINEL.length) } : { value: v }))
      compiled = { sql: query.sql, slots }
      shapes.set(shape, compiled)
    }
    const values = compiled.slots.map((slot) => ('name' in slot ? params[slot.name] : slot.value))
    const result = await db.executeQuery<R>(CompiledQuery.raw(compiled.sql, values))
    return result.rows
  }
}
