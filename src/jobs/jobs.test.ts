import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueueSms } from '../features/notifications/notifications.service.js'
import { createAdmin, registerUser } from '../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../test/helpers/smtp-sink.js'
import { durableData, type DurableData } from '../../test/helpers/durable-data.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { startTwilioStub, type TwilioStub } from '../../test/helpers/twilio-stub.js'
import { waitUntil } from '../../test/helpers/wait.js'

/** Twilio answers 400 (invalid number) for this one. */
const INVALID_NUMBER = '+15005550001'

describe('the job queue', () => {
  let t: TestApp
  let smtp: SmtpSink
  let twilio: TwilioStub
  let data: DurableData | undefined
  const beforeRestart = { email: '', queued: undefined as unknown, received: -1 }

  beforeAll(async () => {
    smtp = await startSmtpSink()
    twilio = await startTwilioStub({ reject: (to) => to === INVALID_NUMBER })
    data = await durableData('jobs')
    const env = { ...data.env, SMTP_URL: smtp.url, ...twilio.env }
    // Before the restart: this run's workers poll once at start, then sleep, so the
    // verification email of this registration is still queued when the app stops.
    const first = await startTestApp({ ...env, JOB_POLL_INTERVAL_SECONDS: '600' })
    try {
      beforeRestart.email = (await registerUser(first)).email
      beforeRestart.queued = (await first.deps.jobs.stats()).queues.find((q) => q.name === 'notify.email-verification')
    } finally {
      await first.close()
    }
    beforeRestart.received = smtp.messages.length
    t = await startTestApp(env)
  })
  afterAll(async () => {
    await t?.close()
    await data?.remove()
    await smtp?.close()
    await twilio?.close()
  })

  it('a job enqueued before a restart is delivered after it', async () => {
    expect(beforeRestart.queued).toMatchObject({ queued: 1, completed: 0 })
    expect(beforeRestart.received).toBe(0)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(beforeRestart.email))
    expect(mail.subject).toBe('Confirm your email address for CareLocker')
  })

  it('GET /admin/jobs counts jobs per queue and keeps a failed job visible', async () => {
    const patient = await registerUser(t)
    await smtp.waitFor((m) => m.envelopeTo.includes(patient.email))
    // No retries for this one, so it fails for good at once.
    const failedId = await t.deps.db.transaction().execute((trx) =>
      enqueueSms(t.deps, trx, { template: 'emergency-alert', to: INVALID_NUMBER, data: { patientId: patient.id, accessedAt: new Date().toISOString() } }, { retryLimit: 0 }),
    )
    const admin = await createAdmin(t)
    const body = await waitUntil(async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: admin.headers })
      expect(res.statusCode, res.body).toBe(200)
      const status = res.json() as { queues: { name: string; failed: number; completed: number }[]; healthy: boolean }
      return status.queues.find((q) => q.name === 'notify.sms')?.failed === 1 ? status : undefined
    }, 10_000, 'the failed SMS job')
    expect(body.healthy).toBe(true)
    const email = body.queues.find((q) => q.name === 'notify.email-verification')
    expect(email).toMatchObject({ queued: 0, active: 0, failed: 0, retrying: 0 })
    expect(email?.completed).toBeGreaterThanOrEqual(1)
    expect(Object.keys(body.queues.find((q) => q.name === 'notify.sms') ?? {}).sort()).toEqual(['active', 'completed', 'failed', 'name', 'queued', 'retrying'])
    // The failure keeps its error (in the database, not the log).
    const { rows } = await sql<{ state: string; output: { message?: string } }>`SELECT state::text AS state, output FROM pgboss.job WHERE id = ${failedId}`.execute(t.deps.db.withoutPlugins())
    expect(rows[0]?.state).toBe('failed')
    expect(rows[0]?.output.message).toContain('not a valid phone number')
  })

  it('GET /admin/jobs is 403 for every role but admin, 401 without a token', async () => {
    for (const role of ['patient', 'doctor', 'pharmacist'] as const) {
      const user = await registerUser(t, role)
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: user.headers })
      expect(res.statusCode, role).toBe(403)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('a rolled-back transaction enqueues nothing; a committed one enqueues its job', async () => {
    const patient = await registerUser(t)
    const marker = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`
    const job = { template: 'emergency-alert' as const, to: marker, data: { patientId: patient.id, accessedAt: new Date().toISOString() } }
    const rollback = new Error('rolled back on purpose')
    await expect(
      t.deps.db.transaction().execute(async (trx) => {
        expect(await enqueueSms(t.deps, trx, job)).toMatch(/^[0-9a-f-]{36}$/)
        throw rollback
      }),
    ).rejects.toBe(rollback)
    const count = async () => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE data->>'to' = ${marker}`.execute(t.deps.db)
      return rows[0]?.n
    }
    expect(await count()).toBe(0)
    await t.deps.db.transaction().execute((trx) => enqueueSms(t.deps, trx, job))
    expect(await count()).toBe(1)
    await twilio.waitFor((m) => m.to === marker)
    expect(twilio.messages.filter((m) => m.to === marker)).toHaveLength(1)
  })

  it('a failed registration (email taken) enqueues no verification email', async () => {
    const first = await registerUser(t)
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: first.email, password: 'correct horse battery', role: 'patient', name: 'Copy' },
    })
    expect(res.statusCode).toBe(409)
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job j JOIN users u ON u.id::text = j.data->>'userId'
      WHERE j.name = 'notify.email-verification' AND lower(u.email) = ${first.email}`.execute(t.deps.db)
    expect(rows[0]?.n).toBe(1)
  })
})
