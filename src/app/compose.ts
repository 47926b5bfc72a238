/**
 * Wires the dependencies from a config: database (migrated), blob storage with envelope
 * encryption, rate limiters. Used by `main.ts`, the CLI, the demo, the bench and tests.
 */
import { openDatabase } from '../db/connection.js'
import { createEncryptedBlobs } from '../storage/encrypted-blobs.js'
import { createLocalBlobStore } from '../storage/local-blob-store.js'
import type { Config } from './config.js'
import type { Deps } from './deps.js'
import { createRateLimiters } from './rate-limits.js'
import { resolveSecrets } from './secrets.js'

export interface Composed {
  deps: Deps
  /** Closes the database and other connections. */
  close(): Promise<void>
}

export async function composeDeps(config: Config, opts: { now?: () => Date } = {}): Promise<Composed> {
  const resolved = await resolveSecrets(config)
  if (resolved.storage.driver !== 'local') {
    throw new Error('STORAGE=s3 is not available yet; use STORAGE=local.')
  }
  const database = await openDatabase({ databaseUrl: resolved.databaseUrl, dataDir: resolved.dataDir })
  const blobs = createEncryptedBlobs(createLocalBlobStore(resolved.storage.dir), resolved.masterKey)
  const rateLimits = createRateLimiters(resolved)
  const deps: Deps = { config: resolved, database, db: database.db, blobs, rateLimits, now: opts.now ?? (() => new Date()) }
  return {
    deps,
    close: async () => {
      await rateLimits.close()
      await database.close()
    },
  }
}
