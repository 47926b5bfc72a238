/**
 * Wires the dependencies from a config: database (migrated), blob storage with envelope
 * encryption (local disk or S3, checked at start), rate limiters, the job queue with its workers, the audit sealer and the orphan sweeper started. Used by `main.ts`, the CLI, the demo, the bench and tests.
 */
import { openDatabase } from '../db/connection.js'
import { createAuditLog } from '../audit/audit.service.js'
import { createAuditSealer } from '../audit/sealer.js'
import { createTreeHeadSigner } from '../audit/tree-head.js'
import { registerJobHandlers } from '../jobs/handlers.js'
import { createJobLogger } from '../jobs/job-logger.js'
import { createJobQueue, type JobLogger } from '../jobs/job-queue.js'
import { createEncryptedBlobs } from '../storage/encrypted-blobs.js'
import type { BlobStore } from '../storage/blob-store.js'
import { createOrphanSweeper } from '../storage/orphan-sweeper.js'
import { openBlobStore } from '../storage/open-blob-store.js'
import { S3AccessError } from '../storage/s3-blob-store.js'
import { ConfigError, type Config, type ResolvedConfig } from './config.js'
import type { Deps } from './deps.js'
import { createRateLimiters } from './rate-limits.js'
import { resolveSecrets } from './secrets.js'

export interface Composed {
  deps: Deps
  /** Closes the database and other connections. */
  close(): Promise<void>
}

/**
 * `opts.workers: false` (a CLI) installs the job queue so `deps.jobs.send` works, without
 * running job workers nor the audit sealer; unset, `JOB_WORKERS` decides (SPEC §11).
 * `opts.log` gets the job and rate-limit log (default: pino-style JSON on stderr).
 * `opts.databaseSnapshot`: see `OpenOptions.snapshot` (in-memory PGlite only).
 */
export async function composeDeps(
  config: Config,
  opts: { now?: () => Date; log?: JobLogger; workers?: boolean; databaseSnapshot?: Blob | undefined } = {},
): Promise<Composed> {
  const resolved = await resolveSecrets(config)
  const store = await openConfiguredBlobStore(resolved)
  const database = await openDatabase({ databaseUrl: resolved.databaseUrl, dataDir: resolved.dataDir, snapshot: opts.databaseSnapshot }).catch((err: unknown) => {
    store.close()
    throw err
  })
  const blobs = createEncryptedBlobs(store, resolved.masterKey, resolved.previousMasterKeys)
  const log = opts.log ?? createJobLogger(resolved.logLevel)
  const rateLimits = createRateLimiters(resolved, log)
  const now = opts.now ?? (() => new Date())
  const workers = opts.workers ?? resolved.jobs.workers
  const jobs = createJobQueue({ database, config: resolved, log, workers })
  const signer = createTreeHeadSigner(resolved)
  const sealer = createAuditSealer(database.db, signer, now, { onError: (err) => log.error({ err: String(err) }, 'audit sealer turn failed') })
  const sweeper = createOrphanSweeper(database.db, store, {
    ageMinutes: resolved.orphanSweepAgeMinutes,
    now,
    engine: database.engine,
    onError: (err) => log.error({ err: String(err) }, 'orphan sweep failed'),
    onSwept: ({ removed, incomplete }) => log.info({ removed, incomplete }, 'orphan sweep removed blobs with no record'),
  })
  const deps: Deps = { config: resolved, database, db: database.db, blobs, rateLimits, audit: createAuditLog(database.db, now, signer, sealer), jobs, now }
  try {
    // Handlers first, then start: installs pg-boss's schema, creates the queues, starts the workers.
    await registerJobHandlers(deps)
    await jobs.start()
    if (workers) {
      // A signed head from the start (the empty tree on a new locker, or the chained events of
      // an older one), then a seal every 0.5 s (SPEC §4.7: within 2 s).
      await sealer.sealNow()
      sealer.start()
      // SPEC §11: orphaned blobs are swept at start and hourly, by nodes with workers.
      sweeper.start()
    }
  } catch (err) {
    await sweeper.stop()
    await sealer.stop()
    await jobs.stop().catch(() => undefined)
    await rateLimits.close()
    await database.close()
    store.close()
    throw err
  }
  return {
    deps,
    close: async () => {
      await sweeper.stop()
      await sealer.stop()
      await jobs.stop()
      await rateLimits.close()
      await database.close()
      store.close()
    },
  }
}

/**
 * The blob store of `STORAGE` (src/storage/open-blob-store.ts) with a `close`; a wrong S3
 * bucket, refused credentials or an unreachable endpoint become a ConfigError naming the variable.
 */
async function openConfiguredBlobStore(config: ResolvedConfig): Promise<BlobStore & { close(): void }> {
  try {
    return await openBlobStore(config.storage)
  } catch (err) {
    throw err instanceof S3AccessError ? new ConfigError([err.message]) : err
  }
}
