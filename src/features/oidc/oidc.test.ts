/**
 * Sign in with an OpenID Connect provider (SPEC §8), against a real provider (`oidc-provider`)
 * on a loopback port: the whole redirect dance — our start, the provider's login and consent
 * forms, its redirect back, our callback — with plain HTTP requests.
 */
import { createHash, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { enrolTotp, totpCode } from '../../../test/helpers/mfa.js'
import { OidcBrowser, startOidcProvider, type ProviderAccount, type TestOidcProvider } from '../../../test/helpers/oidc-provider.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const PUBLIC_URL = 'http://carelocker.test'
const REDIRECT_URI = `${PUBLIC_URL}/api/v1/auth/oidc/callback`

let op: TestOidcProvider
let t: TestApp

beforeAll(async () => {
  op = await startOidcProvider(REDIRECT_URI)
  t = await startTestApp({ PUBLIC_URL, ...op.env('Test Provider') })
})
afterAll(async () => {
  await t?.close()
  await op?.close()
})

interface Started {
  /** The provider's authorization URL we were sent to. */
  authorizeUrl: URL
  /** The state bound to this browser (the `cl_oidc_state` cookie). */
  state: string
  stateCookie: string
}

/** `GET /auth/oidc/start`, as the sign-in button's navigation does. */
async function start(): Promise<Started> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' })
  expect(res.statusCode, res.body).toBe(302)
  const cookie = res.cookies.find((c) => c.name === 'cl_oidc_state')
  expect(cookie).toBeDefined()
  return { authorizeUrl: new URL(String(res.headers.location)), state: cookie!.value, stateCookie: String([res.headers['set-cookie']].flat()[0]) }
}

/** Our callback with the URL the provider redirected to, carrying `cookie` (the state cookie unless told otherwise). */
function callback(redirect: URL, cookie: string | undefined) {
  return t.app.inject({ method: 'GET', url: `${redirect.pathname}${redirect.search}`, headers: cookie === undefined ? {} : { cookie: `cl_oidc_state=${cookie}` } })
}

/** Start → provider login as `sub` (defined as `account`) and consent → the redirect back (not yet followed). */
async function atProvider(sub: string, account?: ProviderAccount, opts: { abort?: boolean } = {}) {
  if (account) op.setAccount(sub, account)
  const started = await start()
  const redirect = await new OidcBrowser(REDIRECT_URI).signIn(started.authorizeUrl.href, sub, opts)
  return { ...started, redirect }
}

/** The whole dance; returns the callback's answer. */
async function signInAs(sub: string, account?: ProviderAccount) {
  const { redirect, state } = await atProvider(sub, account)
  return callback(redirect, state)
}

/** Resumes the session as the web app does, from the refresh cookie the callback set. */
async function resume(res: Awaited<ReturnType<typeof callback>>) {
  const refresh = res.cookies.find((c) => c.name === 'cl_refresh')
  expect(refresh, 'the callback sets cl_refresh').toBeDefined()
  const r = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { 'x-refresh-cookie': '1', cookie: `cl_refresh=${refresh!.value}` } })
  expect(r.statusCode, r.body).toBe(200)
  return r.json().user as { id: string; email: string; role: string; name: string }
}

const newEmail = () => `oidc-${randomUUID()}@example.test`
const stateHash = (state: string) => createHash('sha256').update(state).digest('hex')
const userByEmail = (email: string) => t.deps.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst()
const identitiesOf = (userId: string) => t.deps.db.selectFrom('oidcIdentities').selectAll().where('userId', '=', userId).execute()
const sessionsOf = (userId: string) => t.deps.db.selectFrom('sessions').selectAll().where('userId', '=', userId).execute()
const eventsOf = async (userId: string) =>
  (await t.deps.db.selectFrom('auditEvents').select('action').where('actorId', '=', userId).orderBy('id').execute()).map((e) => e.action)

/** A refusal page: its status, HTML, a way back to sign-in, and the words it says. */
function expectRefusal(res: Awaited<ReturnType<typeof callback>>, status: number, words: RegExp) {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toContain('text/html')
  expect(res.body).toMatch(words)
  expect(res.body).toContain('href="/login"')
  expect(res.cookies.find((c) => c.name === 'cl_refresh')).toBeUndefined()
}

