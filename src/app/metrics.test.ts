/**
 * `GET /metrics` (SPEC §11) through the HTTP API on a real database (PGlite, or the
 * PostgreSQL server of `DATABASE_URL`): the route exists only with `METRICS_TOKEN`, wants
 * that bearer token, counts requests by route pattern (never an id or a token), and reads
 * the job queue — a job delayed by an hour is queue depth, an SMS that Twilio (a local
 * stub) refuses with no retries left is a failure — and, on PostgreSQL, the pool.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueueSms } from '../features/notifications/notifications.service.js'
import { registerUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { startTwilioStub, type TwilioStub } from '../../test/helpers/twilio-stub.js'
import { waitUntil } from '../../test/helpers/wait.js'

const TOKEN = randomBytes(24).toString('base64url')
/** Twilio answers 400 (invalid number) for this one. */
const INVALID_NUMBER = '+15005550001'
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

/** The value of the one sample named `name` whose labels include every pair of `labels`; undefined when none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const pairs = m[2] ? m[2].split(/,(?=[a-zA-Z_]+=")/) : []
    if (wanted.every((w) => pairs.includes(w))) return Number(m[3])
  }
  return undefined
}

describe('GET /metrics', () => {
  let t: TestApp
  let other: TestApp
  let twilio: TwilioStub

  const scrape = async (app: TestApp = t) => {
    const res = await app.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    return res.body
  }

  beforeAll(async () => {
    twilio = await startTwilioStub({ reject: (to) => to === INVALID_NUMBER })
    t = await startTestApp({ METRICS_TOKEN: TOKEN, ...twilio.env })
    other = await startTestApp({ METRICS_TOKEN: TOKEN })
  })
  afterAll(async () => {
    await t?.close()
    await other?.close()
    await twilio?.close()
  })

  it('does not exist while METRICS_TOKEN is unset: 404 problem+json, with or without a token', async () => {
    const off = await startTestApp()
    try {
      for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }]) {
        const res = await off.app.inject({ method: 'GET', url: '/metrics', headers })
        expect(res.statusCode).toBe(404)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.body).not.toContain('http_request_duration_seconds')
      }
    } finally {
      await off.close()
    }
  })

  it('refuses a missing, wrong or merely similar token with 401 problem+json', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } })
      expect(res.statusCode, authorization).toBe(401)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(res.json()).toMatchObject({ status: 401, type: 'https://carelocker.dev/problems/unauthorized' })
      expect(res.body).not.toContain('http_request_duration_seconds')
    }
  })

  it('counts requests per route pattern and status, with latency buckets, and never puts an id or a token in a label', async () => {
    const patient = await registerUser(t)
    const profile = { method: 'GET', route: '/api/v1/patients/:pid/profile' }
    const before = (await scrape()).toString()
    const countBefore = sample(before, 'http_request_duration_seconds_count', { ...profile, status_code: '200' }) ?? 0

    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, headers: patient.headers })
      expect(res.statusCode, res.body).toBe(200)
    }
    const stranger = await t.app.inject({ method: 'GET', url: `/api/v1/patients/${randomUUID()}/profile`, headers: patient.headers })
    expect(stranger.statusCode).toBe(404)
    const shareToken = randomBytes(32).toString('base64url')
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${shareToken}` })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: `/no/such/page/${randomUUID()}`, headers: patient.headers })).statusCode).toBe(404)

    const text = await scrape()
    expect(sample(text, 'http_request_duration_seconds_count', { ...profile, status_code: '200' })).toBe(countBefore + 3)
    expect(sample(text, 'http_request_duration_seconds_count', { ...profile, status_code: '404' })).toBe(1)
    expect(sample(text, 'http_request_duration_seconds_count', { route: '/api/v1/shared/:token', status_code: '404' })).toBe(1)
    expect(sample(text, 'http_request_duration_seconds_count', { route: '(unmatched)', status_code: '404' })).toBeGreaterThanOrEqual(1)
    // Cumulative buckets, up to +Inf = the count.
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...profile, status_code: '200', le: '0.005' })).toBeDefined()
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...profile, status_code: '200', le: '+Inf' })).toBe(countBefore + 3)
    expect(sample(text, 'http_request_duration_seconds_sum', { ...profile, status_code: '200' })).toBeGreaterThan(0)

    expect(text).not.toMatch(UUID)
    expect(text).not.toContain(shareToken)
    expect(text).not.toContain(TOKEN)
    expect(text).not.toContain(patient.accessToken)
  })

  it('shows job queue depth and failures from the shared queue', async () => {
    const patient = await registerUser(t)
    const sms = (to: string) => ({ template: 'emergency-alert' as const, to, data: { patientId: patient.id, accessedAt: new Date().toISOString() } })
    const depthBefore = sample(await scrape(), 'carelocker_job_queue_depth', { queue: 'notify.sms' })
    expect(depthBefore).toBeDefined()
    // Due in an hour: waits in the queue. Refused by Twilio with no retries: fails for good.
    await enqueueSms(t.deps, t.deps.db, sms('+15005550006'), { startAfter: new Date(Date.now() + 3_600_000) })
    await enqueueSms(t.deps, t.deps.db, sms(INVALID_NUMBER), { retryLimit: 0 })

    const text = await waitUntil(async () => {
      const body = await scrape()
      return (sample(body, 'carelocker_job_queue_failed', { queue: 'notify.sms' }) ?? 0) >= 1 ? body : undefined
    }, 20_000, 'the refused SMS to fail')
    expect(sample(text, 'carelocker_job_queue_depth', { queue: 'notify.sms' })).toBe((depthBefore ?? 0) + 1)
    expect(sample(text, 'carelocker_job_queue_active', { queue: 'notify.email' })).toBeDefined()
    expect(sample(text, 'carelocker_job_queue_healthy')).toBe(1)
    expect(sample(text, 'carelocker_database_up')).toBe(1)
  })

  it('shows process memory, and the connection pool on PostgreSQL', async () => {
    const text = await scrape()
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    const total = sample(text, 'carelocker_db_pool_connections', { state: 'total' })
    if (t.deps.database.engine === 'postgres') {
      expect(total).toBeGreaterThanOrEqual(1)
      expect(sample(text, 'carelocker_db_pool_connections', { state: 'idle' })).toBeDefined()
      expect(sample(text, 'carelocker_db_pool_connections', { state: 'waiting' })).toBe(0)
    } else {
      expect(total).toBeUndefined() // PGlite is one embedded session, no pool
    }
  })

  it('keeps each app its own registry: requests to one app are not counted by another', async () => {
    const route = { method: 'GET', route: '/health', status_code: '200' }
    const before = sample(await scrape(other), 'http_request_duration_seconds_count', route) ?? 0
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    expect((await other.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    expect(sample(await scrape(other), 'http_request_duration_seconds_count', route)).toBe(before + 1)
  })

  it('counts a HEAD request once, as HEAD', async () => {
    const head = { method: 'HEAD', route: '/health', status_code: '200' }
    const get = { method: 'GET', route: '/health', status_code: '200' }
    const text = await scrape(other)
    const [headBefore, getBefore] = [sample(text, 'http_request_duration_seconds_count', head) ?? 0, sample(text, 'http_request_duration_seconds_count', get) ?? 0]
    expect((await other.app.inject({ method: 'HEAD', url: '/health' })).statusCode).toBe(200)
    const after = await scrape(other)
    expect(sample(after, 'http_request_duration_seconds_count', head)).toBe(headBefore + 1)
    expect(sample(after, 'http_request_duration_seconds_count', get) ?? 0).toBe(getBefore)
  })
})
