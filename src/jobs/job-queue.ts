/**
 * The durable job queue (SPEC §5): pg-boss 10 on the application's own PostgreSQL, so a
 * job is a row — it survives a restart, is retried with exponential backoff, and a
 * failure stays visible (`GET /admin/jobs`).
 *
 * Enqueueing goes through the caller's Kysely transaction (`send(trx, …)`), so a job
 * exists only if the business write committed (STYLE §2).
 *
 * Engines:
 * - PostgreSQL: pg-boss runs on a small pool of its own (`DATABASE_URL`).
 * - PGlite (one embedded session, no socket): pg-boss gets a `db` adapter that runs
 *   every statement through our Kysely instance, i.e. behind the dialect's connection
 *   mutex, so it never lands inside a transaction another caller has open. PGlite's
 *   `query()` takes a single statement; pg-boss's schema install and maintenance send
 *   parameter-less multi-statement scripts (`BEGIN; … COMMIT;`), which go to PGlite's
 *   `exec()` while the adapter holds the connection. `FOR UPDATE SKIP LOCKED`,
 *   `pg_advisory_xact_lock`, partitioned tables and PL/pgSQL all work in PGlite; pg-boss
 *   10 polls and uses no LISTEN/NOTIFY.
 *
 * Every job runs once across any number of processes on one database (SPEC §11): pg-boss
 * fetches with `FOR UPDATE SKIP LOCKED` and moves a fetched job to `active` in the same
 * statement, so two workers never get the same job.
 */
import { sql, type Kysely } from 'kysely'
import PgBoss from 'pg-boss'
import type { ResolvedConfig } from '../app/config.js'
import type { Database } from '../db/connection.js'
import type { DB } from '../db/schema.js'
import { moveQueuedJobs } from './job-moves.js'
import { pgliteAdapter, transactionAdapter } from './pg-boss-adapters.js'

/**
 * Job name → payload type. Each feature that owns jobs adds its names by declaration
 * merging in its `<feature>.jobs.ts`:
 *
 * ```ts
 * declare module '../../jobs/job-queue.js' {
 *   interface JobPayloads { 'notify.email': EmailJob }
 * }
 * ```
 */
export interface JobPayloads {}

export type JobName = keyof JobPayloads & string

/** What a handler learns about the job it runs. `attempt` starts at 1. */
export interface JobContext {
  id: string
  name: JobName
  attempt: number
  /** Tries in all (first try + retries). */
  maxAttempts: number
}

/**
 * Runs one job. Throw to fail the try (it is retried with backoff until the retry limit,
 * then kept as `failed`, its error stored with it). The returned record is logged: put ids
 * and counts in it, never personal data (SPEC §6).
 */
export type JobHandler<N extends JobName> = (
  payload: JobPayloads[N],
  job: JobContext,
) => Promise<Record<string, unknown> | void>

export interface JobSendOptions {
  /** Not before this instant. */
  startAfter?: Date
  /**
   * Throttle: at most one job per `singletonKey` in each `singletonSeconds` slot (slots
   * are aligned to the epoch, not to the last job); a throttled `send` returns null.
   */
  singletonKey?: string
  singletonSeconds?: number
  /**
   * Retries after the first try; defaults to `JOB_RETRY_LIMIT` (≥ 3). Lower it only for a
   * job that must not be repeated.
   */
  retryLimit?: number
}

/** Jobs of an earlier release's queue that this handler now runs (see `moveQueuedJobs`). */
export interface JobAdoption<N extends JobName> {
  /** The queue they were sent to. */
  from: string
  /** Payload fields that single them out. */
  match: Record<string, unknown>
  /** Their payload in this queue's shape; throw for one that cannot be read (it stays). */
  payload: (legacy: unknown) => JobPayloads[N]
}

export interface WorkOptions<N extends JobName> {
  adopt?: JobAdoption<N>
}

export interface QueueStats {
  name: string
  /** Waiting for their first try. */
  queued: number
  active: number
  completed: number
  /** Out of tries; kept until archived (14 days). */
  failed: number
  /** Failed at least once, waiting for the next try. */
  retrying: number
}

export interface JobStats {
  queues: QueueStats[]
  /** Workers run and no job is overdue by more than 5 minutes. */
  healthy: boolean
}

