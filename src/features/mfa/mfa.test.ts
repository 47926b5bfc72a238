import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSecret, sealSecret } from '../../app/sealed-secrets.js'
import { rotateMasterKey } from '../../ops/key-rotation.js'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { enrolTotp, mfaTokenFor, totpCode } from '../../../test/helpers/mfa.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let smtp: SmtpSink
/** The server's clock (SPEC §8 windows are tested by moving it, never by waiting). */
let now = new Date()
const previousKey = randomBytes(32)

beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url, MASTER_KEY_PREVIOUS: previousKey.toString('base64') }, { now: () => now })
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

/** Moves the clock to the start of a fresh 30-second step, so a test's codes never straddle one. */
const nextStep = () => {
  now = new Date((Math.floor(now.getTime() / 30_000) + 2) * 30_000 + 1_000)
}
const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) })
const loginMfa = (mfaToken: string, code: string) => inject('POST', '/auth/login/mfa', { mfaToken, code })
const slugOf = (res: { json: () => unknown }) => ((res.json() as { type?: string }).type ?? '').split('/').pop()
const sessionsOf = async (userId: string) => Number((await t.deps.db.selectFrom('sessions').select((eb) => eb.fn.countAll().as('n')).where('userId', '=', userId).executeTakeFirstOrThrow()).n)
const actionsOf = async (userId: string) =>
  (await t.deps.db.selectFrom('auditEvents').select('action').where('actorId', '=', userId).orderBy('id').execute()).map((r) => r.action)

async function enrolled(role: 'patient' | 'doctor' = 'patient') {
  nextStep()
  const user = await registerUser(t, role)
  return { user, ...(await enrolTotp(t, user, now)) }
}

