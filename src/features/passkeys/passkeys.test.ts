import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { SoftAuthenticator } from '../../../test/helpers/webauthn-authenticator.js'

const ORIGIN = 'http://carelocker.test'
let smtp: SmtpSink
let t: TestApp
let now = new Date()
beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url, PUBLIC_URL: ORIGIN }, { now: () => now })
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

const P = '/api/v1/auth/passkeys'
const inject = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })

async function registrationOptions(u: TestUser): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const res = await inject('POST', `${P}/registration/options`, {}, u.headers)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}
async function authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const res = await inject('POST', `${P}/authentication/options`, {})
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}
const registration = (u: TestUser, body: unknown) => inject('POST', `${P}/registration`, body, u.headers)
const signIn = (response: unknown, headers: Record<string, string> = {}) => inject('POST', `${P}/authentication`, { response }, headers)
const listOf = async (u: TestUser) => (await inject('GET', P, undefined, u.headers)).json().items as { id: string; name: string; createdAt: string; lastUsedAt: string | null }[]

/** A patient with one passkey on `authn`. */
async function withPasskey(authn = new SoftAuthenticator(ORIGIN)) {
  const u = await registerUser(t)
  const res = await registration(u, { response: authn.register(await registrationOptions(u)), name: 'Laptop' })
  expect(res.statusCode, res.body).toBe(201)
  return { u, authn, passkey: res.json() as { id: string } }
}

