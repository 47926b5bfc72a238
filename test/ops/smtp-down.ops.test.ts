/**
 * An SMTP server that is down delays email, which is delivered after it comes back
 * (SPEC §5, §11): the verification email of a sign-up made while nothing listens on the SMTP
 * port fails its first try (connection refused), is retried with backoff (visible as
 * `retrying` in `GET /admin/jobs`), and arrives once a real SMTP listener
 * (test/helpers/smtp-sink.ts) starts on that port. Runs on both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser } from '../helpers/factories.js'
import { freePort } from '../helpers/node-process.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../helpers/test-app.js'
import { waitUntil } from '../helpers/wait.js'

let t: TestApp
let smtp: SmtpSink | undefined
let port: number

beforeAll(async () => {
  // A port nothing listens on yet: the SMTP server is "down".
  port = await freePort()
  // First retry after 1 s, doubling (TEST_SERVER_ENV); five retries.
  t = await startTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}` })
})

afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

describe('SMTP server down, then up', () => {
  it('an email queued while the SMTP server is down is delivered after it comes back', async () => {
    const admin = await createAdmin(t)
    const emailQueue = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/jobs', headers: admin.headers })
      expect(res.statusCode).toBe(200)
      return (res.json() as { queues: { name: string; retrying: number; failed: number }[] }).queues.find((q) => q.name === 'notify.email-verification')
    }
    const user = await registerUser(t)
    await waitUntil(async () => ((await emailQueue())?.retrying ?? 0) >= 1, 30_000, 'a failed try waiting for its retry')

    smtp = await startSmtpSink({ port })
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email), 60_000)
    expect(mail.subject).toBe('Confirm your email address for CareLocker')
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(user.email))).toHaveLength(1)
    expect((await emailQueue())?.failed).toBe(0)
  })
})
