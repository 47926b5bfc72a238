/** Data that outlives an app, for tests that stop an app and start another on the same data (a restart, an upgrade). */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createServerDatabase, startTestApp, type TestApp } from './test-app.js'
import { waitUntil } from './wait.js'

/** The environment both apps share, and how to remove the data afterwards. */
export interface DurableData {
  /** DATA_DIR, DATABASE_URL and MASTER_KEY. */
  env: Record<string, string>
  remove(): Promise<void>
}

/**
 * A temporary DATA_DIR with PGlite on disk in it (`DATABASE_URL` '' = `$DATA_DIR/db`), or
 * with `DATABASE_URL` set, a fresh database on that server; and one master key for both apps.
 */
export async function durableData(prefix: string): Promise<DurableData> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `carelocker-${prefix}-`))
  const server = process.env.DATABASE_URL ? await createServerDatabase(process.env.DATABASE_URL) : undefined
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: server?.url ?? '', MASTER_KEY: randomBytes(32).toString('base64') },
    async remove() {
      await server?.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * An upgrade with jobs still queued: runs `queue` on an app whose workers poll once at start
 * and then sleep (so what it enqueues stays queued), stops it, and starts a new app on the
 * same data with `env`. Returns that app and what `queue` returned.
 */
export async function restartWithQueuedJobs<T>(env: Record<string, string>, queue: (before: TestApp) => Promise<T>): Promise<{ t: TestApp; queued: T }> {
  const before = await startTestApp({ ...env, JOB_POLL_INTERVAL_SECONDS: '600' })
  let queued: T
  try {
    queued = await queue(before)
  } finally {
    await before.close()
  }
  return { t: await startTestApp(env), queued }
}

/**
 * Waits (up to 15 s) until the job `id` has completed, in whatever queue it now is, and
 * returns it: `{name, state, data}` — to check a job an upgrade moved kept its id.
 */
export function completedJob(t: TestApp, id: string | null): Promise<{ name: string; state: string; data: unknown }> {
  return waitUntil(async () => {
    const { rows } = await sql<{ name: string; state: string; data: unknown }>`
      SELECT name, state::text AS state, data FROM pgboss.job WHERE id = ${id}`.execute(t.deps.db.withoutPlugins())
    return rows[0]?.state === 'completed' ? rows[0] : undefined
  }, 15_000, `job ${id} to complete`)
}
