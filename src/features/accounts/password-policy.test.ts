/**
 * The password policy (SPEC §4.1, OWASP ASVS 2.1.7) at every place a password is chosen:
 * registration, password change, password reset, the admin CLI and the ADMIN_PASSWORD
 * bootstrap (the first-run setup page has its own test in features/setup).
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../app/config.js'
import { loginAs, PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { checkPassword, commonPasswordCount } from './password-policy.js'

const run = promisify(execFile)
/** What a new user tried (issue 10), and a few of the same kind. */
const WEAK = ['1234567890', 'password12', 'qwertyuiop', 'QWERTYUIOP', 'Password 12', 'iloveyou123']

let smtp: SmtpSink
let t: TestApp
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url })
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

const register = (email: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password, role: 'patient', name: 'Policy Test' } })

function expectRefused(res: { statusCode: number; json: () => unknown }, pointer: string, code = 'password-too-common'): void {
  expect(res.statusCode).toBe(400)
  const body = res.json() as { type: string; errors?: { path: string }[] }
  expect(body.type).toBe(`https://carelocker.dev/problems/${code}`)
  expect(body.errors?.map((e) => e.path)).toContain(pointer)
}

describe('the list (pure)', () => {
  it('holds at least 10,000 common or breached passwords; the test passphrases are not on it', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000)
    for (const p of WEAK) expect(checkPassword(p, undefined)?.code, p).toBe('password-too-common')
    for (const p of [PASSWORD, 'a long passphrase 42', 'my new passphrase']) expect(checkPassword(p, 'someone@example.test'), p).toBeUndefined()
  })

  it('refuses the email and passwords containing its local part of 4 or more characters', () => {
    expect(checkPassword('maria.lopez@example.test', 'maria.lopez@example.test')?.code).toBe('password-too-common')
    expect(checkPassword('MARIA.LOPEZ2024!', 'maria.lopez@example.test')?.code).toBe('password-too-common')
    // A short local part is not looked for: it would refuse innocent passphrases.
    expect(checkPassword('a long passphrase 42', 'al@example.test')).toBeUndefined()
  })
})

describe('POST /auth/register', () => {
  it('refuses common passwords with 400 password-too-common on /password', async () => {
    for (const p of WEAK) expectRefused(await register(`weak-${randomUUID()}@example.test`, p), '/password')
  })

  it('refuses the email as password, and one containing its local part', async () => {
    const email = `grace.hopper.${randomUUID().slice(0, 8)}@example.test`
    expectRefused(await register(email, email), '/password')
    expectRefused(await register(email, `${email.split('@')[0]}!!`), '/password')
  })

  it('refuses fewer than 10 and more than 128 characters; accepts a passphrase', async () => {
    expectRefused(await register(`short-${randomUUID()}@example.test`, 'nine char'), '/password', 'validation-error')
    expectRefused(await register(`long-${randomUUID()}@example.test`, 'x'.repeat(129)), '/password', 'validation-error')
    expect((await register(`ok-${randomUUID()}@example.test`, PASSWORD)).statusCode).toBe(201)
  })
})

describe('PUT /auth/password', () => {
  it('refuses a common new password and the email; the old password keeps working', async () => {
    const u = await registerUser(t)
    const change = (newPassword: string) =>
      t.app.inject({ method: 'PUT', url: '/api/v1/auth/password', headers: u.headers, payload: { currentPassword: PASSWORD, newPassword } })
    expectRefused(await change('password12'), '/newPassword')
    expectRefused(await change(u.email), '/newPassword')
    await loginAs(t, u.email, PASSWORD)
    expect((await change('a fresh sturdy passphrase')).statusCode).toBe(204)
  })
})

describe('POST /auth/password-reset/confirm', () => {
  async function emailedCode(u: TestUser): Promise<string> {
    const before = smtp.messages.length
    const req = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: u.email } })
    expect(req.statusCode).toBe(202)
    const mail = await smtp.waitFor((m, i = smtp.messages.indexOf(m)) => i >= before && m.envelopeTo.includes(u.email) && /code/i.test(m.subject))
    return /\b(\d{8})\b/.exec(mail.text ?? '')?.[1] as string
  }

  it('refuses a common new password without using up the code, which then sets a good one', async () => {
    const u = await registerUser(t)
    const code = await emailedCode(u)
    const confirm = (newPassword: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { email: u.email, code, newPassword } })
    for (let i = 0; i < 6; i++) expectRefused(await confirm('qwertyuiop'), '/newPassword') // more than the code's 5 tries
    expect((await confirm('a fresh sturdy passphrase')).statusCode).toBe(204)
    await loginAs(t, u.email, 'a fresh sturdy passphrase')
  })

  it('answers an unknown email the same way for a common password', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { email: `nobody-${randomUUID()}@example.test`, code: '12345678', newPassword: '1234567890' } })
    expectRefused(res, '/newPassword')
  })
})

describe('admin accounts outside HTTP', () => {
  it('ADMIN_PASSWORD must pass the policy: the server refuses to start, naming the variable', () => {
    for (const weak of ['password12', 'admin@example.test']) {
      const attempt = () => loadConfig({ ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: weak })
      expect(attempt).toThrow(ConfigError)
      expect(attempt).toThrow(/ADMIN_PASSWORD/)
    }
    expect(loadConfig({ ADMIN_EMAIL: 'admin@example.test', ADMIN_PASSWORD: PASSWORD }).admin?.email).toBe('admin@example.test')
  })

  it('`npm run admin -- create` refuses a common password before opening the database', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-admin-cli-'))
    try {
      const res = await run(process.execPath, ['--import', 'tsx', 'src/cli/admin.ts', 'create', '--email', 'root@example.test', '--password', '1234567890'], {
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code: number; stderr: string }) => err,
      )
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/--password: This password is too common/)
      expect(await readdir(dataDir)).toEqual([])
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
