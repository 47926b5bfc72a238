/**
 * What services need, built once in `main.ts` (or per test file) and passed explicitly
 * (STYLE §2: no hidden globals).
 */
import type { Kysely } from 'kysely'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../db/connection.js'
import type { DB } from '../db/schema.js'
import type { AuditLog } from '../audit/audit.service.js'
import type { JobQueue } from '../jobs/job-queue.js'
import type { EncryptedBlobs } from '../storage/encrypted-blobs.js'
import type { ResolvedConfig } from './config.js'
import type { RateLimiters } from './rate-limits.js'

export interface Deps {
  config: ResolvedConfig
  database: Database
  db: Kysely<DB>
  blobs: EncryptedBlobs
  rateLimits: RateLimiters
  /** The hash-chained audit log (SPEC §4.7): `deps.audit.record(trx, actor, action, target)`. */
  audit: AuditLog
  /** The durable job queue (SPEC §5): `deps.jobs.send(trx, 'notify.email', payload)` inside the service's transaction. */
  jobs: JobQueue
  /** Injectable clock so tests can reason about expiry; defaults to `new Date()`. */
  now: () => Date
}

/** What every feature's route plugin receives: `app.register(notesRoutes, { deps })`. */
export interface RouteOptions {
  deps: Deps
}

/**
 * A feature's routes as a Fastify plugin (STYLE §9): registered under the API prefix by
 * `app/routes.ts`, typed with zod schemas, given `deps` explicitly.
 */
export type FeatureRoutes = FastifyPluginAsyncZod<RouteOptions>
