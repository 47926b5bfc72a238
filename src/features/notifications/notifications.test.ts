import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { startTwilioStub, TWILIO_TEST, type TwilioStub } from '../../../test/helpers/twilio-stub.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import { enqueueEmail, enqueueSms } from './notifications.service.js'

const { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN, from: TWILIO_FROM } = TWILIO_TEST
const ACCESSED_AT = '2026-11-20T08:15:42.000Z'
const SMTP_AUTH = { user: 'mailer', pass: 'smtp secret' }

describe('notifications through SMTP and Twilio', () => {
  let smtp: SmtpSink
  let twilio: TwilioStub
  let t: TestApp

  beforeAll(async () => {
    smtp = await startSmtpSink({ auth: SMTP_AUTH })
    twilio = await startTwilioStub()
    t = await startTestApp({
      SMTP_URL: smtp.url,
      MAIL_FROM: 'CareLocker <no-reply@carelocker.test>',
      ...twilio.env,
    })
  })
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
    await twilio?.close()
  })

  /** Registers through the API and clicks the emailed verification link: the welcome email follows verification (SPEC §5, §8). */
  const registerAndVerify = async (role: 'patient' | 'doctor', fields: Record<string, string> = {}) => {
    const user = await registerUser(t, role, fields, { emailVerified: false })
    const link = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'Confirm your email address for CareLocker')
    const token = /verify-email#([A-Za-z0-9_-]{43})/.exec(link.text ?? '')?.[1]
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token } })
    expect(res.statusCode, res.body).toBe(200)
    return user
  }

  it('a verified new account gets a welcome email with a text and an HTML part at the SMTP server', async () => {
    const user = await registerAndVerify('patient', { name: 'Ann <b>& "Bo"</b>' })
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'Welcome to CareLocker')
    expect(mail.user).toBe('mailer')
    expect(mail.headers.to).toContain(user.email)
    expect(mail.headers.from).toBe('CareLocker <no-reply@carelocker.test>')
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative/)
    expect(mail.text).toContain('Hello Ann <b>& "Bo"</b>,')
    expect(mail.text).toContain('http://carelocker.test')
    // The name is escaped in HTML: no markup of the user's reaches the email.
    expect(mail.html).toContain('Hello Ann &lt;b&gt;&amp; &quot;Bo&quot;&lt;/b&gt;,')
    expect(mail.html).not.toContain('<b>&')
  })

  it('a doctor is told that an administrator verifies the account', async () => {
    const doctor = await registerAndVerify('doctor')
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(doctor.email) && m.subject === 'Welcome to CareLocker')
    expect(mail.text).toContain('An administrator will verify your account')
  })

  it('the emergency access email names the time of access in UTC', async () => {
    const patient = await registerUser(t)
    await t.deps.db.transaction().execute((trx) =>
      enqueueEmail(t.deps, trx, { template: 'emergency-access', to: { userId: patient.id }, data: { accessedAt: ACCESSED_AT } }),
    )
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && m.subject.includes('Emergency access'))
    expect(mail.subject).toBe('Emergency access to your CareLocker record')
    expect(mail.text).toContain('2026-11-20 08:15 UTC')
    expect(mail.html).toContain('2026-11-20 08:15 UTC')
  })

  it('a password reset code is emailed, and the queued job holds it only sealed', async () => {
    const patient = await registerUser(t)
    const code = '40817263'
    const jobId = await t.deps.db.transaction().execute((trx) =>
      enqueueEmail(t.deps, trx, { template: 'password-reset-code', to: { userId: patient.id }, data: { code, expiresInMinutes: 10 } }),
    )
    const { rows } = await sql<{ data: string }>`SELECT data::text AS data FROM pgboss.job WHERE id = ${jobId}`.execute(t.deps.db)
    expect(rows[0]?.data).toContain('sealedCode')
    expect(rows[0]?.data).not.toContain(code)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && m.subject.includes('reset code'))
    expect(mail.text).toContain(`Your password reset code is: ${code}`)
    expect(mail.text).toContain('expires in 10 minutes')
  })

  it('an emergency alert SMS reaches the Twilio Messages API with the patient name and the UTC time', async () => {
    const patient = await registerUser(t, 'patient', { name: 'Ann Example' })
    const to = '+4915112345678'
    await t.deps.db.transaction().execute((trx) =>
      enqueueSms(t.deps, trx, { template: 'emergency-alert', to, data: { patientId: patient.id, accessedAt: ACCESSED_AT } }),
    )
    const sms = await twilio.waitFor((m) => m.to === to)
    expect(sms).toMatchObject({ accountSid: TWILIO_SID, from: TWILIO_FROM, username: TWILIO_SID, password: TWILIO_TOKEN })
    expect(sms.body).toContain('of Ann E was opened')
    expect(sms.body).toContain('2026-11-20 08:15 UTC')
  })

  it('an email that failed while the SMTP server was down is retried and delivered when it is back', async () => {
    const { port } = smtp
    await smtp.close()
    const user = await registerUser(t)
    const jobOf = async () => {
      const { rows } = await sql<{ state: string; retryCount: number }>`
        SELECT state::text AS state, retry_count AS "retryCount" FROM pgboss.job
        WHERE name = 'notify.email-verification' AND data->>'userId' = ${user.id}`.execute(t.deps.db.withoutPlugins())
      return rows[0]
    }
    await waitUntil(async () => (await jobOf())?.state === 'retry', 10_000, 'the job to wait for a retry')
    smtp = await startSmtpSink({ port, auth: SMTP_AUTH })
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email), 15_000)
    expect(mail.subject).toBe('Confirm your email address for CareLocker')
    const job = await waitUntil(async () => ((await jobOf())?.state === 'completed' ? jobOf() : undefined))
    expect(job.retryCount).toBeGreaterThanOrEqual(1)
  })
})

describe('the outbox when no SMTP server or SMS provider is configured', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('an email lands as an .eml file in $DATA_DIR/outbox', async () => {
    const user = await registerUser(t)
    const outbox = path.join(t.dataDir, 'outbox')
    const file = await waitUntil(async () => {
      const names = await readdir(outbox).catch(() => [] as string[])
      for (const name of names.filter((n) => n.endsWith('.eml'))) {
        const raw = await readFile(path.join(outbox, name), 'utf8')
        if (raw.includes(user.email)) return raw
      }
      return undefined
    })
    expect(file).toMatch(/^Subject: Confirm your email address for CareLocker$/m)
    expect(file).toContain('Content-Type: text/plain')
    expect(file).toContain('Content-Type: text/html')
  })

  it('an SMS is appended to $DATA_DIR/outbox/sms.log', async () => {
    const patient = await registerUser(t, 'patient', { name: 'Bo Example' })
    const to = '+33612345678'
    await t.deps.db.transaction().execute((trx) =>
      enqueueSms(t.deps, trx, { template: 'emergency-alert', to, data: { patientId: patient.id, accessedAt: ACCESSED_AT } }),
    )
    const line = await waitUntil(async () => {
      const log = await readFile(path.join(t.dataDir, 'outbox', 'sms.log'), 'utf8').catch(() => '')
      return log.split('\n').find((l) => l.includes(`to=${to}`))
    })
    expect(line).toContain('of Bo E was opened')
    expect(line).toContain('2026-11-20 08:15 UTC')
  })
})
