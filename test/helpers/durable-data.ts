/** Data that outlives an app, for tests that stop an app and start another on the same data (a restart, an upgrade). */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createServerDatabase } from './test-app.js'

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