describe('TOTP set-up and confirmation (SPEC §8)', () => {
  it('set-up answers a base32 secret, an otpauth URI (CareLocker, SHA1, 6 digits, 30 s) and an SVG QR; the secret is stored sealed and unconfirmed', async () => {
    const u = await registerUser(t)
    const res = await inject('POST', '/auth/mfa/totp/setup', {}, u.headers)
    expect(res.statusCode, res.body).toBe(200)
    const { secret, otpauthUrl, qrSvg } = res.json() as { secret: string; otpauthUrl: string; qrSvg: string }
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const url = new URL(otpauthUrl)
    expect(url.protocol).toBe('otpauth:')
    expect(url.host).toBe('totp')
    expect(decodeURIComponent(url.pathname)).toBe(`/CareLocker:${u.email}`)
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ issuer: 'CareLocker', secret, algorithm: 'SHA1', digits: '6', period: '30' })
    expect(qrSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)
    const row = await t.deps.db.selectFrom('totpFactors').selectAll().where('userId', '=', u.id).executeTakeFirstOrThrow()
    expect(row.confirmedAt).toBeNull()
    expect((await inject('GET', '/auth/mfa/totp', undefined, u.headers)).json()).toEqual({ enabled: false, enabledAt: null, recoveryCodesLeft: 0 })
    expect(row.secretCiphertext).not.toContain(secret)
    // Unconfirmed, it is no second factor: the password alone still signs in.
    const login = await inject('POST', '/auth/login', { email: u.email, password: PASSWORD })
    expect(login.json()).toHaveProperty('accessToken')
    // A second set-up replaces the unconfirmed secret.
    const again = await inject('POST', '/auth/mfa/totp/setup', {}, u.headers)
    expect((again.json() as { secret: string }).secret).not.toBe(secret)
  })

  it('a wrong code is 400 invalid-code and changes nothing; the right one answers 10 distinct recovery codes (stored hashed), emails the owner and is audited', async () => {
    nextStep()
    const u = await registerUser(t)
    const { secret } = (await inject('POST', '/auth/mfa/totp/setup', {}, u.headers)).json() as { secret: string }
    const wrong = await inject('POST', '/auth/mfa/totp/confirm', { code: totpCode(secret, now, 5) }, u.headers)
    expect(wrong.statusCode).toBe(400)
    expect(slugOf(wrong)).toBe('invalid-code')
    expect((await t.deps.db.selectFrom('totpFactors').select('confirmedAt').where('userId', '=', u.id).executeTakeFirstOrThrow()).confirmedAt).toBeNull()
    expect(await t.deps.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute()).toEqual([])

    const ok = await inject('POST', '/auth/mfa/totp/confirm', { code: totpCode(secret, now) }, u.headers)
    expect(ok.statusCode, ok.body).toBe(200)
    const { recoveryCodes } = ok.json() as { recoveryCodes: string[] }
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    for (const c of recoveryCodes) expect(c.replace(/-/g, '').length).toBeGreaterThanOrEqual(10)
    const stored = await t.deps.db.selectFrom('recoveryCodes').select('codeHash').where('userId', '=', u.id).execute()
    expect(stored).toHaveLength(10)
    for (const c of recoveryCodes) expect(stored.map((s) => s.codeHash)).not.toContain(c)
    expect(await actionsOf(u.id)).toContain('auth.totp_enabled')
    await smtp.waitFor((m) => m.envelopeTo.includes(u.email) && m.subject === 'Two-factor sign-in was turned on')

    const status = await inject('GET', '/auth/mfa/totp', undefined, u.headers)
    expect(status.json()).toEqual({ enabled: true, enabledAt: now.toISOString(), recoveryCodesLeft: 10 })
    const setupAgain = await inject('POST', '/auth/mfa/totp/setup', {}, u.headers)
    expect(setupAgain.statusCode).toBe(409)
    expect(slugOf(setupAgain)).toBe('totp-already-enabled')
    const confirmAgain = await inject('POST', '/auth/mfa/totp/confirm', { code: totpCode(secret, now, 1) }, u.headers)
    expect(confirmAgain.statusCode).toBe(409)
  })

  it('confirm without a set-up is 409; bad bodies are 400; every MFA route without a session is 401', async () => {
    const u = await registerUser(t)
    expect((await inject('POST', '/auth/mfa/totp/confirm', { code: '123456' }, u.headers)).statusCode).toBe(409)
    for (const body of [{}, { code: 123456 }, { code: '12345' }, { code: 'abcdef' }, { code: '123456', extra: 1 }]) {
      const res = await inject('POST', '/auth/mfa/totp/confirm', body, u.headers)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
    }
    expect((await inject('POST', '/auth/mfa/totp/setup', { unexpected: true }, u.headers)).statusCode).toBe(400)
    for (const body of [{ password: PASSWORD }, { code: '123456' }, { password: 1, code: '123456' }, { password: PASSWORD, code: '123456', x: 1 }]) {
      expect((await inject('DELETE', '/auth/mfa/totp', body, u.headers)).statusCode, JSON.stringify(body)).toBe(400)
    }
    expect((await inject('POST', '/auth/mfa/totp/setup', {})).statusCode).toBe(401)
    expect((await inject('POST', '/auth/mfa/totp/confirm', { code: '123456' })).statusCode).toBe(401)
    expect((await inject('DELETE', '/auth/mfa/totp', { password: PASSWORD, code: '123456' })).statusCode).toBe(401)
    expect((await inject('POST', '/auth/mfa/recovery-codes', { code: '123456' })).statusCode).toBe(401)
    expect(await t.deps.db.selectFrom('totpFactors').select('userId').where('userId', '=', u.id).execute()).toEqual([])
  })
})

