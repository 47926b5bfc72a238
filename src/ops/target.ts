/**
 * What the operations CLIs work on (SPEC §11): the configured database (migrated) and the
 * raw blob store of `STORAGE`, without the job queue, the sealer or any worker — a backup
 * or a restore must write nothing of its own into the locker.
 */
import type { ResolvedConfig } from '../app/config.js'
import { openDatabase, type Database } from '../db/connection.js'
import type { BlobStore } from '../storage/blob-store.js'
import { openBlobStore } from '../storage/open-blob-store.js'

export interface OpsTarget {
  database: Database
  store: BlobStore
  close(): Promise<void>
}

/** The raw blob store of `config.storage` (local directory, or S3 after its access check) with a `close`. */
export function openStore(config: ResolvedConfig): Promise<BlobStore & { close(): void }> {
  return openBlobStore(config.storage)
}

/** Opens the database (applying migrations) and the store. Throws what they throw. */
export async function openTarget(config: ResolvedConfig): Promise<OpsTarget> {
  const store = await openStore(config)
  let database: Database
  try {
    database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  } catch (err) {
    store.close()
    throw err
  }
  return {
    database,
    store,
    close: async () => {
      await database.close()
      store.close()
    },
  }
}

/** True when the CLI would open the embedded database in `DATA_DIR` (not a server, not memory). */
export const usesEmbeddedDirectory = (config: ResolvedConfig) => config.databaseUrl === undefined