describe('OpenID Connect sign-in (SPEC §8)', () => {
  it('GET /auth/oidc tells the web app the button is on and its label', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/auth/oidc' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ enabled: true, name: 'Test Provider' })
  })

  it('start redirects to the provider with code + PKCE S256 + state + nonce, keeps only the state\'s hash, and binds the state to the browser with a Lax cookie on the callback path', async () => {
    const { authorizeUrl, state, stateCookie } = await start()
    expect(authorizeUrl.origin).toBe(op.issuer)
    const p = authorizeUrl.searchParams
    expect(p.get('response_type')).toBe('code')
    expect(p.get('client_id')).toBe(op.clientId)
    expect(p.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(p.get('scope')).toBe('openid email profile')
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('state')).toBe(state)
    expect(p.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/)
    expect(stateCookie).toMatch(/HttpOnly/i)
    expect(stateCookie).toMatch(/SameSite=Lax/i)
    expect(stateCookie).toMatch(/Path=\/api\/v1\/auth\/oidc\/callback/)
    expect(stateCookie).toMatch(/Max-Age=600/)
    const row = await t.deps.db.selectFrom('oidcLogins').selectAll().where('stateHash', '=', stateHash(state)).executeTakeFirstOrThrow()
    expect(row.usedAt).toBeNull()
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(10 * 60 * 1000)
    expect(row.nonce).toBe(p.get('nonce'))
    expect(await t.deps.db.selectFrom('oidcLogins').select('stateHash').where('stateHash', '=', state).execute()).toEqual([])
  })

  it('a first sign-in with a verified email creates a patient with no password, signed in through the refresh cookie, and audits it', async () => {
    const email = newEmail()
    const res = await signInAs(`new-${randomUUID()}`, { email, email_verified: true, name: 'Ada Lovelace' })
    expect(res.statusCode, res.body).toBe(302)
    expect(res.headers.location).toBe('/')
    expect(res.cookies.find((c) => c.name === 'cl_session')?.value).toBe('1')
    expect(res.cookies.find((c) => c.name === 'cl_oidc_state')?.value).toBe('')
    const user = await resume(res)
    expect(user).toMatchObject({ email, role: 'patient', name: 'Ada Lovelace' })
    const row = await userByEmail(email)
    expect(row).toMatchObject({ role: 'patient', status: 'active', passwordHash: null })
    expect(row!.emailVerifiedAt).not.toBeNull()
    expect(await identitiesOf(row!.id)).toHaveLength(1)
    expect((await sessionsOf(row!.id)).map((s) => s.authMethod)).toEqual(['oidc'])
    expect(await eventsOf(row!.id)).toEqual(['auth.oidc_account_created', 'auth.logged_in'])
  })

  it('a new account is named after the address when the provider gives no name', async () => {
    const email = newEmail()
    const user = await resume(await signInAs(`noname-${randomUUID()}`, { email, email_verified: true }))
    expect(user).toMatchObject({ email, role: 'patient', name: email.slice(0, email.indexOf('@')) })
  })

  it('no account is made from an email the provider does not say is verified: a 403 page, nothing stored', async () => {
    const email = newEmail()
    expectRefusal(await signInAs(`unverified-${randomUUID()}`, { email, email_verified: false }), 403, /not verified/)
    expect(await userByEmail(email)).toBeUndefined()
  })

  it('an existing account is linked when the provider says its email is verified', async () => {
    const doctor = await registerUser(t, 'doctor')
    const res = await signInAs(`link-${randomUUID()}`, { email: doctor.email.toUpperCase(), email_verified: true, name: 'Someone Else' })
    expect(res.statusCode, res.body).toBe(302)
    const user = await resume(res)
    expect(user).toMatchObject({ id: doctor.id, role: 'doctor', name: 'Test doctor' })
    expect(await identitiesOf(doctor.id)).toHaveLength(1)
    expect(await eventsOf(doctor.id)).toEqual(['auth.oidc_linked', 'auth.logged_in'])
  })

  it('an existing account is NOT linked when the provider does not say the email is verified: a 403 page, nothing changes', async () => {
    const patient = await registerUser(t)
    const before = await userByEmail(patient.email)
    for (const account of [{ email: patient.email, email_verified: false }, { email: patient.email }]) {
      const res = await signInAs(`nolink-${randomUUID()}`, account)
      expectRefusal(res, 403, /does not say the address is verified/)
    }
    expect(await userByEmail(patient.email)).toEqual(before)
    expect(await identitiesOf(patient.id)).toEqual([])
    expect(await sessionsOf(patient.id)).toHaveLength(1) // the registration's only
    expect(await eventsOf(patient.id)).toEqual([])
  })

  it('an account whose own address was never confirmed is not linked either (a stranger may have registered it first)', async () => {
    const squatter = await registerUser(t, 'patient', {}, { emailVerified: false })
    const res = await signInAs(`squat-${randomUUID()}`, { email: squatter.email, email_verified: true })
    expectRefusal(res, 403, /never confirmed/)
    expect(await identitiesOf(squatter.id)).toEqual([])
  })

  it('a later sign-in finds the account by (issuer, subject), even after the email changed at the provider', async () => {
    const sub = `returning-${randomUUID()}`
    const email = newEmail()
    const first = await resume(await signInAs(sub, { email, email_verified: true }))
    const again = await signInAs(sub, { email: newEmail(), email_verified: false, name: 'New Name' })
    expect(again.statusCode, again.body).toBe(302)
    expect(await resume(again)).toMatchObject({ id: first.id, email, name: first.name })
    expect(await sessionsOf(first.id)).toHaveLength(2)
    expect(await identitiesOf(first.id)).toHaveLength(1)
  })

  it('a tampered or missing state, or a state not bound to this browser, is a 400 page — and the real callback still works afterwards', async () => {
    const { redirect, state } = await atProvider(`tamper-${randomUUID()}`, { email: newEmail(), email_verified: true })
    const tampered = new URL(redirect)
    tampered.searchParams.set('state', `${state.slice(0, -2)}xx`)
    expectRefusal(await callback(tampered, state), 400, /does not belong to a sign-in started in this browser/)
    expectRefusal(await callback(tampered, tampered.searchParams.get('state')!), 400, /no record of this sign-in/)
    expectRefusal(await callback(redirect, undefined), 400, /does not belong to a sign-in started in this browser/)
    expectRefusal(await callback(redirect, `${state}x`), 400, /does not belong/)
    const stateless = new URL(redirect)
    stateless.searchParams.delete('state')
    expectRefusal(await callback(stateless, state), 400, /no sign-in state/)
    expect((await callback(redirect, state)).statusCode).toBe(302)
  })

  it('two first sign-ins of the same person at once make one account: the loser of the race gets a 400 page, never a 500', async () => {
    const sub = `race-${randomUUID()}`
    const email = newEmail()
    const [a, b] = await Promise.all([atProvider(sub, { email, email_verified: true }), atProvider(sub)])
    const answers = await Promise.all([callback(a.redirect, a.state), callback(b.redirect, b.state)])
    expect(answers.some((r) => r.statusCode === 302)).toBe(true)
    for (const r of answers.filter((r) => r.statusCode !== 302)) expectRefusal(r, 400, /at the same moment/)
    const user = await userByEmail(email)
    expect(await identitiesOf(user!.id)).toHaveLength(1)
  })

  it('a replayed callback is refused with a 400 page and opens no second session', async () => {
    const email = newEmail()
    const { redirect, state } = await atProvider(`replay-${randomUUID()}`, { email, email_verified: true })
    const [a, b] = await Promise.all([callback(redirect, state), callback(redirect, state)])
    expect([a.statusCode, b.statusCode].sort()).toEqual([302, 400])
    expectRefusal(a.statusCode === 400 ? a : b, 400, /already been used/)
    expectRefusal(await callback(redirect, state), 400, /already been used/)
    expect(await sessionsOf((await userByEmail(email))!.id)).toHaveLength(1)
  })

  it('cancelling at the provider (error=access_denied) lands on a 401 page saying so; no account is made', async () => {
    const email = newEmail()
    const { redirect, state } = await atProvider(`cancel-${randomUUID()}`, { email, email_verified: true }, { abort: true })
    expect(redirect.searchParams.get('error')).toBe('access_denied')
    expectRefusal(await callback(redirect, state), 401, /cancelled or declined the sign-in at Test Provider/)
    expect(await userByEmail(email)).toBeUndefined()
  })

  it('a login older than 10 minutes is refused with a 400 page', async () => {
    const email = newEmail()
    const { redirect, state } = await atProvider(`slow-${randomUUID()}`, { email, email_verified: true })
    await t.deps.db.updateTable('oidcLogins').set({ expiresAt: new Date(Date.now() - 1000) }).where('stateHash', '=', stateHash(state)).execute()
    expectRefusal(await callback(redirect, state), 400, /within 10 minutes/)
    expect(await userByEmail(email)).toBeUndefined()
  })

  it('a code the provider does not redeem, or an ID token with another nonce, is a 401 page', async () => {
    const email = newEmail()
    const bad = await atProvider(`badcode-${randomUUID()}`, { email, email_verified: true })
    const forged = new URL(bad.redirect)
    forged.searchParams.set('code', 'not-a-code')
    expectRefusal(await callback(forged, bad.state), 401, /could not confirm this sign-in/)

    const other = await atProvider(`nonce-${randomUUID()}`, { email, email_verified: true })
    await t.deps.db.updateTable('oidcLogins').set({ nonce: 'another-nonce-than-the-one-sent' }).where('stateHash', '=', stateHash(other.state)).execute()
    expectRefusal(await callback(other.redirect, other.state), 401, /could not confirm this sign-in/)
    expect(await userByEmail(email)).toBeUndefined()
  })

  it('parameters the provider adds (Google\'s authuser, hd, prompt…) are ignored', async () => {
    const { redirect, state } = await atProvider(`extra-${randomUUID()}`, { email: newEmail(), email_verified: true })
    redirect.searchParams.set('authuser', '0')
    redirect.searchParams.set('prompt', 'consent')
    redirect.searchParams.set('session_state', 'abc.def')
    const res = await callback(redirect, state)
    expect(res.statusCode, res.body).toBe(302)
  })

  it('an account with a second factor gets the second-factor step, not a session: /login#mfa=…, no cookie; the code then signs in', async () => {
    const patient = await registerUser(t, 'patient')
    const { secret } = await enrolTotp(t, patient)
    const res = await signInAs(`mfa-${randomUUID()}`, { email: patient.email, email_verified: true })
    expect(res.statusCode, res.body).toBe(302)
    const location = new URL(String(res.headers.location), PUBLIC_URL)
    expect(location.pathname).toBe('/login')
    expect(location.search).toBe('')
    const step = new URLSearchParams(location.hash.slice(1))
    expect(step.get('methods')).toBe('totp,recovery')
    expect(res.cookies.find((c) => c.name === 'cl_refresh')).toBeUndefined()
    expect(await sessionsOf(patient.id)).toHaveLength(1)
    // A code of the next step: the enrolment spent this one (a replay would be refused).
    const done = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login/mfa', payload: { mfaToken: step.get('mfa'), code: totpCode(secret, new Date(), 1) } })
    expect(done.statusCode, done.body).toBe(200)
    expect(done.json().user.id).toBe(patient.id)
    expect(await sessionsOf(patient.id)).toHaveLength(2)
  })

  it('a disabled account is refused with a 403 page and the attempt is audited', async () => {
    const sub = `disabled-${randomUUID()}`
    const user = await resume(await signInAs(sub, { email: newEmail(), email_verified: true }))
    await t.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute()
    expectRefusal(await signInAs(sub), 403, /has been disabled/)
    expect(await sessionsOf(user.id)).toHaveLength(1)
    expect((await eventsOf(user.id)).at(-1)).toBe('auth.login_failed')
  })

  it('no token or personal data in the redirect back to the web app or on a refusal page', async () => {
    const email = newEmail()
    const { redirect, state } = await atProvider(`private-${randomUUID()}`, { email, email_verified: true })
    const res = await callback(redirect, state)
    expect(res.headers.location).toBe('/')
    const replay = await callback(redirect, state)
    expect(replay.body).not.toContain(email)
    expect(replay.body).not.toContain(redirect.searchParams.get('code')!)
    expect(replay.body).not.toContain(state)
  })
})

describe('OpenID Connect sign-in with the provider down (SPEC §8)', () => {
  let down: TestApp
  beforeAll(async () => {
    down = await startTestApp({ PUBLIC_URL, OIDC_ISSUER: 'http://127.0.0.1:9', OIDC_CLIENT_ID: 'x', OIDC_NAME: 'Gone' })
  })
  afterAll(async () => down?.close())

  it('start answers a 502 page that says the provider is not answering, not a 500', async () => {
    const res = await down.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' })
    expect(res.statusCode).toBe(502)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.body).toContain('We could not reach Gone')
    expect(res.body).toContain('href="/login"')
  })
})