/** Structured logging of ids and counts only; a pino logger fits. */
export interface JobLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface JobQueue {
  /**
   * Enqueues `payload` for the handler of `name`, inside `trx` (a Kysely transaction, or
   * the database for a one-statement write), so the job is committed or rolled back with
   * the caller's writes. Returns the job id, or null when throttled by `singletonKey`.
   * Throws when no handler is registered for `name` (nothing is silently dropped).
   */
  send<N extends JobName>(trx: Kysely<DB>, name: N, payload: JobPayloads[N], options?: JobSendOptions): Promise<string | null>
  /**
   * Registers the handler of `name` (one per name). Registered before `start()`, it
   * starts with it; after, it starts at once. `options.adopt`: jobs an earlier release
   * queued elsewhere for this handler, moved here when its queue is created (job-moves.ts).
   */
  work<N extends JobName>(name: N, handler: JobHandler<N>, options?: WorkOptions<N>): Promise<void>
  /** Installs or migrates pg-boss's schema, creates the queues and starts their workers (unless `workers: false`). */
  start(): Promise<void>
  /**
   * Stops polling, waits up to `stopTimeoutMs` for running jobs (those still running are
   * marked failed, hence retried later) and waits for in-flight statements, so the
   * database can be closed right after.
   */
  stop(): Promise<void>
  /** Counts per queue and state, for `GET /admin/jobs` (SPEC §4.1, §5). */
  stats(): Promise<JobStats>
}

export interface JobQueueOptions {
  database: Database
  config: Pick<ResolvedConfig, 'databaseUrl' | 'jobs'>
  log: JobLogger
  /** Default 10 s. */
  stopTimeoutMs?: number
  /**
   * Run workers in this process (default true). False still installs the schema and
   * creates the queues, so `send` works (a CLI, a process that only enqueues).
   */
  workers?: boolean
}

const SCHEMA = 'pgboss'
/** A running handler that takes longer is failed (and retried). */
const HANDLER_TIMEOUT_SECONDS = 5 * 60
/** A job waiting this long past its start time means the workers are not keeping up. */
const OVERDUE_SECONDS = 5 * 60
const DAY = 24 * 60 * 60
/**
 * Throughput (SPEC §5: a burst drains at ≥ 50 messages/s per queue, not one per poll): each
 * worker fetches up to BATCH_SIZE jobs at once and runs them concurrently, each completed or
 * failed on its own; a full batch fetches again at once. WORKERS_PER_QUEUE workers per queue
 * (each its own poll loop), so one slow job does not hold the next batch back; up to
 * BATCH_SIZE × WORKERS_PER_QUEUE jobs of a queue are in flight per process.
 */
const BATCH_SIZE = 25
const WORKERS_PER_QUEUE = 2

/**
 * Creates the queue (not started). On PGlite `database.pglite` must be set. Sources:
 * pg-boss 10 (`send` with a per-call `db`, queues created before use, `retryBackoff`:
 * delay × 2^n with jitter).
 */
