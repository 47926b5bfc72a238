/**
 * One database layer, two engines (issue 2): embedded PGlite in `$DATA_DIR/db` when
 * `DATABASE_URL` is unset (or `memory://` for an in-memory PGlite), a PostgreSQL server
 * otherwise. Both speak the same SQL (PostgreSQL 15 feature level) and run the same
 * migrations through Kysely's Migrator.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { CamelCasePlugin, Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import pg from 'pg'
import { migrationProvider } from './migrations/index.js'
import type { DB } from './schema.js'

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
    client = new PGlite({ parsers })
  } else {
    const dir = path.join(opts.dataDir, 'db')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    client = new PGlite(dir, { parsers })
  }
  await client.waitReady
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client), plugins: [new CamelCasePlugin()] })
  return {
    db,
    engine: 'pglite',
    pglite: client,
    ping: async () => {
      await sql`SELECT 1`.execute(db)
    },
    close: () => db.destroy(),
  }
}

function openPostgres(url: string, max: number): Database {
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      parsers[oid] ?? (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
  }
  const pool = new pg.Pool({ connectionString: url, max, types: types as pg.CustomTypesConfig })
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined)
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] })
  return {
    db,
    engine: 'postgres',
    ping: async () => {
      await sql`SELECT 1`.execute(db)
    },
    close: () => db.destroy(),
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