describe('signing in with a second factor (SPEC §8)', () => {
  it('login answers the mfaToken step and opens no session; a TOTP code finishes it with the usual reply', async () => {
    const { user, secret } = await enrolled()
    const before = await sessionsOf(user.id)
    const res = await inject('POST', '/auth/login', { email: user.email, password: PASSWORD })
    expect(res.statusCode).toBe(200)
    const body = res.json() as Record<string, unknown>
    expect(body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), methods: ['totp', 'recovery'] })
    expect(await sessionsOf(user.id)).toBe(before)

    now = new Date(now.getTime() + 30_000)
    const done = await loginMfa(body.mfaToken as string, totpCode(secret, now))
    expect(done.statusCode, done.body).toBe(200)
    const session = done.json() as { user: { id: string }; accessToken: string; refreshToken: string; expiresIn: number }
    expect(session.user.id).toBe(user.id)
    expect(session.refreshToken).toEqual(expect.any(String))
    const me = await inject('GET', '/auth/me', undefined, { authorization: `Bearer ${session.accessToken}` })
    expect(me.statusCode).toBe(200)
    const method = await t.deps.db.selectFrom('sessions').select('authMethod').where('userId', '=', user.id).orderBy('createdAt', 'desc').executeTakeFirstOrThrow()
    expect(method.authMethod).toBe('totp')
    // The step's token is spent.
    expect((await loginMfa(body.mfaToken as string, totpCode(secret, now, 1))).statusCode).toBe(401)
  })

  it('with the cookie flow, the refresh token goes into the httpOnly cookie as for a password sign-in', async () => {
    const { user, secret } = await enrolled()
    const token = await mfaTokenFor(t, user.email, PASSWORD)
    now = new Date(now.getTime() + 30_000)
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login/mfa', headers: { 'x-refresh-cookie': '1' }, payload: { mfaToken: token, code: totpCode(secret, now) } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).not.toHaveProperty('refreshToken')
    expect(String(res.headers['set-cookie'])).toContain('cl_refresh=')
  })

  it('a TOTP code is accepted once: a replay in the same window is 401, even with a new mfaToken; ±1 step of drift is accepted, 2 is not', async () => {
    const { user, secret } = await enrolled()
    now = new Date(now.getTime() + 60_000)
    const code = totpCode(secret, now, -1) // one step behind: drift accepted
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), code)).statusCode).toBe(200)
    const replay = await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), code)
    expect(replay.statusCode).toBe(401)
    expect(slugOf(replay)).toBe('invalid-mfa-code')
    // An earlier step than the last accepted one is a replay too.
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, now, -2))).statusCode).toBe(401)
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, now, 2))).statusCode).toBe(401)
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, now, 1))).statusCode).toBe(200)
  })

  it('concurrent replays of one code: exactly one wins', async () => {
    const { user, secret } = await enrolled()
    now = new Date(now.getTime() + 30_000)
    const code = totpCode(secret, now)
    const tokens = await Promise.all([1, 2, 3].map(() => mfaTokenFor(t, user.email, PASSWORD)))
    const results = await Promise.all(tokens.map((tk) => loginMfa(tk, code)))
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401])
  })

  it('a recovery code signs in once ever (any case, with or without dashes), emails the owner and is audited', async () => {
    const { user, recoveryCodes } = await enrolled()
    const code = recoveryCodes[3]!
    const res = await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), ` ${code.replace(/-/g, '').toUpperCase()} `)
    expect(res.statusCode, res.body).toBe(200)
    const again = await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), code)
    expect(again.statusCode).toBe(401)
    expect(slugOf(again)).toBe('invalid-mfa-code')
    const method = await t.deps.db.selectFrom('sessions').select('authMethod').where('userId', '=', user.id).where('authMethod', '=', 'recovery').execute()
    expect(method).toHaveLength(1)
    expect(await actionsOf(user.id)).toEqual(expect.arrayContaining(['auth.recovery_code_used', 'auth.logged_in']))
    await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'A recovery code was used')
  })

  it('5 wrong codes end the mfaToken: the 6th attempt is 401 even with the right code', async () => {
    const { user, secret } = await enrolled()
    now = new Date(now.getTime() + 30_000)
    const token = await mfaTokenFor(t, user.email, PASSWORD)
    const remaining: unknown[] = []
    for (let i = 0; i < 5; i++) {
      const res = await loginMfa(token, i % 2 ? '000000' : 'zzzz-zzzz-zzzz-zzzz')
      expect(res.statusCode).toBe(401)
      remaining.push((res.json() as { remainingAttempts?: number }).remainingAttempts)
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0])
    const sixth = await loginMfa(token, totpCode(secret, now))
    expect(sixth.statusCode).toBe(401)
    expect(slugOf(sixth)).toBe('invalid-mfa-token')
    expect((await actionsOf(user.id)).filter((a) => a === 'auth.login_failed')).toHaveLength(5)
    // A new sign-in works, and the code was not spent by the refused attempt.
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, now))).statusCode).toBe(200)
  })

  it('an expired (5 minutes), unknown or used mfaToken is 401 invalid-mfa-token', async () => {
    const { user, secret } = await enrolled()
    const token = await mfaTokenFor(t, user.email, PASSWORD)
    now = new Date(now.getTime() + 5 * 60_000 + 1)
    const expired = await loginMfa(token, totpCode(secret, now))
    expect(expired.statusCode).toBe(401)
    expect(slugOf(expired)).toBe('invalid-mfa-token')
    const unknown = await loginMfa(randomBytes(32).toString('base64url'), totpCode(secret, now))
    expect(slugOf(unknown)).toBe('invalid-mfa-token')
    // Just inside the 5 minutes it still works.
    const fresh = await mfaTokenFor(t, user.email, PASSWORD)
    now = new Date(now.getTime() + 5 * 60_000 - 1_000)
    expect((await loginMfa(fresh, totpCode(secret, now))).statusCode).toBe(200)
  })

  it("an mfaToken works only for its own account: another account's valid code is refused", async () => {
    const a = await enrolled()
    const b = await enrolled()
    const tokenOfB = await mfaTokenFor(t, b.user.email, PASSWORD)
    now = new Date(now.getTime() + 30_000)
    expect((await loginMfa(tokenOfB, totpCode(a.secret, now))).statusCode).toBe(401)
    expect((await loginMfa(tokenOfB, a.recoveryCodes[0]!)).statusCode).toBe(401)
    // A's recovery code was not spent by the refused attempt.
    expect((await loginMfa(await mfaTokenFor(t, a.user.email, PASSWORD), a.recoveryCodes[0]!)).statusCode).toBe(200)
  })

  it('a new mfaToken clears the account’s challenges that are over (used or expired); live ones stay', async () => {
    const { user, secret } = await enrolled()
    nextStep() // the enrolment spent this step's code
    const live = await mfaTokenFor(t, user.email, PASSWORD)
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), totpCode(secret, now))).statusCode).toBe(200)
    const rows = () => t.deps.db.selectFrom('mfaChallenges').select('tokenHash').where('userId', '=', user.id).execute()
    expect(await rows()).toHaveLength(2)
    await mfaTokenFor(t, user.email, PASSWORD)
    expect(await rows()).toHaveLength(2) // the used one went; the live one and the new one stay
    now = new Date(now.getTime() + 6 * 60_000)
    await mfaTokenFor(t, user.email, PASSWORD)
    expect(await rows()).toHaveLength(1)
    expect((await loginMfa(live, totpCode(secret, now))).statusCode).toBe(401)
  })

  it('bad bodies at the mfa step are 400', async () => {
    for (const body of [{}, { mfaToken: 'x' }, { mfaToken: 'x', code: 123456 }, { mfaToken: 1, code: '123456' }, { mfaToken: 'x', code: '123456', extra: true }, { mfaToken: 'x', code: '1' }]) {
      expect((await inject('POST', '/auth/login/mfa', body)).statusCode, JSON.stringify(body)).toBe(400)
    }
  })

  it('a secret sealed under a previous master key (MASTER_KEY_PREVIOUS) still works and is re-sealed under the current key', async () => {
    nextStep()
    const u = await registerUser(t)
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
    const old = sealSecret(previousKey, 'carelocker totp-secret', secret, u.id)
    await t.deps.db.insertInto('totpFactors').values({ userId: u.id, secretCiphertext: old, createdAt: now, confirmedAt: now, lastUsedStep: null }).execute()
    expect((await loginMfa(await mfaTokenFor(t, u.email, PASSWORD), totpCode(secret, now))).statusCode).toBe(200)
    const row = await t.deps.db.selectFrom('totpFactors').select('secretCiphertext').where('userId', '=', u.id).executeTakeFirstOrThrow()
    expect(row.secretCiphertext).not.toBe(old)
    const current = sealSecret(t.deps.config.masterKey, 'carelocker totp-secret', secret, u.id)
    expect(row.secretCiphertext.split('.')[0]).toBe(current.split('.')[0])
    now = new Date(now.getTime() + 30_000)
    expect((await loginMfa(await mfaTokenFor(t, u.email, PASSWORD), totpCode(secret, now))).statusCode).toBe(200)
  })
})