export function createJobQueue(opts: JobQueueOptions): JobQueue {
  const { database, config, log } = opts
  const stopTimeoutMs = opts.stopTimeoutMs ?? 10_000
  const runWorkers = opts.workers ?? true
  const { pollIntervalSeconds, retryLimit, retryDelaySeconds } = config.jobs
  const adapter = database.engine === 'pglite' ? pgliteAdapter(database) : undefined

  const bossOptions: PgBoss.ConstructorOptions = {
    schema: SCHEMA,
    // Cron scheduling and its clock-skew checks are not used.
    schedule: false,
    supervise: true,
    migrate: true,
    retryLimit,
    retryDelay: retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: HANDLER_TIMEOUT_SECONDS,
    // Completed jobs move to the archive after a day, failed ones after 14 days, and the
    // archive is emptied after 30 days.
    archiveCompletedAfterSeconds: DAY,
    archiveFailedAfterSeconds: 14 * DAY,
    deleteAfterDays: 30,
  }
  const boss = adapter
    ? new PgBoss({ ...bossOptions, db: adapter as PgBoss.Db })
    : new PgBoss({ ...bossOptions, connectionString: config.databaseUrl, max: 3, application_name: 'carelocker-jobs' })
  boss.on('error', (err: unknown) => log.error({ component: 'jobs', err: errorSummary(err) }, 'job queue error'))

  const handlers = new Map<JobName, JobHandler<JobName>>()
  const adoptions = new Map<JobName, JobAdoption<JobName>>()
  let state: 'new' | 'starting' | 'running' | 'stopped' = 'new'
  const loops: Promise<void>[] = []
  /** Job id → queue of every job running in this process. */
  const running = new Map<string, JobName>()
  const idle = createSleeper()
  let stopping = false

  const queueOptions = { policy: 'standard' as const, retryLimit, retryDelay: retryDelaySeconds, retryBackoff: true, expireInSeconds: HANDLER_TIMEOUT_SECONDS }

  /**
   * Runs one job of a fetched batch. A failure is recorded on that job alone (retried with
   * backoff, or failed for good); resolves true on success, for the batch's one completion.
   */
  async function runJob(name: JobName, handler: JobHandler<JobName>, job: PgBoss.JobWithMetadata<JobPayloads[JobName]>): Promise<boolean> {
    const context: JobContext = { id: job.id, name, attempt: job.retryCount + 1, maxAttempts: job.retryLimit + 1 }
    const started = Date.now()
    const fields = { component: 'jobs', queue: name, jobId: job.id, attempt: context.attempt }
    try {
      const result = await handler(job.data, context)
      log.info({ ...fields, ms: Date.now() - started, ...result }, 'job done')
      return true
    } catch (err) {
      const final = context.attempt >= context.maxAttempts
      const msg = final ? 'job failed, no tries left' : 'job failed, will retry'
      log[final ? 'error' : 'warn']({ ...fields, ms: Date.now() - started, err: errorSummary(err) }, msg)
      // The error is kept with the job, in the database (not the log), for `GET /admin/jobs`.
      await boss.fail(name, job.id, err instanceof Error ? err : { value: String(err) })
      return false
    }
  }

  /**
   * Runs a fetched batch: every job at once, failures recorded one by one (in `runJob`), the
   * successes completed in one statement. Never throws: a completion the database refuses
   * leaves those jobs active until pg-boss expires them, then they are retried.
   */
  async function runBatch(name: JobName, handler: JobHandler<JobName>, jobs: PgBoss.JobWithMetadata<JobPayloads[JobName]>[]): Promise<void> {
    for (const job of jobs) running.set(job.id, name)
    try {
      const outcomes = await Promise.allSettled(jobs.map((job) => withTimeout(runJob(name, handler, job), HANDLER_TIMEOUT_SECONDS * 1000)))
      const done = jobs.filter((_, i) => {
        const o = outcomes[i]
        return o?.status === 'fulfilled' && o.value
      })
      if (done.length > 0) await boss.complete(name, done.map((j) => j.id))
      const unrecorded = outcomes.filter((o) => o.status === 'rejected').length
      if (unrecorded > 0) log.error({ component: 'jobs', queue: name, jobs: unrecorded }, 'job outcome not recorded; retried after it expires')
    } catch (err) {
      log.error({ component: 'jobs', queue: name, jobs: jobs.length, err: errorSummary(err) }, 'job completion not recorded; retried after it expires')
    } finally {
      for (const job of jobs) running.delete(job.id)
    }
  }

  /**
   * One worker of `name`: fetch up to BATCH_SIZE jobs, run them, and fetch again at once
   * after a full batch or after `pollIntervalSeconds` otherwise, until stopped. Our own loop
   * rather than pg-boss's `work()`, whose completion after each batch is not awaited (an
   * unhandled rejection, i.e. a crash, when the database goes away at that moment).
   */
  async function pollLoop(name: JobName, handler: JobHandler<JobName>): Promise<void> {
    while (!stopping) {
      // pg-boss's fetch answers [] when the database does not answer.
      const jobs = await boss.fetch<JobPayloads[JobName]>(name, { batchSize: BATCH_SIZE, includeMetadata: true })
      if (jobs.length > 0) await runBatch(name, handler, jobs)
      if (jobs.length < BATCH_SIZE && !stopping) await idle.sleep(pollIntervalSeconds * 1000)
    }
  }

  /**
   * Creates `name`'s queue (or brings its retry policy up to date) and moves into it the
   * jobs it adopts. Every queue is prepared before any worker polls, so a worker of an old
   * queue never fetches a job that is about to move.
   */
  async function prepareQueue(name: JobName): Promise<void> {
    await boss.createQueue(name, { name, ...queueOptions })
    // createQueue leaves an existing queue alone: bring its retry policy up to date.
    await boss.updateQueue(name, { name, ...queueOptions })
    const adopt = adoptions.get(name)
    if (!adopt) return
    const { moved, left } = await moveQueuedJobs(database.db.withoutPlugins(), { schema: SCHEMA, ...adopt, to: name })
    if (moved + left > 0) log[left > 0 ? 'warn' : 'info']({ component: 'jobs', queue: name, from: adopt.from, moved, left }, 'queued jobs of an earlier release moved')
  }

  function startWorkers(name: JobName, handler: JobHandler<JobName>): void {
    if (!runWorkers) return
    for (let i = 0; i < WORKERS_PER_QUEUE; i++) loops.push(pollLoop(name, handler))
  }

  /** Waits for the poll loops up to `stopTimeoutMs`; jobs still running then are failed, so they are retried. */
  async function stopLoops(): Promise<void> {
    stopping = true
    idle.wakeAll()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), stopTimeoutMs)
    })
    const outcome = await Promise.race([Promise.all(loops).then(() => 'done' as const), timedOut])
    clearTimeout(timer)
    if (outcome === 'done') return
    for (const [id, name] of running) {
      await boss.fail(name, id, { value: 'the worker stopped while this job ran' }).catch(() => undefined)
    }
  }

  return {
    async send(trx, name, payload, options = {}) {
      if (!handlers.has(name)) throw new Error(`No job handler is registered for "${name}".`)
      const sendOptions: PgBoss.SendOptions = { db: transactionAdapter(trx) as PgBoss.Db }
      if (options.startAfter) sendOptions.startAfter = options.startAfter
      if (options.singletonKey !== undefined) sendOptions.singletonKey = options.singletonKey
      if (options.singletonSeconds !== undefined) sendOptions.singletonSeconds = options.singletonSeconds
      if (options.retryLimit !== undefined) sendOptions.retryLimit = options.retryLimit
      const id = await boss.send(name, payload as object, sendOptions)
      if (id === null && options.singletonKey === undefined && options.singletonSeconds === undefined) {
        throw new Error(`The job queue "${name}" does not exist; was the job queue started?`)
      }
      return id
    },

    async work(name, handler, options = {}) {
      if (handlers.has(name)) throw new Error(`A job handler for "${name}" is already registered.`)
      handlers.set(name, handler as unknown as JobHandler<JobName>)
      if (options.adopt) adoptions.set(name, options.adopt as JobAdoption<JobName>)
      if (state !== 'running') return
      await prepareQueue(name)
      startWorkers(name, handler as unknown as JobHandler<JobName>)
    },

    async start() {
      if (state !== 'new') throw new Error('The job queue was already started.')
      state = 'starting'
      await boss.start()
      for (const name of handlers.keys()) await prepareQueue(name)
      for (const [name, handler] of handlers) startWorkers(name, handler)
      state = 'running'
      log.info({ component: 'jobs', engine: database.engine, queues: [...handlers.keys()], workers: runWorkers, pollIntervalSeconds }, 'job queue started')
    },

    async stop() {
      if (state === 'stopped') return
      const wasStarted = state !== 'new'
      state = 'stopped'
      if (wasStarted) {
        await stopLoops()
        await boss.stop({ graceful: true, timeout: stopTimeoutMs, close: true, wait: true })
      }
      await adapter?.close()
    },

    async stats() {
      const { rows } = await sql<{ name: string; state: string | null; n: number }>`
        SELECT q.name, j.state::text AS state, count(j.id)::int AS n
        FROM ${sql.table(`${SCHEMA}.queue`)} q
        LEFT JOIN ${sql.table(`${SCHEMA}.job`)} j ON j.name = q.name
        WHERE NOT starts_with(q.name, '__pgboss')
        GROUP BY q.name, j.state
        ORDER BY q.name`.execute(database.db.withoutPlugins())
      const overdue = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM ${sql.table(`${SCHEMA}.job`)}
        WHERE state < 'active' AND start_after < now() - make_interval(secs => ${OVERDUE_SECONDS})`.execute(database.db.withoutPlugins())
      const byName = new Map<string, QueueStats>()
      for (const row of rows) {
        const q = byName.get(row.name) ?? { name: row.name, queued: 0, active: 0, completed: 0, failed: 0, retrying: 0 }
        byName.set(row.name, q)
        if (row.state === 'created') q.queued += row.n
        else if (row.state === 'retry') q.retrying += row.n
        else if (row.state === 'active') q.active += row.n
        else if (row.state === 'completed') q.completed += row.n
        else if (row.state === 'failed') q.failed += row.n
      }
      return { queues: [...byName.values()], healthy: state === 'running' && (overdue.rows[0]?.n ?? 0) === 0 }
    },
  }
}

/** Sleeps that `wakeAll` ends early (a stop does not wait out a poll interval). */
function createSleeper() {
  const waiting = new Set<() => void>()
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          waiting.delete(done)
          resolve()
        }
        const timer = setTimeout(done, ms)
        waiting.add(done)
      }),
    wakeAll: () => {
      for (const done of [...waiting]) done()
    },
  }
}

/** `promise`, or a rejection after `ms` (the promise keeps running; its outcome is dropped). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** An error as log fields without its message (which may quote an address, SPEC §6). */
export function errorSummary(err: unknown): Record<string, string | number> {
  if (!(err instanceof Error)) return { type: typeof err }
  const e = err as Error & { code?: unknown; responseCode?: unknown; status?: unknown }
  const out: Record<string, string | number> = { type: e.name }
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code
  if (typeof e.responseCode === 'number') out.responseCode = e.responseCode
  if (typeof e.status === 'number') out.status = e.status
  return out
}
