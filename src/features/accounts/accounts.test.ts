import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, loginAs, PASSWORD, registerUser, registerVerified } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t.close())

const post = (url: string, payload?: unknown, headers?: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, ...(payload !== undefined ? { payload: payload as object } : {}), ...(headers ? { headers } : {}) })
const get = (url: string, headers?: Record<string, string>) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, ...(headers ? { headers } : {}) })

describe('registration', () => {
  it('creates an active patient with tokens; access token lives at most 15 minutes', async () => {
    const res = await post('/auth/register', { email: 'Ann.Smith@Example.test', password: PASSWORD, role: 'patient', name: 'Ann Smith' })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body.user).toMatchObject({ email: 'ann.smith@example.test', role: 'patient', status: 'active', name: 'Ann Smith' })
    expect(body.expiresIn).toBeLessThanOrEqual(900)
    expect(body.user).not.toHaveProperty('passwordHash')
    const me = await get('/auth/me', { authorization: `Bearer ${body.accessToken}` })
    expect(me.json().user.id).toBe(body.user.id)
  })

  it('treats email case-insensitively: a second account with the same email is 409', async () => {
    await post('/auth/register', { email: 'dup@example.test', password: PASSWORD, role: 'patient', name: 'A' })
    const res = await post('/auth/register', { email: 'DUP@example.test', password: PASSWORD, role: 'patient', name: 'B' })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().type).toBe('https://carelocker.dev/problems/email-taken')
  })

  it('registers doctors and pharmacists as pending, with their professional fields', async () => {
    const res = await post('/auth/register', { email: 'doc@example.test', password: PASSWORD, role: 'doctor', name: 'Dr Who', specialty: 'Cardiology', licenseNumber: 'L-1' })
    expect(res.statusCode).toBe(201)
    expect(res.json().user).toMatchObject({ status: 'pending', doctor: { specialty: 'Cardiology', licenseNumber: 'L-1' } })
    const ph = await post('/auth/register', { email: 'ph@example.test', password: PASSWORD, role: 'pharmacist', name: 'P', pharmacyName: 'Corner', licenseNumber: 'P-1' })
    expect(ph.json().user).toMatchObject({ status: 'pending', pharmacist: { pharmacyName: 'Corner', licenseNumber: 'P-1' } })
  })

  it('rejects bad input with field paths: missing, wrong type, unknown field, short password, admin role', async () => {
    const cases: [unknown, string][] = [
      [{ password: PASSWORD, role: 'patient', name: 'X' }, '/email'],
      [{ email: 'x@example.test', password: 12345678901, role: 'patient', name: 'X' }, '/password'],
      [{ email: 'x@example.test', password: 'short', role: 'patient', name: 'X' }, '/password'],
      [{ email: 'x@example.test', password: PASSWORD, role: 'patient', name: 'X', isAdmin: true }, '/isAdmin'],
      [{ email: 'x@example.test', password: PASSWORD, role: 'admin', name: 'X' }, '/role'],
      [{ email: 'x@example.test', password: PASSWORD, role: 'doctor', name: 'X' }, '/specialty'],
      [{ email: 'not-an-email', password: PASSWORD, role: 'patient', name: 'X' }, '/email'],
    ]
    for (const [payload, path] of cases) {
      const res = await post('/auth/register', payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      const body = res.json()
      expect(body.type).toBe('https://carelocker.dev/problems/validation-error')
      expect(body.errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect((await post('/auth/login', { email: 'x@example.test', password: PASSWORD })).statusCode).toBe(401)
  })

  it('answers malformed JSON and oversized bodies with problem+json', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
    expect(bad.statusCode).toBe(400)
    expect(bad.headers['content-type']).toContain('application/problem+json')
    const huge = await post('/auth/register', { email: 'h@example.test', password: PASSWORD, role: 'patient', name: 'x'.repeat(2 * 1024 * 1024) })
    expect(huge.statusCode).toBe(413)
  })
})

describe('login and sessions', () => {
  it('answers unknown email and wrong password with the same 401 body', async () => {
    const u = await registerUser(t)
    const unknown = await post('/auth/login', { email: 'nobody@example.test', password: PASSWORD })
    const wrong = await post('/auth/login', { email: u.email, password: 'wrong password!' })
    expect(unknown.statusCode).toBe(401)
    expect(wrong.statusCode).toBe(401)
    expect(unknown.json()).toEqual(wrong.json())
  })

  it('logout kills the access token and the refresh token at once', async () => {
    const u = await registerUser(t)
    expect((await post('/auth/logout', undefined, u.headers)).statusCode).toBe(204)
    expect((await get('/auth/me', u.headers)).statusCode).toBe(401)
    expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(401)
  })

  it('rotates refresh tokens; replaying a used one revokes the whole session', async () => {
    const u = await loginAs(t, (await registerUser(t)).email)
    const first = await post('/auth/refresh', { refreshToken: u.refreshToken })
    expect(first.statusCode).toBe(200)
    const next = first.json()
    expect(next.refreshToken).not.toBe(u.refreshToken)
    const replay = await post('/auth/refresh', { refreshToken: u.refreshToken })
    expect(replay.statusCode).toBe(401)
    expect(replay.json().type).toBe('https://carelocker.dev/problems/refresh-token-reused')
    // The thief's rotation also ended the legitimate holder's session.
    expect((await post('/auth/refresh', { refreshToken: next.refreshToken })).statusCode).toBe(401)
    expect((await get('/auth/me', { authorization: `Bearer ${next.accessToken}` })).statusCode).toBe(401)
  })

  it('concurrent refreshes with one token: at most one succeeds', async () => {
    const u = await registerUser(t)
    const results = await Promise.all([1, 2, 3, 4].map(() => post('/auth/refresh', { refreshToken: u.refreshToken })))
    expect(results.filter((r) => r.statusCode === 200).length).toBeLessThanOrEqual(1)
  })

  it('rejects forged, garbage and missing tokens with 401', async () => {
    const u = await registerUser(t)
    const [h, p] = u.accessToken.split('.')
    const forged = `${h}.${p}.${'A'.repeat(43)}`
    for (const authorization of [`Bearer ${forged}`, 'Bearer garbage', 'Basic abc']) {
      expect((await get('/auth/me', { authorization })).statusCode).toBe(401)
    }
    expect((await get('/auth/me')).statusCode).toBe(401)
    expect((await post('/auth/refresh', { refreshToken: 'nope' })).statusCode).toBe(401)
  })

  it('changing the password ends the other sessions but keeps this one', async () => {
    const a = await registerUser(t)
    const b = await loginAs(t, a.email)
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/auth/password', headers: a.headers, payload: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } })
    expect(res.statusCode).toBe(204)
    expect((await get('/auth/me', a.headers)).statusCode).toBe(200)
    expect((await get('/auth/me', b.headers)).statusCode).toBe(401)
    expect((await post('/auth/login', { email: a.email, password: PASSWORD })).statusCode).toBe(401)
    await loginAs(t, a.email, 'a brand new passphrase')
    const wrong = await t.app.inject({ method: 'PUT', url: '/api/v1/auth/password', headers: a.headers, payload: { currentPassword: 'not it at all', newPassword: 'another passphrase' } })
    expect(wrong.statusCode).toBe(401)
  })
})

