/**
 * Prometheus metrics (SPEC §11): `GET /metrics` in the text exposition format (prom-client),
 * behind `Authorization: Bearer $METRICS_TOKEN`. With `METRICS_TOKEN` unset the route does
 * not exist (404 like any unknown URL) and no request is measured.
 *
 * What it exposes, on a registry of this app's own (never prom-client's global one, so
 * several apps in one process — tests — keep apart):
 * - `http_request_duration_seconds{method, route, status_code}`: a histogram per route
 *   pattern (`/api/v1/patients/:pid/records/:id`, never the raw URL, so no id or token is
 *   ever a label); `_count` is the request count. Requests that match no route are
 *   `route="(unmatched)"`. Measured from Fastify's `reply.elapsedTime` in one `onResponse`
 *   hook per route whose labels are built when the route is registered.
 * - `carelocker_job_queue_depth{queue}` (jobs waiting: queued + waiting for a retry),
 *   `carelocker_job_queue_active{queue}`, `carelocker_job_queue_failed{queue}` (out of
 *   tries, kept 14 days), `carelocker_job_queue_healthy` (1: workers run and nothing is
 *   overdue by 5 minutes) — read from the shared database at scrape time, so every node
 *   reports the same values (aggregate with `max`, not `sum`).
 * - `carelocker_database_up` (1 when the database answered this scrape within 2 s).
 * - `carelocker_db_pool_connections{state="total"|"idle"|"waiting"}` on PostgreSQL: this
 *   node's pool (waiting = queries queued for a free connection).
 * - prom-client's default process metrics: resident memory, heap, event-loop lag, GC, CPU.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { App } from './app-types.js'
import type { Deps } from './deps.js'
import { AppError } from './errors.js'

/** The route label of a request that matched no route (404, 405). */
export const UNMATCHED_ROUTE = '(unmatched)'

/** Seconds; from a fast cached read to a slow upload. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/** The database part of a scrape gives up after this long (the rest is still served). */
const SCRAPE_DB_TIMEOUT_MS = 2_000

type Labels = { method: string; route: string; status_code: number }
type Observer = (req: FastifyRequest, reply: FastifyReply, done: () => void) => void

/**
 * Instruments every route registered after this call (call it before any route) when
 * `deps.config.metricsToken` is set, and returns the app's registry; returns undefined and
 * adds nothing when it is unset.
 */
export function instrumentRequests(app: App, deps: Deps): Registry | undefined {
  if (deps.config.metricsToken === undefined) return undefined
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status: latency in seconds (_count: requests).',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  })

  /** An onResponse hook for one route: its labels per status are built once, then reused. */
  const observer = (method: string | undefined, route: string): Observer => {
    const byStatus = new Map<string, Labels>()
    return (req, reply, done) => {
      const m = method ?? req.method
      const key = method === undefined ? `${m} ${reply.statusCode}` : String(reply.statusCode)
      let labels = byStatus.get(key)
      if (labels === undefined) {
        labels = { method: m, route, status_code: reply.statusCode }
        byStatus.set(key, labels)
      }
      requests.observe(labels, reply.elapsedTime / 1000)
      done()
    }
  }

  app.addHook('onRoute', (route) => {
    const hooks = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]
    const method = typeof route.method === 'string' ? route.method : undefined
    route.onResponse = [...hooks, observer(method, route.url ?? route.path)]
  })
  // Requests that reach no route (the not-found handler) carry no route hooks.
  const unmatched = observer(undefined, UNMATCHED_ROUTE)
  app.addHook('onResponse', (req, reply, done) => (req.is404 ? unmatched(req, reply, done) : done()))
  app.addHook('onClose', async () => registry.clear())
  return registry
}

/**
 * Registers `GET /metrics` (after the error handlers, so its errors are problem+json).
 * Without a registry (METRICS_TOKEN unset) it answers 404 `not-found` to everyone, as for
 * a route that does not exist (a scraper is told "no metrics here", not "wrong token").
 * With one: 401 problem+json (`WWW-Authenticate: Bearer`) unless the request carries
 * `Authorization: Bearer $METRICS_TOKEN` (compared in constant time), else 200 text.
 */
export function registerMetricsRoute(app: App, deps: Deps, registry: Registry | undefined): void {
  const token = deps.config.metricsToken
  const options = { config: { access: 'public' as const }, schema: { hide: true } }
  if (registry === undefined || token === undefined) {
    app.get('/metrics', options, async () => {
      throw new AppError(404, 'not-found', 'Not found', 'No route GET /metrics.')
    })
    return
  }
  const scrapeDatabase = databaseGauges(registry, deps)
  const expected = digest(token)
  app.get('/metrics', options, async (req, reply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new AppError(401, 'unauthorized', 'Not authenticated', 'A valid metrics token is required.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      })
    }
    await scrapeDatabase()
    return reply.header('cache-control', 'no-store').type(registry.contentType).send(await registry.metrics())
  })
}

/** SHA-256 of a token: equal-length inputs for `timingSafeEqual`, whatever was sent. */
const digest = (token: string): Buffer => createHash('sha256').update(token).digest()

/**
 * The gauges read from the database and the pool, and the function that refreshes them
 * before each scrape (one `jobs.stats()` call, bounded by SCRAPE_DB_TIMEOUT_MS). While the
 * database does not answer, the queue gauges are emptied and `carelocker_database_up` is 0.
 */
function databaseGauges(registry: Registry, deps: Deps): () => Promise<void> {
  const registers = [registry]
  const up = new Gauge({ name: 'carelocker_database_up', help: '1 when the database answered this scrape.', registers })
  const depth = new Gauge({ name: 'carelocker_job_queue_depth', help: 'Jobs waiting to run: queued plus waiting for a retry.', labelNames: ['queue'] as const, registers })
  const active = new Gauge({ name: 'carelocker_job_queue_active', help: 'Jobs running now.', labelNames: ['queue'] as const, registers })
  const failed = new Gauge({ name: 'carelocker_job_queue_failed', help: 'Jobs out of tries (kept 14 days, listed in GET /api/v1/admin/jobs).', labelNames: ['queue'] as const, registers })
  const healthy = new Gauge({ name: 'carelocker_job_queue_healthy', help: '1 when workers run and no job is overdue by more than 5 minutes.', registers })
  const poolStats = deps.database.poolStats
  if (poolStats) {
    new Gauge({
      name: 'carelocker_db_pool_connections',
      help: "This node's PostgreSQL pool: total and idle connections, and queries waiting for one.",
      labelNames: ['state'] as const,
      registers,
      collect() {
        const s = poolStats()
        this.set({ state: 'total' }, s.total)
        this.set({ state: 'idle' }, s.idle)
        this.set({ state: 'waiting' }, s.waiting)
      },
    })
  }
  return async () => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), SCRAPE_DB_TIMEOUT_MS)
    })
    depth.reset()
    active.reset()
    failed.reset()
    try {
      const pending = deps.jobs.stats()
      pending.catch(() => undefined) // a late failure after the timeout is not unhandled
      const stats = await Promise.race([pending, timeout])
      for (const q of stats.queues) {
        depth.set({ queue: q.name }, q.queued + q.retrying)
        active.set({ queue: q.name }, q.active)
        failed.set({ queue: q.name }, q.failed)
      }
      healthy.set(stats.healthy ? 1 : 0)
      up.set(1)
    } catch {
      healthy.set(0)
      up.set(0)
    } finally {
      clearTimeout(timer)
    }
  }
}