const passkeyRow = (id: string) => t.deps.db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const passkeyCount = async (userId: string) => (await t.deps.db.selectFrom('passkeys').select('id').where('userId', '=', userId).execute()).length
const lastEventId = async () => Number((await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0)
const actionsSince = async (id: number) => (await t.deps.db.selectFrom('auditEvents').select('action').where('id', '>', id).orderBy('id').execute()).map((r) => r.action)

describe('passkeys (SPEC §8)', () => {
  it('register → list → rename → sign in without a password → the counter advances → delete → sign-in refused', async () => {
    now = new Date()
    const u = await registerUser(t)
    const authn = new SoftAuthenticator(ORIGIN)
    const before = await lastEventId()

    const created = await registration(u, { response: authn.register(await registrationOptions(u)) })
    expect(created.statusCode, created.body).toBe(201)
    const passkey = created.json()
    expect(passkey).toEqual({ id: expect.any(String), name: `Passkey ${now.toISOString().slice(0, 10)}`, createdAt: now.toISOString(), lastUsedAt: null })
    await smtp.waitFor((m) => m.envelopeTo.includes(u.email) && /passkey was added/i.test(m.subject))
    const stored = await passkeyRow(passkey.id)
    expect(stored).toMatchObject({ credentialId: authn.credentials[0]!.id, counter: 0, transports: ['internal'], deviceType: 'singleDevice', backedUp: false })

    expect(await listOf(u)).toEqual([passkey])
    const renamed = await inject('PATCH', `${P}/${passkey.id}`, { name: '  Work laptop ' }, u.headers)
    expect(renamed.statusCode, renamed.body).toBe(200)
    expect(renamed.json()).toEqual({ ...passkey, name: 'Work laptop' })

    now = new Date(now.getTime() + 60_000)
    const res = await signIn(authn.assert(await authenticationOptions()))
    expect(res.statusCode, res.body).toBe(200)
    const session = res.json()
    expect(session).toMatchObject({ user: { id: u.id }, accessToken: expect.any(String), refreshToken: expect.any(String) })
    expect((await inject('GET', '/api/v1/auth/me', undefined, { authorization: `Bearer ${session.accessToken}` })).json().user.id).toBe(u.id)
    const method = await t.deps.db.selectFrom('sessions').select('authMethod').where('userId', '=', u.id).orderBy('createdAt', 'desc').executeTakeFirstOrThrow()
    expect(method.authMethod).toBe('passkey')
    expect(await passkeyRow(passkey.id)).toMatchObject({ counter: 1, lastUsedAt: now })
    expect((await listOf(u))[0]!.lastUsedAt).toBe(now.toISOString())

    expect((await signIn(authn.assert(await authenticationOptions()))).statusCode).toBe(200)
    expect((await passkeyRow(passkey.id)).counter).toBe(2)

    expect((await inject('DELETE', `${P}/${passkey.id}`, undefined, u.headers)).statusCode).toBe(204)
    await smtp.waitFor((m) => m.envelopeTo.includes(u.email) && /passkey was removed/i.test(m.subject))
    expect(await listOf(u)).toEqual([])
    const refused = await signIn(authn.assert(await authenticationOptions()))
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(refused.json().type).toMatch(/passkey-unknown$/)

    expect(await actionsSince(before)).toEqual(['passkey.added', 'passkey.renamed', 'auth.logged_in', 'auth.logged_in', 'passkey.removed'])
  })

  it('registration options: resident key required, user verification preferred, an opaque user handle, the user’s passkeys excluded, a stored 5-minute challenge', async () => {
    now = new Date()
    const { u, authn } = await withPasskey()
    const options = await registrationOptions(u)
    expect(options.rp).toEqual({ id: 'carelocker.test', name: 'CareLocker' })
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' })
    expect(Buffer.from(options.user.id, 'base64url').toString('hex')).toBe(u.id.replace(/-/g, ''))
    expect(options.user.id).not.toContain(Buffer.from(u.email).toString('base64url'))
    expect(options.excludeCredentials).toEqual([{ id: authn.credentials[0]!.id, type: 'public-key', transports: ['internal'] }])
    const row = await t.deps.db.selectFrom('webauthnChallenges').selectAll().where('challenge', '=', options.challenge).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ userId: u.id, purpose: 'registration', usedAt: null })
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(5 * 60_000)
  })

  it('authentication options: a discoverable sign-in (no allowCredentials) with a single-use 5-minute challenge', async () => {
    now = new Date()
    const options = await authenticationOptions()
    expect(options).toMatchObject({ rpId: 'carelocker.test', userVerification: 'preferred' })
    expect(options.allowCredentials).toBeUndefined()
    const row = await t.deps.db.selectFrom('webauthnChallenges').selectAll().where('challenge', '=', options.challenge).executeTakeFirstOrThrow()
    expect(row).toMatchObject({ userId: null, purpose: 'authentication', usedAt: null })
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(5 * 60_000)
  })

  it('the cookie flow of the web app: the refresh token goes into the httpOnly cookie', async () => {
    now = new Date()
    const { authn } = await withPasskey()
    const res = await signIn(authn.assert(await authenticationOptions()), { 'x-refresh-cookie': '1' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().refreshToken).toBeUndefined()
    expect(String(res.headers['set-cookie'])).toMatch(/cl_refresh=[^;]+;.*HttpOnly/i)
  })

  describe('a bad registration answer is 400 and stores nothing', () => {
    type Case = [string, (u: TestUser, authn: SoftAuthenticator) => Promise<unknown>]
    const cases: Case[] = [
      ['a challenge never issued', async (u, a) => ({ response: a.register(await registrationOptions(u), { challenge: 'bm90LWEtY2hhbGxlbmdlLXdlLWlzc3VlZA' }) })],
      ['a challenge issued to another user', async (_u, a) => ({ response: a.register(await registrationOptions(await registerUser(t))) })],
      ['a sign-in challenge', async (u, a) => ({ response: a.register(await registrationOptions(u), { challenge: (await authenticationOptions()).challenge }) })],
      ['a challenge older than 5 minutes', async (u, a) => {
        const options = await registrationOptions(u)
        now = new Date(now.getTime() + 5 * 60_000 + 1)
        return { response: a.register(options) }
      }],
      ['another origin', async (u, a) => ({ response: a.register(await registrationOptions(u), { origin: 'https://evil.example' }) })],
      ['another RP id', async (u, a) => ({ response: a.register(await registrationOptions(u), { rpId: 'evil.example' }) })],
      ['a sign-in answer type', async (u, a) => ({ response: a.register(await registrationOptions(u), { type: 'webauthn.get' }) })],
      ['an unknown member', async (u, a) => ({ response: a.register(await registrationOptions(u)), admin: true })],
      ['an unknown member of the response', async (u, a) => {
        const r = a.register(await registrationOptions(u))
        return { response: { ...r, response: { ...r.response, extra: 'x' } } }
      }],
      ['no attestation object', async (u, a) => {
        const r = a.register(await registrationOptions(u))
        return { response: { ...r, response: { clientDataJSON: r.response.clientDataJSON } } }
      }],
      ['clientDataJSON that is not base64url JSON', async (u, a) => {
        const r = a.register(await registrationOptions(u))
        return { response: { ...r, response: { ...r.response, clientDataJSON: Buffer.from('not json').toString('base64url') } } }
      }],
      ['an id that is not base64url', async (u, a) => ({ response: { ...a.register(await registrationOptions(u)), id: 'a b' } })],
      ['a name with a line break', async (u, a) => ({ response: a.register(await registrationOptions(u)), name: 'two\nlines' })],
      ['a name over 60 characters', async (u, a) => ({ response: a.register(await registrationOptions(u)), name: 'x'.repeat(61) })],
      ['an array for a body', async () => [1]],
    ]
    it.each(cases)('%s', async (_name, make) => {
      now = new Date()
      const u = await registerUser(t)
      const before = await lastEventId()
      const res = await registration(u, await make(u, new SoftAuthenticator(ORIGIN)))
      expect(res.statusCode, res.body).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(await passkeyCount(u.id)).toBe(0)
      expect(await actionsSince(before)).toEqual([])
    })

    it('a registration challenge is single use', async () => {
      now = new Date()
      const u = await registerUser(t)
      const authn = new SoftAuthenticator(ORIGIN)
      const options = await registrationOptions(u)
      expect((await registration(u, { response: authn.register(options) })).statusCode).toBe(201)
      const again = await registration(u, { response: authn.register(options) })
      expect(again.statusCode).toBe(400)
      expect(again.json().type).toMatch(/passkey-invalid$/)
      expect(await passkeyCount(u.id)).toBe(1)
    })

    it('a refused answer leaves its challenge unused (nothing changed)', async () => {
      now = new Date()
      const u = await registerUser(t)
      const authn = new SoftAuthenticator(ORIGIN)
      const options = await registrationOptions(u)
      expect((await registration(u, { response: authn.register(options, { origin: 'https://evil.example' }) })).statusCode).toBe(400)
      const row = await t.deps.db.selectFrom('webauthnChallenges').select('usedAt').where('challenge', '=', options.challenge).executeTakeFirstOrThrow()
      expect(row.usedAt).toBeNull()
    })
  })

  describe('a bad sign-in answer is 401 (400 when malformed) and changes nothing', () => {
    type Case = [string, number, (ctx: { authn: SoftAuthenticator; u: TestUser }) => Promise<unknown>]
    const cases: Case[] = [
      ['a challenge never issued', 401, async ({ authn }) => authn.assert(await authenticationOptions(), { challenge: 'bm90LWEtY2hhbGxlbmdlLXdlLWlzc3VlZA' })],
      ['a registration challenge', 401, async ({ authn, u }) => authn.assert(await authenticationOptions(), { challenge: (await registrationOptions(u)).challenge })],
      ['a challenge older than 5 minutes', 401, async ({ authn }) => {
        const options = await authenticationOptions()
        now = new Date(now.getTime() + 5 * 60_000 + 1)
        return authn.assert(options)
      }],
      ['another origin', 401, async ({ authn }) => authn.assert(await authenticationOptions(), { origin: 'https://evil.example' })],
      ['another RP id', 401, async ({ authn }) => authn.assert(await authenticationOptions(), { rpId: 'evil.example' })],
      ['a registration answer type', 401, async ({ authn }) => authn.assert(await authenticationOptions(), { type: 'webauthn.create' })],
      ['an unknown credential', 401, async ({ u }) => {
        const stranger = new SoftAuthenticator(ORIGIN)
        stranger.register(await registrationOptions(u)) // made but never sent to the server
        return stranger.assert(await authenticationOptions())
      }],
      ['a signature by another key', 401, async ({ authn, u }) => {
        const other = new SoftAuthenticator(ORIGIN)
        other.register(await registrationOptions(u))
        const forged = other.assert(await authenticationOptions())
        return { ...forged, id: authn.credentials[0]!.id, rawId: authn.credentials[0]!.id }
      }],
      ['a user handle of another account', 401, async ({ authn }) => authn.assert(await authenticationOptions(), { userHandle: Buffer.alloc(16, 7).toString('base64url') })],
      ['a signature counter that went back', 401, async ({ authn }) => {
        authn.credentials[0]!.counter = 0
        return authn.assert(await authenticationOptions())
      }],
      ['an unknown member', 400, async ({ authn }) => ({ ...authn.assert(await authenticationOptions()), extra: 1 })],
      ['no signature', 400, async ({ authn }) => {
        const r = authn.assert(await authenticationOptions())
        return { ...r, response: { clientDataJSON: r.response.clientDataJSON, authenticatorData: r.response.authenticatorData } }
      }],
      ['a type other than public-key', 400, async ({ authn }) => ({ ...authn.assert(await authenticationOptions()), type: 'password' })],
    ]
    it.each(cases)('%s', async (_name, status, make) => {
      now = new Date()
      const { u, authn, passkey } = await withPasskey()
      // One sign-in first, so the stored counter is non-zero (1) and its regression can be tested.
      expect((await signIn(authn.assert(await authenticationOptions()))).statusCode).toBe(200)
      const stored = await passkeyRow(passkey.id)
      const sessions = (await t.deps.db.selectFrom('sessions').select('id').where('userId', '=', u.id).execute()).length
      const res = await signIn(await make({ authn, u }))
      expect(res.statusCode, res.body).toBe(status)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(await passkeyRow(passkey.id)).toEqual(stored)
      expect((await t.deps.db.selectFrom('sessions').select('id').where('userId', '=', u.id).execute()).length).toBe(sessions)
    })

    it('a sign-in challenge is single use', async () => {
      now = new Date()
      const { authn } = await withPasskey()
      const options = await authenticationOptions()
      expect((await signIn(authn.assert(options))).statusCode).toBe(200)
      const replay = await signIn(authn.assert(options))
      expect(replay.statusCode).toBe(401)
      expect(replay.json().type).toMatch(/passkey-invalid$/)
    })

    it('an answer without user verification (no PIN or biometrics) is refused: a passkey alone is possession, not two factors', async () => {
      now = new Date()
      const { authn } = await withPasskey()
      const refused = await signIn(authn.assert(await authenticationOptions(), { userVerified: false }))
      expect(refused.statusCode, refused.body).toBe(401)
      expect(refused.json().type).toMatch(/passkey-invalid$/)
      expect((await signIn(authn.assert(await authenticationOptions()))).statusCode).toBe(200)
    })

    it('a refused answer for a known passkey is audited as a failed login of its account', async () => {
      now = new Date()
      const { u, authn } = await withPasskey()
      const before = await lastEventId()
      expect((await signIn(authn.assert(await authenticationOptions(), { origin: 'https://evil.example' }))).statusCode).toBe(401)
      const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorId']).where('id', '>', before).execute()
      expect(events).toEqual([{ action: 'auth.login_failed', actorId: u.id }])
    })
  })

  it('a disabled account’s passkey is refused with 403, like its password', async () => {
    now = new Date()
    const { u, authn } = await withPasskey()
    const admin = await createAdmin(t)
    expect((await inject('POST', `/api/v1/admin/users/${u.id}/disable`, {}, admin.headers)).statusCode).toBe(200)
    const res = await signIn(authn.assert(await authenticationOptions()))
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().type).toMatch(/account-disabled$/)
  })

  it('another user’s passkey is 404 to rename or remove, and stays as it was', async () => {
    now = new Date()
    const { u, passkey } = await withPasskey()
    const other = await registerUser(t)
    expect((await inject('PATCH', `${P}/${passkey.id}`, { name: 'Mine now' }, other.headers)).statusCode).toBe(404)
    expect((await inject('DELETE', `${P}/${passkey.id}`, undefined, other.headers)).statusCode).toBe(404)
    expect((await inject('DELETE', `${P}/00000000-0000-4000-8000-000000000000`, undefined, u.headers)).statusCode).toBe(404)
    expect((await inject('PATCH', `${P}/not-a-uuid`, { name: 'x' }, u.headers)).statusCode).toBe(400)
    expect((await inject('PATCH', `${P}/${passkey.id}`, { name: '' }, u.headers)).statusCode).toBe(400)
    expect((await inject('PATCH', `${P}/${passkey.id}`, { name: 'x', extra: 1 }, u.headers)).statusCode).toBe(400)
    expect(await listOf(other)).toEqual([])
    expect((await listOf(u)).map((p) => p.name)).toEqual(['Laptop'])
  })

  it('a credential registered already (to anyone) is 409 and stores nothing', async () => {
    now = new Date()
    const { authn } = await withPasskey()
    const other = await registerUser(t)
    const res = await registration(other, { response: authn.register(await registrationOptions(other), { credential: authn.credentials[0]! }) })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().type).toMatch(/passkey-exists$/)
    expect(await passkeyCount(other.id)).toBe(0)
  })

  it('a passkey sign-in is a full sign-in for a role that requires a second factor', async () => {
    const strict = await startTestApp({ PUBLIC_URL: ORIGIN, MFA_REQUIRED_ROLES: 'doctor,pharmacist,admin' })
    try {
      const admin = await createAdmin(strict)
      const authn = new SoftAuthenticator(ORIGIN)
      const opts = await strict.app.inject({ method: 'POST', url: `${P}/registration/options`, payload: {}, headers: admin.headers })
      expect(opts.statusCode, opts.body).toBe(200)
      const added = await strict.app.inject({ method: 'POST', url: `${P}/registration`, payload: { response: authn.register(opts.json()) }, headers: admin.headers })
      expect(added.statusCode, added.body).toBe(201)
      const ask = await strict.app.inject({ method: 'POST', url: `${P}/authentication/options`, payload: {} })
      const res = await strict.app.inject({ method: 'POST', url: `${P}/authentication`, payload: { response: authn.assert(ask.json()) } })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ user: { id: admin.id }, accessToken: expect.any(String) })
      expect(res.json().mfaRequired).toBeUndefined()
    } finally {
      await strict.close()
    }
  })

  it('failed passkey sign-ins count against the per-IP failed-login limit (429 once spent)', async () => {
    const limited = await startTestApp({ PUBLIC_URL: ORIGIN, RATE_LIMIT_LOGIN_FAILURES_PER_HOUR_IP: '2' })
    try {
      const ask = async () => (await limited.app.inject({ method: 'POST', url: `${P}/authentication/options`, payload: {} })).json()
      const stranger = new SoftAuthenticator(ORIGIN)
      stranger.register({ ...(await ask()), rp: { id: 'carelocker.test', name: 'x' }, user: { id: 'AA', name: 'x', displayName: 'x' }, pubKeyCredParams: [] })
      const statuses = []
      for (let i = 0; i < 3; i++) {
        statuses.push((await limited.app.inject({ method: 'POST', url: `${P}/authentication`, payload: { response: stranger.assert(await ask()) } })).statusCode)
      }
      expect(statuses).toEqual([401, 401, 429])
    } finally {
      await limited.close()
    }
  })

  it('needs a signed-in user to manage passkeys; a pending doctor may', async () => {
    expect((await inject('GET', P)).statusCode).toBe(401)
    expect((await inject('POST', `${P}/registration/options`, {})).statusCode).toBe(401)
    const doctor = await registerUser(t, 'doctor')
    expect((await inject('GET', P, undefined, doctor.headers)).statusCode).toBe(200)
  })
})