describe('master key rotation (SPEC §11) re-seals TOTP secrets', () => {
  it('keys:rotate re-seals a secret sealed under the previous key, so the previous key can go; unreadable ones are reported', async () => {
    const u = await registerUser(t)
    const stray = await registerUser(t)
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ'
    const old = sealSecret(previousKey, 'carelocker totp-secret', secret, u.id)
    await t.deps.db.insertInto('totpFactors').values({ userId: u.id, secretCiphertext: old, createdAt: now, confirmedAt: now, lastUsedStep: null }).execute()
    // Sealed under a key this locker never had: reported, left alone.
    const lost = sealSecret(randomBytes(32), 'carelocker totp-secret', secret, stray.id)
    await t.deps.db.insertInto('totpFactors').values({ userId: stray.id, secretCiphertext: lost, createdAt: now, confirmedAt: now, lastUsedStep: null }).execute()
    const progress = await rotateMasterKey(t.deps.db.withoutPlugins(), { newKey: t.deps.config.masterKey, oldKeys: [previousKey] })
    expect(progress.unreadable).toEqual([`totp:${stray.id}`])
    expect(progress.rewrapped).toBeGreaterThanOrEqual(1)
    const row = await t.deps.db.selectFrom('totpFactors').select('secretCiphertext').where('userId', '=', u.id).executeTakeFirstOrThrow()
    expect(openSecret([t.deps.config.masterKey], 'carelocker totp-secret', row.secretCiphertext, u.id).plaintext).toBe(secret)
    const again = await rotateMasterKey(t.deps.db.withoutPlugins(), { newKey: t.deps.config.masterKey, oldKeys: [previousKey] })
    expect(again.rewrapped).toBe(0)
    await t.deps.db.deleteFrom('totpFactors').where('userId', '=', stray.id).execute()
  })
})

