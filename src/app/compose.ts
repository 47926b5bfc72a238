/**
 * Wires the dependencies from a config: database (migrated), blob storage with envelope
 * encryption, rate limiters, the job queue with its workers and the audit sealer started. Used by `main.ts`, the CLI, the demo, the bench and tests.
 */
import { openDatabase } from '../db/connection.js'
import { createAuditLog } from '../audit/audit.service.js'
import { createAuditSealer } from '../audit/sealer.js'
import { createTreeHeadSigner } from '../audit/tree-head.js'
import { registerJobHandlers } from '../jobs/handlers.js'
import { createJobLogger } from '../jobs/job-logger.js'
import { createJobQueue, type JobLogger } from '../jobs/job-queue.js'
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

/**
 * `opts.workers: false` (a CLI) installs the job queue so `deps.jobs.send` works, without
 * running job workers nor the audit sealer; unset, `JOB_WORKERS` decides (SPEC §11).
 * `opts.log` gets the job and rate-limit log (default: pino-style JSON on stderr).
 */
export async function composeDeps(config: Config, opts: { now?: () => Date; log?: JobLogger; workers?: boolean } = {}): Promise<Composed> {
  const resolved = await resolveSecrets(config)
  if (resolved.storage.driver !== 'local') {
    throw new Error('STORAGE=s3 is not available yet; use STORAGE=local.')
  }
  const database = await openDatabase({ databaseUrl: resolved.databaseUrl, dataDir: resolved.dataDir })
  const blobs = createEncryptedBlobs(createLocalBlobStore(resolved.storage.dir), resolved.masterKey)
  const log = opts.log ?? createJobLogger(resolved.logLevel)
  const rateLimits = createRateLimiters(resolved, log)
  const now = opts.now ?? (() => new Date())
  const workers = opts.workers ?? resolved.jobs.workers
  const jobs = createJobQueue({ database, config: resolved, log, workers })
  const signer = createTreeHeadSigner(resolved)
  const sealer = createAuditSealer(database.db, signer, now, { onError: (err) => log.error({ err: String(err) }, 'audit sealer turn failed') })
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
    }
  } catch (err) {
    await sealer.stop()
    await jobs.stop().catch(() => undefined)
    await rateLimits.close()
    await database.close()
    throw err
  }
  return {
    deps,
    close: async () => {
      await sealer.stop()
      await jobs.stop()
      await rateLimits.close()
      await database.close()
    },
  }
}