describe('admin', () => {
  it('verifies a pending doctor: status changes on the open session at once', async () => {
    const admin = await createAdmin(t)
    const doc = await registerUser(t, 'doctor')
    expect((await get('/auth/me', doc.headers)).json().user.status).toBe('pending')
    const list = await get('/admin/users?role=doctor&status=pending', admin.headers)
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((u: { id: string }) => u.id)).toContain(doc.id)
    const res = await post(`/admin/users/${doc.id}/verify`, {}, admin.headers)
    expect(res.statusCode).toBe(200)
    expect(res.json().status).toBe('active')
    expect((await get('/auth/me', doc.headers)).json().user.status).toBe('active')
    expect((await post(`/admin/users/${doc.id}/verify`, undefined, admin.headers)).statusCode).toBe(409)
  })

  it('disabling a user locks them out at once: open session 401, login refused', async () => {
    const admin = await createAdmin(t)
    const u = await registerUser(t)
    expect((await post(`/admin/users/${u.id}/disable`, undefined, admin.headers)).json().status).toBe('disabled')
    expect((await get('/auth/me', u.headers)).statusCode).toBe(401)
    expect((await post('/auth/refresh', { refreshToken: u.refreshToken })).statusCode).toBe(401)
    const login = await post('/auth/login', { email: u.email, password: PASSWORD })
    expect(login.statusCode).toBe(403)
    expect(login.json().type).toBe('https://carelocker.dev/problems/account-disabled')
  })

  it('pages users with an opaque cursor and no duplicates', async () => {
    const admin = await createAdmin(t)
    for (let i = 0; i < 5; i++) await registerUser(t, 'pharmacist')
    const seen = new Set<string>()
    let cursor: string | null = null
    do {
      const res = await get(`/admin/users?role=pharmacist&limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin.headers)
      expect(res.statusCode).toBe(200)
      const body = res.json()
      for (const u of body.items) {
        expect(seen.has(u.id)).toBe(false)
        seen.add(u.id)
      }
      cursor = body.nextCursor
    } while (cursor)
    expect(seen.size).toBeGreaterThanOrEqual(5)
    expect((await get('/admin/users?cursor=garbage', admin.headers)).statusCode).toBe(400)
    expect((await get('/admin/users?limit=0', admin.headers)).statusCode).toBe(400)
  })

  it('admin routes are 403 for every other role, 401 without a token', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist')
    for (const u of [patient, doctor, pharmacist]) {
      expect((await get('/admin/users', u.headers)).statusCode).toBe(403)
      expect((await post(`/admin/users/${u.id}/verify`, undefined, u.headers)).statusCode).toBe(403)
      expect((await post(`/admin/users/${u.id}/disable`, undefined, u.headers)).statusCode).toBe(403)
    }
    expect((await get('/admin/users')).statusCode).toBe(401)
  })

  it('an admin cannot disable themselves; unknown ids are 404', async () => {
    const admin = await createAdmin(t)
    expect((await post(`/admin/users/${admin.id}/disable`, undefined, admin.headers)).statusCode).toBe(409)
    expect((await post('/admin/users/00000000-0000-4000-8000-000000000000/verify', undefined, admin.headers)).statusCode).toBe(404)
    expect((await post('/admin/users/not-a-uuid/verify', undefined, admin.headers)).statusCode).toBe(400)
  })
})

describe('platform', () => {
  it('serves health, readiness, OpenAPI with full paths, and security headers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' })
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)
    const doc = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })
    expect(doc.statusCode).toBe(200)
    expect(Object.keys(doc.json().paths)).toContain('/api/v1/auth/register')
    expect(doc.headers['x-content-type-options']).toBe('nosniff')
    expect(doc.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })

  it('treats unknown URLs as authenticated: 401 anonymous, 404 problem when signed in', async () => {
    expect((await get('/no-such-route')).statusCode).toBe(401)
    const u = await registerUser(t)
    const res = await get('/no-such-route', u.headers)
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toContain('application/problem+json')
  })
})

describe('methods', () => {
  it('a known path called with another method is 405 with Allow, even without a token', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/login' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/patients/me/profile' })).headers.allow).toBe('GET, HEAD, PUT')
  })
})
