import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

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
