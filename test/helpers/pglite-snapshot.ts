/**
 * Vitest global setup of `npm test` on PGlite: migrates one in-memory database, dumps its
 * data directory to a temporary file and provides the path as `pgliteSnapshot`; every test
 * file's `memory://` database then starts from that dump (`startTestApp`) instead of running
 * every migration again. Built anew at each run, so it always matches the migrations.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../src/db/connection.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a migrated PGlite data-directory dump; unset on PostgreSQL runs. */
    pgliteSnapshot: string | undefined
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteSnapshot', undefined)
    return async () => undefined
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-pglite-'))
  const database = await openDatabase({ databaseUrl: 'memory://', dataDir: dir })
  const file = path.join(dir, 'migrated.tar')
  try {
    const dump = await database.pglite?.dumpDataDir('none')
    if (!dump) throw new Error('PGlite did not dump its data directory')
    await writeFile(file, Buffer.from(await dump.arrayBuffer()))
  } finally {
    await database.close()
  }
  project.provide('pgliteSnapshot', file)
  return async () => rm(dir, { recursive: true, force: true })
}