describe('turning TOTP off and replacing recovery codes (SPEC §8)', () => {
  it('a wrong password (401) or a wrong or replayed code (400) changes nothing; password + code removes the factor and its codes, emails and audits', async () => {
    const { user, secret, recoveryCodes } = await enrolled()
    now = new Date(now.getTime() + 30_000)
    const code = totpCode(secret, now)
    const wrongPassword = await inject('DELETE', '/auth/mfa/totp', { password: 'not the password', code }, user.headers)
    expect(wrongPassword.statusCode).toBe(401)
    expect(slugOf(wrongPassword)).toBe('invalid-credentials')
    const wrongCode = await inject('DELETE', '/auth/mfa/totp', { password: PASSWORD, code: totpCode(secret, now, 3) }, user.headers)
    expect(wrongCode.statusCode).toBe(400)
    // The code of the step confirmed at enrolment is a replay.
    expect((await inject('DELETE', '/auth/mfa/totp', { password: PASSWORD, code: totpCode(secret, now, -1) }, user.headers)).statusCode).toBe(400)
    expect(await t.deps.db.selectFrom('totpFactors').select('userId').where('userId', '=', user.id).execute()).toHaveLength(1)
    expect(await t.deps.db.selectFrom('recoveryCodes').select('userId').where('userId', '=', user.id).execute()).toHaveLength(10)

    const ok = await inject('DELETE', '/auth/mfa/totp', { password: PASSWORD, code: recoveryCodes[0] }, user.headers)
    expect(ok.statusCode, ok.body).toBe(204)
    expect(await t.deps.db.selectFrom('totpFactors').select('userId').where('userId', '=', user.id).execute()).toEqual([])
    expect(await t.deps.db.selectFrom('recoveryCodes').select('userId').where('userId', '=', user.id).execute()).toEqual([])
    expect(await actionsOf(user.id)).toContain('auth.totp_disabled')
    await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'Two-factor sign-in was turned off')
    const login = await inject('POST', '/auth/login', { email: user.email, password: PASSWORD })
    expect(login.json()).toHaveProperty('accessToken')
    expect((await inject('DELETE', '/auth/mfa/totp', { password: PASSWORD, code }, user.headers)).statusCode).toBe(409)
  })

  it('new recovery codes need a code; the old ones stop working', async () => {
    const { user, secret, recoveryCodes } = await enrolled()
    expect((await inject('POST', '/auth/mfa/recovery-codes', { code: '000000' }, user.headers)).statusCode).toBe(400)
    now = new Date(now.getTime() + 30_000)
    const res = await inject('POST', '/auth/mfa/recovery-codes', { code: totpCode(secret, now) }, user.headers)
    expect(res.statusCode, res.body).toBe(200)
    const fresh = (res.json() as { recoveryCodes: string[] }).recoveryCodes
    expect(fresh).toHaveLength(10)
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), recoveryCodes[1]!)).statusCode).toBe(401)
    expect((await loginMfa(await mfaTokenFor(t, user.email, PASSWORD), fresh[1]!)).statusCode).toBe(200)
    // Replacing them with a recovery code spends it, and the owner hears of it like at sign-in.
    const before = (await actionsOf(user.id)).filter((a) => a === 'auth.recovery_code_used').length
    expect((await inject('POST', '/auth/mfa/recovery-codes', { code: fresh[2]! }, user.headers)).statusCode).toBe(200)
    expect((await actionsOf(user.id)).filter((a) => a === 'auth.recovery_code_used')).toHaveLength(before + 1)
  })
})

