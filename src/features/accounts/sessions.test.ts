import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'

const DAY = 86_400_000

describe('sessions, their lifetimes and the security notices (SPEC §8)', () => {
  let smtp: SmtpSink
  let t: TestApp
  /** The injected clock: lifetime tests move it forward. */
  let offsetMs = 0

  beforeAll(async () => {
    smtp = await startSmtpSink()
    t = await startTestApp({ SMTP_URL: smtp.url, SESSION_IDLE_DAYS: '1.5', SESSION_MAX_DAYS: '3' }, { now: () => new Date(Date.now() + offsetMs) })
  })
  afterAll(async () => {
    await t?.close()
    await smtp?.close()
  })

  const login = async (email: string, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD }, headers })
    expect(res.statusCode, res.body).toBe(200)
    return res
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const sessions = async (headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items as { id: string; current: boolean; createdAt: string; lastUsedAt: string; ip: string | null; userAgent: string | null }[]
  }
  const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } })
  const meStatus = async (headers: Record<string, string>) => (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers })).statusCode
  const noticesOf = async (userId: string, notice: string) => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'notify.account-notice' AND data->>'userId' = ${userId} AND data->>'notice' = ${notice}`.execute(t.deps.db.withoutPlugins())
    return rows[0]?.n ?? 0
  }

  it('lists the live sessions with their device, marks the current one; revoking another ends its tokens at once', async () => {
    const user = await registerUser(t)
    const phone = (await login(user.email, { 'user-agent': 'PhoneBrowser/2.0', 'x-forwarded-for': '203.0.113.7' })).json()
    const items = await sessions(user.headers)
    expect(items).toHaveLength(2)
    const current = items.find((s) => s.current)
    const other = items.find((s) => !s.current)
    expect(current).toBeDefined()
    expect(other).toMatchObject({ userAgent: 'PhoneBrowser/2.0' })
    expect(Object.keys(other!).sort()).toEqual(['createdAt', 'current', 'id', 'ip', 'lastUsedAt', 'userAgent'])
    expect((await sessions(bearer(phone.accessToken))).find((s) => s.current)?.id).toBe(other!.id)

    expect(await meStatus(bearer(phone.accessToken))).toBe(200)
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other!.id}`, headers: user.headers })
    expect(del.statusCode, del.body).toBe(204)
    expect(await meStatus(bearer(phone.accessToken))).toBe(401)
    expect((await refresh(phone.refreshToken)).statusCode).toBe(401)
    expect((await sessions(user.headers)).map((s) => s.id)).toEqual([current!.id])
    expect(await meStatus(user.headers)).toBe(200)
    const event = await t.deps.db.selectFrom('auditEvents').selectAll().where('action', '=', 'auth.session_revoked').where('resourceId', '=', other!.id).executeTakeFirst()
    expect(event).toMatchObject({ actorId: user.id, resourceType: 'session' })
    // Already ended: 404.
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other!.id}`, headers: user.headers })).statusCode).toBe(404)
  })

  it("another user's session id is 404 and that session keeps working; a malformed id is 400", async () => {
    const a = await registerUser(t)
    const b = await registerUser(t)
    const [bSession] = await sessions(b.headers)
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${bSession!.id}`, headers: a.headers })
    expect(res.statusCode).toBe(404)
    expect(await meStatus(b.headers)).toBe(200)
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/sessions/nope', headers: a.headers })).statusCode).toBe(400)
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/sessions' })).statusCode).toBe(401)
  })

  it('a refresh updates last use; past SESSION_IDLE_DAYS without one the refresh is 401 and ends the session', async () => {
    const user = await registerUser(t)
    let token = user.refreshToken
    const step = async (days: number) => {
      offsetMs += days * DAY
      return refresh(token)
    }
    try {
      const first = await step(1.4)
      expect(first.statusCode, first.body).toBe(200)
      token = first.json().refreshToken
      const [s] = await sessions(bearer(first.json().accessToken))
      expect(new Date(s!.lastUsedAt).getTime() - new Date(s!.createdAt).getTime()).toBeGreaterThanOrEqual(1.4 * DAY - 1000)
      const idle = await step(1.6)
      expect(idle.statusCode).toBe(401)
      expect(idle.json().type).toMatch(/\/session-expired$/)
    } finally {
      offsetMs = 0
    }
    const row = await t.deps.db.selectFrom('sessions').select(['revokedReason']).where('userId', '=', user.id).executeTakeFirstOrThrow()
    expect(row.revokedReason).toBe('expired')
    expect((await refresh(token)).statusCode).toBe(401)
  })

  it('refreshed within the idle lifetime, a session still ends SESSION_MAX_DAYS after sign-in', async () => {
    const user = await registerUser(t)
    let token = user.refreshToken
    try {
      for (const day of [1.2, 2.4]) {
        offsetMs = day * DAY
        const res = await refresh(token)
        expect(res.statusCode, `day ${day}: ${res.body}`).toBe(200)
        token = res.json().refreshToken
      }
      offsetMs = 3.1 * DAY
      const res = await refresh(token)
      expect(res.statusCode).toBe(401)
      expect(res.json().type).toMatch(/\/session-expired$/)
    } finally {
      offsetMs = 0
    }
  })

  it('a password change ends the other sessions and emails the password-changed notice, with nothing but the account’s own data', async () => {
    const user = await registerUser(t, 'patient', { name: 'Cleo Owner' })
    const other = (await login(user.email)).json()
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/auth/password', headers: user.headers, payload: { currentPassword: PASSWORD, newPassword: 'another good passphrase' } })
    expect(res.statusCode, res.body).toBe(204)
    expect(await meStatus(bearer(other.accessToken))).toBe(401)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'Your CareLocker password was changed')
    expect(mail.text).toContain('Hello Cleo Owner,')
    expect(mail.text).not.toContain('another good passphrase')
    // The link opens the web app's Security page of the account's role.
    expect(mail.text).toContain('http://carelocker.test/patient/security')
  })

  it('a password reset emails the password-changed notice', async () => {
    const user = await registerUser(t)
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: user.email } })
    const codeMail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject.includes('reset code'))
    const code = /reset code is: (\d+)/.exec(codeMail.text ?? '')?.[1]
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { email: user.email, code, newPassword: 'reset good passphrase' } })
    expect(res.statusCode, res.body).toBe(204)
    await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'Your CareLocker password was changed')
  })

  it('a sign-in from a browser never seen on the account emails a notice naming that browser; registration and a known browser do not', async () => {
    const user: TestUser = await registerUser(t, 'patient', { name: 'Dana Owner' })
    // The registration's client (same user agent, no cookie) signs in again: known.
    await login(user.email)
    const fresh = await login(user.email, { 'user-agent': 'Unfamiliar/9.1 (Tablet)', 'x-forwarded-for': '198.51.100.4' })
    expect(fresh.statusCode).toBe(200)
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'New sign-in to your CareLocker account')
    expect(mail.text).toContain('Unfamiliar/9.1 (Tablet)')
    expect(mail.text).toContain('Hello Dana Owner,')
    // The same client again: no second notice.
    await login(user.email, { 'user-agent': 'Unfamiliar/9.1 (Tablet)' })
    expect(await noticesOf(user.id, 'new-browser-sign-in')).toBe(1)
  })

  it('an account with no browser on record (from before the list, or made by OpenID Connect) is not told of its first one; the next new one it is', async () => {
    const user = await registerUser(t)
    await t.deps.db.deleteFrom('knownBrowsers').where('userId', '=', user.id).execute()
    await login(user.email, { 'user-agent': 'First/1.0' })
    await login(user.email, { 'user-agent': 'Second/2.0 see https://phish.example/x and more text '.padEnd(300, 'x') })
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(user.email) && m.subject === 'New sign-in to your CareLocker account')
    expect(mail.text).toContain('Second/2.0 see')
    // The user agent is the signer's text: cut short, links removed.
    expect(mail.text).not.toContain('phish.example')
    expect(mail.text).not.toContain('x'.repeat(120))
    expect(await noticesOf(user.id, 'new-browser-sign-in')).toBe(1)
  })

  it('the web app’s browser gets a long-lived cl_browser cookie; with it, it is known; without it, it is new', async () => {
    const user = await registerUser(t)
    const web = { 'x-refresh-cookie': '1' }
    const first = await login(user.email, web)
    const setCookies = ([] as string[]).concat(first.headers['set-cookie'] ?? [])
    const browser = setCookies.find((c) => c.startsWith('cl_browser='))
    expect(browser).toMatch(/^cl_browser=[A-Za-z0-9_-]{43}; Max-Age=34560000; Path=\/; HttpOnly; SameSite=Lax$/)
    expect(setCookies.some((c) => c.startsWith('cl_refresh='))).toBe(true)
    await waitUntil(async () => (await noticesOf(user.id, 'new-browser-sign-in')) === 1, 5_000, 'the first notice')
    const cookie = browser!.split(';')[0]!
    const again = await login(user.email, { ...web, cookie })
    expect(([] as string[]).concat(again.headers['set-cookie'] ?? []).some((c) => c.startsWith('cl_browser='))).toBe(false)
    expect(await noticesOf(user.id, 'new-browser-sign-in')).toBe(1)
    // A browser without the cookie (another one, or cookies cleared) is new.
    await login(user.email, web)
    expect(await noticesOf(user.id, 'new-browser-sign-in')).toBe(2)
    // Only hashes are kept.
    const known = await t.deps.db.selectFrom('knownBrowsers').select('browserHash').where('userId', '=', user.id).execute()
    expect(known.map((k) => k.browserHash).join()).not.toContain(cookie.slice('cl_browser='.length))
  })
})
