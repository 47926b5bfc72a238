/**
 * The two database engines of SPEC §7, each in a throw-away place: PGlite in a temp
 * DATA_DIR, PostgreSQL in a fresh `carelocker_bench_<random>` database (dropped after).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import type { BenchOptions, EngineName } from './options.js'

export interface PreparedEngine {
  name: EngineName
  /** Variables for loadConfig in the child server (DATA_DIR, DATABASE_URL, …). */
  env: Record<string, string>
  /** Removes the temp directory and drops the database. Never throws. */
  cleanup(): Promise<void>
}

export type EngineSetup = { ok: true; engine: PreparedEngine } | { ok: false; name: EngineName; reason: string }

/**
 * Prepares `name`. For PostgreSQL, a server that does not answer within 3 s is not an
 * error: the result says why it was skipped.
 */
export async function prepareEngine(name: EngineName, options: BenchOptions): Promise<EngineSetup> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `carelocker-bench-${name}-`))
  const removeDir = () => rm(dataDir, { recursive: true, force: true }).catch(() => undefined)
  if (name === 'pglite') {
    return { ok: true, engine: { name, env: { DATA_DIR: dataDir }, cleanup: removeDir } }
  }
  const dbName = `carelocker_bench_${randomBytes(6).toString('hex')}`
  try {
    await adminQuery(options.postgresAdminUrl, `CREATE DATABASE ${dbName}`)
  } catch (err) {
    await removeDir()
    return { ok: false, name, reason: `PostgreSQL not reachable at ${redact(options.postgresAdminUrl)}: ${(err as Error).message}` }
  }
  const url = new URL(options.postgresAdminUrl)
  url.pathname = `/${dbName}`
  return {
    ok: true,
    engine: {
      name,
      env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
      cleanup: async () => {
        await adminQuery(options.postgresAdminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((err: Error) =>
          console.error(`could not drop ${dbName}: ${err.message}`),
        )
        await removeDir()
      },
    },
  }
}

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** The URL without its password, for messages and the report. */
export function redact(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://…'
  }
}
