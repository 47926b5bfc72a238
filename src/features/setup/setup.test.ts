/**
 * First-run setup (SPEC §1): the link `main.ts` prints when no active admin exists, and
 * `POST /setup/admin` that creates the first admin with it — once.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ensureAdmin } from '../accounts/accounts.service.js'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { prepareSetupLink } from './setup.service.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())

/** Back to a first run: no active admin (disabled admins do not count). */
beforeEach(async () => {
  await t.deps.db.updateTable('users').set({ status: 'disabled' }).where('role', '=', 'admin').execute()
})

const admin = () => ({ email: `first-admin-${randomUUID()}@example.test`, password: PASSWORD, name: 'First Admin' })
const setup = (payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: '/api/v1/setup/admin', payload, headers })

async function newToken(app: TestApp = t): Promise<string> {
  const link = await prepareSetupLink(app.deps)
  expect(link).toMatch(/^http:\/\/carelocker\.test\/setup#[A-Za-z0-9_-]{43}$/)
  return (link as string).split('#')[1] as string
}

const problemType = (res: { json: () => { type: string } }) => res.json().type.replace('https://carelocker.dev/problems/', '')

describe('first-run setup link and POST /setup/admin', () => {
  it('the token creates an active admin and signs them in, once; then 410 setup-token-used and no more links', async () => {
    const token = await newToken()
    const a = admin()
    const res = await setup({ token, ...a })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body.user).toMatchObject({ email: a.email, role: 'admin', status: 'active', name: 'First Admin' })
    expect(body.refreshToken).toEqual(expect.any(String))
    const users = await t.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: { authorization: `Bearer ${body.accessToken}` } })
    expect(users.statusCode).toBe(200)

    const again = await setup({ token, ...admin() })
    expect(again.statusCode).toBe(410)
    expect(problemType(again)).toBe('setup-token-used')
    expect(await prepareSetupLink(t.deps)).toBeUndefined()

    // Audited as the new admin's act; only the token's hash is stored.
    const events = await t.deps.db.selectFrom('auditEvents').selectAll().where('action', '=', 'setup.admin_created').where('resourceId', '=', body.user.id).execute()
    expect(events).toMatchObject([{ actorKind: 'admin', actorId: body.user.id, resourceType: 'user' }])
    const stored = await t.deps.db.selectFrom('setupTokens').selectAll().execute()
    expect(JSON.stringify(stored)).not.toContain(token)
  })

  it('a wrong token is 404, and so is the link of an earlier start; the latest one works', async () => {
    const earlier = await newToken()
    const latest = await newToken()
    for (const token of [earlier, randomBytes(32).toString('base64url'), 'x']) {
      const res = await setup({ token, ...admin() })
      expect(res.statusCode, token).toBe(404)
    }
    expect((await setup({ token: latest, ...admin() })).statusCode).toBe(201)
  })

  it('once an admin exists some other way, an unused token is 410 setup-complete', async () => {
    const token = await newToken()
    await ensureAdmin(t.deps, `cli-admin-${randomUUID()}@example.test`, PASSWORD)
    const res = await setup({ token, ...admin() })
    expect(res.statusCode).toBe(410)
    expect(problemType(res)).toBe('setup-complete')
    expect(await prepareSetupLink(t.deps)).toBeUndefined()
  })

  it('the password policy applies (400 password-too-common) and a refused attempt leaves the token usable', async () => {
    const token = await newToken()
    const a = admin()
    for (const password of ['1234567890', 'password12', a.email]) {
      const res = await setup({ token, ...a, password })
      expect(res.statusCode).toBe(400)
      expect(problemType(res)).toBe('password-too-common')
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/password' })])
    }
    const short = await setup({ token, ...a, password: 'short one' })
    expect(short.statusCode).toBe(400)
    expect((await setup({ token, ...a })).statusCode).toBe(201)
  })

  it('refuses unknown fields (400) and a taken email (409), both without using the token', async () => {
    const token = await newToken()
    expect((await setup({ token, ...admin(), role: 'admin' })).statusCode).toBe(400)
    expect((await setup({ ...admin() })).statusCode).toBe(400)
    const patient = await registerUser(t)
    const taken = await setup({ token, ...admin(), email: patient.email })
    expect(taken.statusCode).toBe(409)
    expect((await setup({ token, ...admin() })).statusCode).toBe(201)
  })

  it('with X-Refresh-Cookie the refresh token goes into the httpOnly cookie, as for registration', async () => {
    const token = await newToken()
    const res = await setup({ token, ...admin() }, { 'x-refresh-cookie': '1' })
    expect(res.statusCode).toBe(201)
    expect(res.json().refreshToken).toBeUndefined()
    expect(String(res.headers['set-cookie'])).toMatch(/cl_refresh=[^;]+;.*HttpOnly/i)
  })

  it('two requests with one token at once create one admin', async () => {
    const token = await newToken()
    const results = await Promise.all([setup({ token, ...admin() }), setup({ token, ...admin() })])
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 410])
  })
})

describe('rate limit', () => {
  it('is limited per IP like registration: 429 with Retry-After, another IP still gets through', async () => {
    const limited = await startTestApp({ RATE_LIMIT_REGISTER_PER_HOUR: '2' })
    try {
      const token = await newToken(limited)
      const post = (ip: string) =>
        limited.app.inject({ method: 'POST', url: '/api/v1/setup/admin', payload: { token: 'wrong', ...admin() }, remoteAddress: ip })
      expect((await post('198.51.100.7')).statusCode).toBe(404)
      expect((await post('198.51.100.7')).statusCode).toBe(404)
      const refused = await post('198.51.100.7')
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['retry-after']).toBeDefined()
      const other = await limited.app.inject({ method: 'POST', url: '/api/v1/setup/admin', payload: { token, ...admin() }, remoteAddress: '198.51.100.8' })
      expect(other.statusCode).toBe(201)
    } finally {
      await limited.close()
    }
  })
})
