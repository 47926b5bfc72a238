import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

const COOKIE_FLOW = { 'x-refresh-cookie': '1' }

function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const h = res.headers['set-cookie']
  return h === undefined ? [] : Array.isArray(h) ? (h as string[]) : [String(h)]
}
const refreshCookieOf = (res: { headers: Record<string, unknown> }) => setCookies(res).find((c) => c.startsWith('cl_refresh='))
const valueOf = (cookie: string | undefined) => cookie?.split(';')[0]?.split('=')[1] ?? ''

describe('the browser session flow: refresh token in an httpOnly cookie', () => {
  it('login with X-Refresh-Cookie: 1 sets an httpOnly SameSite=Strict cookie scoped to /api/v1/auth and leaves refreshToken out of the JSON', async () => {
    const u = await registerUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: COOKIE_FLOW, payload: { email: u.email, password: PASSWORD } })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.accessToken).toEqual(expect.any(String))
    expect(body).not.toHaveProperty('refreshToken')
    const cookie = refreshCookieOf(res)
    expect(cookie).toMatch(/^cl_refresh=[\w-]{20,};/)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=Strict/i)
    expect(cookie).toMatch(/Path=\/api\/v1\/auth/)
    expect(cookie).not.toMatch(/Secure/i) // PUBLIC_URL is http:// in tests
    // The non-secret hint for the web app, readable by JavaScript on every path.
    const hint = setCookies(res).find((c) => c.startsWith('cl_session='))
    expect(hint).toMatch(/^cl_session=1;/)
    expect(hint).not.toMatch(/HttpOnly/i)
  })

  it('without the header the JSON flow is unchanged and no cookie is set', async () => {
    const u = await registerUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password: PASSWORD } })
    expect(res.json().refreshToken).toEqual(expect.any(String))
    expect(setCookies(res)).toEqual([])
  })

  it('register with the header sets the cookie too', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: COOKIE_FLOW,
      payload: { email: `cookie-${Date.now()}@example.test`, password: PASSWORD, role: 'patient', name: 'Cookie' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).not.toHaveProperty('refreshToken')
    expect(refreshCookieOf(res)).toBeDefined()
  })

  it('refresh reads the cookie (only with the header), rotates it, and a replayed cookie ends the session and clears it', async () => {
    const u = await registerUser(t)
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: COOKIE_FLOW, payload: { email: u.email, password: PASSWORD } })
    const first = valueOf(refreshCookieOf(login))

    // The cookie alone, without the custom header, is not enough.
    const noHeader = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: `cl_refresh=${first}` }, payload: {} })
    expect(noHeader.statusCode).toBe(401)

    const rotated = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...COOKIE_FLOW, cookie: `cl_refresh=${first}` }, payload: {} })
    expect(rotated.statusCode).toBe(200)
    expect(rotated.json()).not.toHaveProperty('refreshToken')
    const second = valueOf(refreshCookieOf(rotated))
    expect(second).not.toBe(first)
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${rotated.json().accessToken}` } })
    expect(me.statusCode).toBe(200)

    // An empty body works as well as `{}`.
    const replay = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...COOKIE_FLOW, cookie: `cl_refresh=${first}` } })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().type).toBe('https://carelocker.dev/problems/refresh-token-reused')
    expect(refreshCookieOf(replay)).toMatch(/^cl_refresh=;.*Max-Age=0/i)
    // Reuse detection ended the whole session: the rotated cookie is dead too.
    const after = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...COOKIE_FLOW, cookie: `cl_refresh=${second}` }, payload: {} })
    expect(after.statusCode).toBe(401)
  })

  it('refresh with neither a body token nor a cookie is a 401, and a body token still wins over a cookie', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: COOKIE_FLOW, payload: {} })
    expect(none.statusCode).toBe(401)
    const u = await registerUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: 'cl_refresh=garbage' }, payload: { refreshToken: u.refreshToken } })
    expect(res.statusCode).toBe(200)
    expect(res.json().refreshToken).toEqual(expect.any(String))
  })

  it('logout clears the cookie and the session behind it stops refreshing', async () => {
    const u = await registerUser(t)
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: COOKIE_FLOW, payload: { email: u.email, password: PASSWORD } })
    const cookie = valueOf(refreshCookieOf(login))
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${login.json().accessToken}` }, payload: {} })
    expect(out.statusCode).toBe(204)
    expect(refreshCookieOf(out)).toMatch(/^cl_refresh=;.*Max-Age=0/i)
    expect(setCookies(out).find((c) => c.startsWith('cl_session='))).toMatch(/Max-Age=0/i)
    const again = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...COOKIE_FLOW, cookie: `cl_refresh=${cookie}` }, payload: {} })
    expect(again.statusCode).toBe(401)
  })

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const secure = await startTestApp({ PUBLIC_URL: 'https://carelocker.example' })
    try {
      const u = await registerUser(secure)
      const res = await secure.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: COOKIE_FLOW, payload: { email: u.email, password: PASSWORD } })
      expect(refreshCookieOf(res)).toMatch(/;\s*Secure/i)
    } finally {
      await secure.close()
    }
  })
})
