/**
 * A real app per test file (STYLE §7): in-memory PGlite by default, or a fresh database
 * on the PostgreSQL server named by `DATABASE_URL`, dropped when the file ends.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { inject } from 'vitest'
import { buildApp } from '../../src/app/build-app.js'
import type { App } from '../../src/app/app-types.js'
import { composeDeps } from '../../src/app/compose.js'
import { loadConfig } from '../../src/app/config.js'
import type { Deps } from '../../src/app/deps.js'

/** What every test server gets unless a test says otherwise: rate limits out of the way, jobs polled every 0.5 s and retried after 1 s, no role required to enrol a second factor. */
export const TEST_SERVER_ENV: Readonly<Record<string, string>> = {
  RATE_LIMIT_LOGIN_PER_MIN: '10000',
  RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: '10000',
  RATE_LIMIT_LOGIN_FAILURES_PER_HOUR_IP: '10000',
  RATE_LIMIT_REGISTER_PER_HOUR: '10000',
  RATE_LIMIT_PASSWORD_RESET_PER_HOUR: '10000',
  RATE_LIMIT_PUBLIC_PER_MIN: '10000',
  RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN: '10000',
  JOB_POLL_INTERVAL_SECONDS: '0.5',
  JOB_RETRY_DELAY_SECONDS: '1',
  // SPEC §8's default (doctor,pharmacist,admin) is tested by the MFA suites and the
  // authorization matrix's second-factor gate; elsewhere clinicians sign in with a password.
  MFA_REQUIRED_ROLES: '',
}

export interface TestApp {
  app: App
  deps: Deps
  dataDir: string
  close(): Promise<void>
}

/** The migrated PGlite dump of this run (`pglite-snapshot.ts`), read once per file; undefined outside `npm test`. */
let snapshot: Promise<Blob | undefined> | undefined
const migratedSnapshot = (): Promise<Blob | undefined> => {
  const file = inject('pgliteSnapshot')
  snapshot ??= file ? readFile(file).then((bytes) => new Blob([bytes])) : Promise.resolve(undefined)
  return snapshot
}

/** Creates a fresh database on the server of `baseUrl`; returns its URL and a dropper. */
export async function createServerDatabase(baseUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `carelocker_t_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(baseUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/**
 * Starts an app with a test config. `env` overrides variables (e.g. a low
 * `MAX_UPLOAD_MB`); rate limits are high unless a test lowers them, job workers poll
 * every 0.5 s and retry after 1 s. A `DATA_DIR` or `DATABASE_URL` given in `env` is the
 * caller's (to reopen the same data after a restart): it is neither created nor removed.
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { now?: () => Date } = {}): Promise<TestApp> {
  const ownDataDir = env.DATA_DIR === undefined
  const dataDir = env.DATA_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'carelocker-test-')))
  const serverUrl = process.env.DATABASE_URL
  const server = serverUrl && env.DATABASE_URL === undefined ? await createServerDatabase(serverUrl) : undefined
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: server?.url ?? 'memory://',
    MASTER_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    PUBLIC_URL: 'http://carelocker.test',
    LOG_LEVEL: 'silent',
    ...TEST_SERVER_ENV,
    ...env,
  })
  const composed = await composeDeps(config, { ...opts, databaseSnapshot: config.databaseUrl === 'memory://' ? await migratedSnapshot() : undefined })
  const app = await buildApp(composed.deps, { logLevel: 'silent' })
  await app.ready()
  return {
    app,
    deps: composed.deps,
    dataDir,
    close: async () => {
      await app.close()
      await composed.close()
      await server?.drop()
      if (ownDataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}
