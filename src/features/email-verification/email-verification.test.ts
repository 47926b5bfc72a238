import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashToken } from '../../app/opaque-tokens.js'
import { EMAIL_VERIFICATION_RESENDS_PER_HOUR } from '../../app/rate-limits.js'
import { PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import { enqueueEmail } from '../notifications/notifications.service.js'

const SUBJECT = 'Confirm your email address for CareLocker'
const LINK = /http:\/\/carelocker\.test\/verify-email#([A-Za-z0-9_-]{43})/

describe('email verification (SPEC §8)', () => {
  let smtp: SmtpSink
  let t: TestApp
  /** The injected clock: tests move it forward to expire links. */
  let offsetMs = 0

  beforeAll(async () => {
    smtp = await startSmtpSink()
    t = await startTestApp({ SMTP_URL: smtp.url }, { now: () => new Date(Date.now() + offsetMs) })
  })
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  const mailsTo = (email: string) => smtp.messages.filter((m) => m.envelopeTo.includes(email))
  const linkIn = (mail: ReceivedMail) => {
    const token = LINK.exec(mail.text ?? '')?.[1]
    expect(token, mail.text).toBeDefined()
    return token!
  }
  const verificationMail = (email: string, nth = 1) =>
    waitUntil(() => {
      const mails = mailsTo(email).filter((m) => m.subject === SUBJECT)
      return mails.length >= nth ? mails[nth - 1] : undefined
    }, 15_000, `verification email #${nth}`)
  const verify = (token: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload: { token } })
  const me = async (u: TestUser) => (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: u.headers })).json().user
  /** The jobs of `name` for `userId` (any payload naming it), with their state and output. */
  const jobsOf = async (name: string, userId: string) => {
    const { rows } = await sql<{ state: string; output: Record<string, unknown> | null }>`
      SELECT state::text AS state, output FROM pgboss.job
      WHERE name = ${name} AND (data->>'userId' = ${userId} OR data->'to'->>'userId' = ${userId})`.execute(t.deps.db.withoutPlugins())
    return rows
  }
  const completed = (name: string, userId: string, n = 1) =>
    waitUntil(async () => {
      const rows = await jobsOf(name, userId)
      return rows.filter((r) => r.state === 'completed').length >= n ? rows : undefined
    }, 15_000, `${n} completed ${name} job(s)`)

  it('registration sends one email: a verification link with no name in it; the link verifies the account, once; then the welcome email follows', async () => {
    const name = 'Ann <b>Stranger</b> http://spam.example'
    const email = `reg-${randomUUID()}@example.test`
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password: PASSWORD, role: 'patient', name } })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json().user.emailVerified).toBe(false)
    const userId = res.json().user.id as string
    const mail = await verificationMail(email)
    expect(mail.text).not.toContain('Ann')
    expect(mail.html).not.toContain('Ann')
    expect(mail.raw).not.toContain('spam.example')
    expect(mail.text).toContain('expires in 24 hours')
    const token = linkIn(mail)
    // Stored as its hash, with the address it went to, for 24 hours.
    const row = await t.deps.db.selectFrom('emailVerifications').selectAll().where('userId', '=', userId).executeTakeFirstOrThrow()
    expect(row.tokenHash).toBe(hashToken(token))
    expect(row.email).toBe(email)
    expect(new Date(row.expiresAt).getTime() - new Date(row.createdAt).getTime()).toBe(24 * 3_600_000)
    expect(mailsTo(email)).toHaveLength(1)

    const ok = await verify(token)
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().user).toMatchObject({ id: userId, emailVerified: true })
    expect(await me({ headers: { authorization: `Bearer ${res.json().accessToken}` } } as TestUser)).toMatchObject({ emailVerified: true })
    const event = await t.deps.db.selectFrom('auditEvents').selectAll().where('action', '=', 'auth.email_verified').where('resourceId', '=', userId).executeTakeFirst()
    expect(event).toMatchObject({ actorId: userId, patientId: userId })
    // The welcome email comes once the address is proven, and may greet by name.
    const welcome = await smtp.waitFor((m) => m.envelopeTo.includes(email) && m.subject === 'Welcome to CareLocker')
    expect(welcome.text).toContain('Hello Ann <b>Stranger</b>')

    const again = await verify(token)
    expect(again.statusCode).toBe(410)
    expect(again.json().type).toMatch(/\/verification-link-used$/)
  })

  it('an unknown or malformed token is 400 and an expired one 410; nothing changes', async () => {
    const unknown = await verify('A'.repeat(43))
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().type).toMatch(/\/invalid-verification-link$/)
    const malformed = await verify('not a token')
    expect(malformed.statusCode).toBe(400)

    const user = await registerUser(t, 'patient', {}, { emailVerified: false })
    const token = linkIn(await verificationMail(user.email))
    offsetMs += 25 * 3_600_000
    try {
      const expired = await verify(token)
      expect(expired.statusCode).toBe(410)
      expect(expired.json().type).toMatch(/\/verification-link-expired$/)
    } finally {
      offsetMs -= 25 * 3_600_000
    }
    const row = await t.deps.db.selectFrom('users').select('emailVerifiedAt').where('id', '=', user.id).executeTakeFirstOrThrow()
    expect(row.emailVerifiedAt).toBeNull()
    const link = await t.deps.db.selectFrom('emailVerifications').select('usedAt').where('tokenHash', '=', hashToken(token)).executeTakeFirstOrThrow()
    expect(link.usedAt).toBeNull()
  })

  it('a link sent to an address the account no longer has verifies nothing (410)', async () => {
    const user = await registerUser(t, 'patient', {}, { emailVerified: false })
    const token = linkIn(await verificationMail(user.email))
    await t.deps.db.updateTable('users').set({ email: `moved-${randomUUID()}@example.test` }).where('id', '=', user.id).execute()
    const res = await verify(token)
    expect(res.statusCode).toBe(410)
    expect(res.json().type).toMatch(/\/verification-link-outdated$/)
    expect(await me(user)).toMatchObject({ emailVerified: false })
  })

  it('until verified no other email reaches the address: notices, emergency access and reset codes are skipped and their jobs complete', async () => {
    const user = await registerUser(t, 'patient', {}, { emailVerified: false })
    await verificationMail(user.email)
    // An emergency-access email, a password-changed notice, a password reset request.
    await t.deps.db.transaction().execute((trx) =>
      enqueueEmail(t.deps, trx, { template: 'emergency-access', to: { userId: user.id }, data: { accessedAt: new Date().toISOString() } }),
    )
    const change = await t.app.inject({ method: 'PUT', url: '/api/v1/auth/password', headers: user.headers, payload: { currentPassword: PASSWORD, newPassword: 'a different passphrase' } })
    expect(change.statusCode, change.body).toBe(204)
    const reset = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: user.email } })
    expect(reset.statusCode).toBe(202)

    // Both jobs complete (skipped: email-unverified), none waits for a retry.
    await completed('notify.email', user.id)
    await completed('notify.account-notice', user.id)
    // The reset job issues no code: it sends a fresh verification link instead.
    await waitUntil(async () => {
      const q = (await t.deps.jobs.stats()).queues.find((s) => s.name === 'accounts.password-reset-code')
      return q !== undefined && q.completed >= 1 && q.queued + q.active + q.retrying === 0
    }, 15_000, 'the reset job')
    expect(await t.deps.db.selectFrom('passwordResetCodes').select('id').where('userId', '=', user.id).execute()).toEqual([])
    await verificationMail(user.email, 2)
    await completed('notify.email-verification', user.id, 2)
    expect(mailsTo(user.email).map((m) => m.subject)).toEqual([SUBJECT, SUBJECT])
  })

  it('a verified address gets them (the same emergency email is delivered)', async () => {
    const user = await registerUser(t)
    await t.deps.db.transaction().execute((trx) =>
      enqueueEmail(t.deps, trx, { template: 'emergency-access', to: { userId: user.id }, data: { accessedAt: new Date().toISOString() } }),
    )
    await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject.startsWith('Emergency access'))
  })

  it('resend: 202 and a new link (pending doctors too); 409 once verified; limited per account', async () => {
    const doctor = await registerUser(t, 'doctor', {}, { emailVerified: false })
    const first = linkIn(await verificationMail(doctor.email))
    const resend = () => t.app.inject({ method: 'POST', url: '/api/v1/auth/email/resend', headers: doctor.headers })
    expect((await resend()).statusCode).toBe(202)
    const second = linkIn(await verificationMail(doctor.email, 2))
    expect(second).not.toBe(first)
    expect((await verify(second)).statusCode).toBe(200)
    const done = await resend()
    expect(done.statusCode).toBe(409)
    expect(done.json().type).toMatch(/\/email-already-verified$/)
    await new Promise((r) => setTimeout(r, 1_500))
    expect(mailsTo(doctor.email).filter((m) => m.subject === SUBJECT)).toHaveLength(2)

    const patient = await registerUser(t, 'patient', {}, { emailVerified: false })
    const statuses: number[] = []
    for (let i = 0; i <= EMAIL_VERIFICATION_RESENDS_PER_HOUR; i++) {
      statuses.push((await t.app.inject({ method: 'POST', url: '/api/v1/auth/email/resend', headers: patient.headers })).statusCode)
    }
    expect(statuses).toEqual([...Array(EMAIL_VERIFICATION_RESENDS_PER_HOUR).fill(202), 429])
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/email/resend' })).statusCode).toBe(401)
  })
})
