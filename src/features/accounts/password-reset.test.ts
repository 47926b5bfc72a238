import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openJobSecret } from '../../jobs/job-secrets.js'
import { loginAs, PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'

let smtp: SmtpSink
let t: TestApp
let now = new Date()
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url }, { now: () => now })
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

const request = (email: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email } })
const confirm = (email: string, code: string, newPassword = 'my new passphrase') =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { email, code, newPassword } })

/** Requests a code and reads it from the email that reached the SMTP listener. */
async function emailedCode(u: TestUser): Promise<string> {
  const before = smtp.messages.length
  expect((await request(u.email)).statusCode).toBe(202)
  const mail = await smtp.waitFor((m, i = smtp.messages.indexOf(m)) => i >= before && m.envelopeTo.includes(u.email) && /code/i.test(m.subject))
  const code = /\b(\d{8})\b/.exec(mail.text ?? '')?.[1]
  expect(code, mail.text).toBeDefined()
  return code as string
}

describe('password reset (SPEC §4.1, §6)', () => {
  it('an emailed 8-digit code sets a new password, ends every session and sends a confirmation', async () => {
    now = new Date()
    const u = await registerUser(t)
    const other = await loginAs(t, u.email)
    const code = await emailedCode(u)
    expect((await confirm(u.email, code)).statusCode).toBe(204)
    for (const s of [u, other]) expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: s.headers })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: PASSWORD } })).statusCode).toBe(401)
    await loginAs(t, u.email, 'my new passphrase')
    await smtp.waitFor((m) => m.envelopeTo.includes(u.email) && /password.*changed/i.test(m.subject))
    // The code is single-use.
    expect((await confirm(u.email, code, 'yet another passphrase')).statusCode).toBe(400)
  })

  it('answers 202 for an unknown email and sends nothing; the code is stored only as a keyed hash', async () => {
    const before = smtp.messages.length
    expect((await request('nobody-here@example.test')).statusCode).toBe(202)
    const u = await registerUser(t)
    const code = await emailedCode(u)
    const rows = await t.deps.db.selectFrom('passwordResetCodes').selectAll().where('userId', '=', u.id).execute()
    expect(JSON.stringify(rows)).not.toContain(code)
    expect(smtp.messages.slice(before).some((m) => m.envelopeTo.includes('nobody-here@example.test'))).toBe(false)
  })

  it('five wrong codes exhaust it: the right one then fails too', async () => {
    const u = await registerUser(t)
    const code = await emailedCode(u)
    const wrong = code === '00000000' ? '11111111' : '00000000'
    for (let i = 0; i < 5; i++) {
      const res = await confirm(u.email, wrong)
      expect(res.statusCode).toBe(400)
      expect(res.json().type).toBe('https://carelocker.dev/problems/invalid-reset-code')
    }
    expect((await confirm(u.email, code)).statusCode).toBe(400)
  })

  it('a code expires after 10 minutes', async () => {
    now = new Date()
    const u = await registerUser(t)
    const code = await emailedCode(u)
    now = new Date(now.getTime() + 10 * 60_000 + 1000)
    expect((await confirm(u.email, code)).statusCode).toBe(400)
    now = new Date()
  })

  it('rejects bad input: a non-numeric code, a short password, unknown fields', async () => {
    const u = await registerUser(t)
    expect((await confirm(u.email, 'abcdef')).json().errors[0].path).toBe('/code')
    expect((await confirm(u.email, '12345678', 'short')).json().errors[0].path).toBe('/newPassword')
    const extra = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: u.email, admin: true } })
    expect(extra.statusCode).toBe(400)
  })
})

describe('a reset request does the same work for any email (SPEC §6: no timing oracle)', () => {
  const JOB = 'accounts.password-reset-code'

  /** Jobs of `JOB` created since `since` whose sealed address opens to `email`. */
  async function resetJobsFor(email: string, since: Date) {
    const { rows } = await sql<{ state: string; data: { sealedEmail: string } }>`
      SELECT state::text AS state, data FROM pgboss.job WHERE name = ${JOB} AND created_on >= ${since}`.execute(t.deps.db.withoutPlugins())
    return rows.filter((r) => openJobSecret(t.deps.config.masterKey, r.data.sealedEmail) === email)
  }

  it('known and unknown emails both answer 202 with the same body and enqueue exactly one job of the same name; the code arrives through it', async () => {
    now = new Date()
    const u = await registerUser(t)
    const unknownEmail = 'nobody-to-reset@example.test'
    const since = new Date(Date.now() - 60_000)
    const known = await request(u.email)
    const unknown = await request(unknownEmail)
    expect(known.statusCode).toBe(202)
    expect(unknown.statusCode).toBe(202)
    expect(unknown.body).toBe(known.body)

    const knownJobs = await resetJobsFor(u.email, since)
    const unknownJobs = await resetJobsFor(unknownEmail, since)
    expect(knownJobs).toHaveLength(1)
    expect(unknownJobs).toHaveLength(1)
    // The queue keeps no address in clear.
    for (const job of [...knownJobs, ...unknownJobs]) expect(JSON.stringify(job.data)).not.toContain('@example.test')

    // The job issues the code and the email carries it; the unknown address gets nothing.
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(u.email) && /code/i.test(m.subject))
    const code = /\b(\d{8})\b/.exec(mail.text ?? '')?.[1]
    expect(code, mail.text).toBeDefined()
    expect((await confirm(u.email, code as string)).statusCode).toBe(204)
    await waitUntil(async () => (await resetJobsFor(unknownEmail, since))[0]?.state === 'completed', 10_000, 'the unknown-email job to complete')
    expect(smtp.messages.some((m) => m.envelopeTo.includes(unknownEmail))).toBe(false)
  })
})
