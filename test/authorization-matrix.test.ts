/**
 * The authorization matrix (SPEC §3, §6 "a test matrix proves the table in section 3";
 * STYLE §3): every route the app registers × every role, through real HTTP (`app.inject`)
 * against a real database, with realistic data (a patient with a profile, a record, a share
 * link, an emergency link, consultations, notes, vitals, prescriptions).
 *
 * Roles (columns):
 *   anon   no credentials
 *   owner  the patient whose data the route is about (for `/me` routes: any patient, on their own)
 *   other  another patient
 *   docC   a verified doctor with an approved consultation with the owner
 *   docN   a verified doctor without one
 *   docP   a pending (unverified) doctor — who even has an approved consultation row: the gate refuses
 *   pharm  a verified pharmacist
 *   admin  an admin
 *   cgR    a patient the owner made a caregiver with `read` access (SPEC §10)
 *   cgM    a patient the owner made a caregiver with `manage` access
 *   cgX    a patient whose caregiver grant on the owner was revoked
 *
 * A caregiver column a row does not name expects what the `other` column expects (status and
 * audit events): a caregiver is a patient account, and on anything but the owner's locker (or
 * once revoked) just another patient. Rows of the owner's locker name them where they differ:
 * reads (both levels), writes (`manage`; `read` gets 403), and the areas a caregiver never
 * reaches (audit log, export, deletion: 403, not 404 — they see the locker).
 *
 * The routes are enumerated from the app itself: a route missing from MATRIX fails the test,
 * so every new route must be added here with its expected status per role. Requests that
 * change state get fresh resources per cell, so the order of cells does not matter.
 *
 * Each row also names the audit actions each role's request writes (SPEC §4.7, STYLE §9),
 * measured per request: the events whose `id` is above the newest one before the request
 * (`id` orders events; `seq` stays null until the sealer runs). A role not named writes
 * nothing, so a new route writing an event it does not declare fails, and so does a
 * declared event that is not written.
 */
import { randomUUID } from 'node:crypto'
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server'
import Fastify, { type InjectOptions } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_PREFIX, type App } from '../src/app/app-types.js'
import { hashToken, newOpaqueToken } from '../src/app/opaque-tokens.js'
import { registerFeatureRoutes, registerPageRoutes } from '../src/app/routes.js'
import { cacheTags } from '../src/db/node-cache.js'
import { createAdmin, loginAs, PASSWORD, registerUser, registerVerified, type TestUser } from './helpers/factories.js'
import { enrolTotp, mfaTokenFor, totpCode } from './helpers/mfa.js'
import { startTestApp, type TestApp } from './helpers/test-app.js'
import { multipartBody, uploadRecord } from './helpers/uploads.js'
import { waitUntil } from './helpers/wait.js'
import { SoftAuthenticator, type SoftCredential } from './helpers/webauthn-authenticator.js'

const BASE_ROLES = ['anon', 'owner', 'other', 'docC', 'docN', 'docP', 'pharm', 'admin'] as const
const CAREGIVER_ROLES = ['cgR', 'cgM', 'cgX'] as const
const ROLES = [...BASE_ROLES, ...CAREGIVER_ROLES] as const
type Role = (typeof ROLES)[number]
type BaseRole = (typeof BASE_ROLES)[number]
type CaregiverRole = (typeof CAREGIVER_ROLES)[number]
/** Every base column; a caregiver column left out expects what `other` expects. */
type Expected = Record<BaseRole, number> & Partial<Record<CaregiverRole, number>>
const isCaregiverRole = (r: Role): r is CaregiverRole => (CAREGIVER_ROLES as readonly string[]).includes(r)
type Audit = Partial<Record<Role, readonly string[]>>

interface Row {
  /** The request `role` sends (may first create what this one cell needs). */
  req: (role: Role) => InjectOptions | Promise<InjectOptions>
  expect: Expected
  /**
   * The audit actions each role's request writes, in order (SPEC §4.7); a role not named
   * writes nothing. Every row states it, so a route that writes an event its row does not
   * name — or fails to write one it names — fails the test.
   */
  audit: Audit
  /** Waits for the background work a request starts (a job) and whose events count as the request's. */
  settle?: () => Promise<void>
  /** Restores shared state after the row's cells. */
  after?: () => Promise<void>
}

// ---------------------------------------------------------------------------------------
// Expectation shorthands

/** The same status for everyone (public routes). */
const all = (status: number): Expected => Object.fromEntries(BASE_ROLES.map((r) => [r, status])) as Expected
/** Signed-in routes: `anon` 401, the roles named as given, everyone else `rest` (403 by default). */
const x = (given: Partial<Expected>, rest = 403): Expected => ({ ...all(rest), anon: 401, ...given })
/** A route of the owner's data, read by the patient and a consenting doctor. */
const patientRead = (ok = 200) => x({ owner: ok, other: 404, docC: ok, docN: 404 })
/** A route of the owner's data that only the patient may change (a consenting doctor sees it: 403). */
const ownerWrite = (ok = 200) => x({ owner: ok, other: 404, docC: 403, docN: 404 })
/** A `/patients/me/…` or `/shares` route: each patient on their own data; other roles 403. */
const patientsOwn = (ok = 200) => x({ owner: ok, other: ok })
const adminOnly = (ok = 200) => x({ admin: ok })
const pharmacistOnly = (ok = 200) => x({ pharm: ok })

// Audit shorthands (SPEC §4.7: reads and changes of a patient's data by anyone but the
// patient, changes by the patient, and refusals of anyone but the patient are logged).

/** Nobody's request writes an event. */
const none: Audit = {}
/** Every role's request writes `actions` (public routes: the actor is the link, not the caller). */
const everyone = (...actions: string[]): Audit => Object.fromEntries(ROLES.map((r) => [r, actions]))
/** Every signed-in role's request writes `actions`; an anonymous one nothing. */
const signedInRoles = (...actions: string[]): Audit => Object.fromEntries(ROLES.filter((r) => r !== 'anon').map((r) => [r, actions]))
/** `<feature>.denied` for the `<feature>.<verb>` given. */
const deniedOf = (action: string) => `${action.slice(0, action.indexOf('.'))}.denied`
/** `patientRead`'s events: the consenting doctor's read is `viewed`; the owner's own read is not logged; refusals are. */
const patientReadAudit = (viewed: string): Audit => ({ other: [deniedOf(viewed)], docC: [viewed], docN: [deniedOf(viewed)] })
/** A patient's data added by the owner or a consenting doctor (records, vitals): `written` for both; refusals logged. */
const addAudit = (written: string): Audit => ({ owner: [written], other: [deniedOf(written)], docC: [written], docN: [deniedOf(written)] })
/** `ownerWrite`'s events: the owner's change is `written`; every refusal (404 or 403) is logged. */
const ownerWriteAudit = (written: string): Audit => ({ owner: [written], other: [deniedOf(written)], docC: [deniedOf(written)], docN: [deniedOf(written)] })

// The caregiver columns of the owner's locker (SPEC §10).
/** A read of the locker: both caregiver levels read it too (the revoked one is `other`). */
const lockerRead = (ok = 200): Expected => ({ ...patientRead(ok), cgR: ok, cgM: ok })
const lockerReadAudit = (viewed: string): Audit => ({ ...patientReadAudit(viewed), cgR: [viewed], cgM: [viewed] })
/** A change a `manage` caregiver may make and a `read` one may not (403: they see the locker). */
const manageWrite = (expected: Expected, ok: number): Expected => ({ ...expected, cgR: 403, cgM: ok })
const manageWriteAudit = (audit: Audit, written: string): Audit => ({ ...audit, cgR: [deniedOf(written)], cgM: [written] })
/** An area a caregiver never reaches (SPEC §3, §10): 403 for both levels. */
const neverCaregiver = (expected: Expected): Expected => ({ ...expected, cgR: 403, cgM: 403 })
const neverCaregiverAudit = (audit: Audit, denied?: string): Audit => (denied ? { ...audit, cgR: [denied], cgM: [denied] } : { ...audit, cgR: [], cgM: [] })

// ---------------------------------------------------------------------------------------
// The world

let t: TestApp
let users: Record<Exclude<Role, 'anon'>, TestUser>
let recordId: string
let consultationId: string
/** A visit of the owner, recorded by docC. */
let encounterId: string
/** A separate patient whose share and emergency links the public routes use. */
let pub: { shareToken: string; emergencyToken: string; recordId: string }
let rx: { id: string; referenceNumber: string; qrData: string } | undefined
/** The public patient's SMART Health Link: its manifest path and one file location's path (SPEC §9). */
let shlPub: { manifestPath: string; filePath: string }
/** The account the enable row disables and enables. */
let enableTarget: string | undefined
const OWNER_DOB = '1975-06-30'
/** The owner's appointment with docC (SPEC §10). */
let appointmentId: string
/** Every day, all day, 10-minute slots, in Paris: enough free slots for every booking of the matrix. */
const AVAILABILITY = { timeZone: 'Europe/Paris', slotMinutes: 10, weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '24:00' })) }
const PAST_ABSENCE = { from: '2020-01-01T00:00:00.000Z', to: '2020-01-02T00:00:00.000Z', reason: 'Holiday' }

const headersOf = (role: Role): Record<string, string> => (role === 'anon' ? {} : users[role].headers)
const api = (role: Role, method: InjectOptions['method'], url: string, payload?: object): InjectOptions => ({
  method,
  url: `${API_PREFIX}${url}`,
  headers: headersOf(role),
  ...(payload === undefined ? {} : { payload }),
})

/** A GET of the FHIR API (`/fhir/R4`, outside /api/v1) as `role`. */
const fhir = (role: Role, url: string): InjectOptions => ({ method: 'GET', url: `/fhir/R4${url}`, headers: headersOf(role) })

async function must<T>(opts: InjectOptions, status: number): Promise<T> {
  const res = await t.app.inject(opts)
  expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(status)
  return res.json() as T
}

const fresh = {
  record: async () => (await uploadRecord(t, users.owner, { name: 'r.txt', bytes: `record ${randomUUID()}\n` })).id,
  share: async () => (await must<{ id: string }>(api('owner', 'POST', `/patients/me/records/${recordId}/shares`, {}), 201)).id,
  shl: async () => (await must<{ id: string }>(api('owner', 'POST', '/patients/me/shl', { include: { summary: true, recordIds: [] } }), 201)).id,
  patient: () => registerUser(t),
  /** An organization, made through the admin API (SPEC §10). */
  organization: async () => (await must<{ id: string }>(api('admin', 'POST', '/admin/organizations', { name: `Org ${randomUUID()}`, type: 'hospital' }), 201)).id,
  verifiedDoctor: () => registerVerified(t, 'doctor', users.admin),
  /** Closes whatever is open between the owner and docC and opens a consultation in `status`. */
  async consultation(status: 'pending' | 'approved'): Promise<string> {
    await t.deps.db
      .updateTable('consultations')
      .set({ status: 'ended', endedAt: new Date() })
      .where('patientId', '=', users.owner.id)
      .where('doctorId', '=', users.docC.id)
      .where('status', 'in', ['pending', 'approved'])
      .execute()
    const row = await t.deps.db
      .insertInto('consultations')
      .values({ patientId: users.owner.id, doctorId: users.docC.id, status, ...(status === 'approved' ? { decidedAt: new Date() } : {}) })
      .returning('id')
      .executeTakeFirstOrThrow()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    return row.id
  },
  async prescription(): Promise<{ id: string; referenceNumber: string; qrData: string; itemId: string }> {
    // The owner's penicillin allergy matches (SPEC §4.9): the prescriber overrides it, the pharmacist acknowledges it.
    const body = {
      patientId: users.owner.id,
      diagnosis: 'Acute bronchitis',
      items: [{ medicineName: 'Amoxicillin', dosage: '500 mg', frequency: 'three times a day', quantity: 21 }],
      allergyOverride: { reason: 'Tolerated amoxicillin before; monitored.' },
    }
    const p = await must<{ id: string; referenceNumber: string; qr: { data: string }; items: { id: string }[] }>(api('docC', 'POST', '/prescriptions', body), 201)
    return { id: p.id, referenceNumber: p.referenceNumber, qrData: p.qr.data, itemId: p.items[0]!.id }
  },
  /** A ready export of the owner (asked for by the owner, built by the job). */
  async readyExport(): Promise<string> {
    await jobsDone('export.build')
    const { id } = await must<{ id: string }>(api('owner', 'POST', '/patients/me/export'), 202)
    await waitUntil(async () => (await must<{ status: string }>(api('owner', 'GET', `/patients/me/exports/${id}`), 200)).status === 'ready', 60_000, 'the export')
    return id
  },
  /** The `seq` of one of the owner's events, sealed into the audit tree. */
  async sealedOwnerEvent(): Promise<number> {
    await t.deps.audit.sealNow()
    const row = await t.deps.db.selectFrom('auditEvents').select('seq').where('patientId', '=', users.owner.id).where('seq', 'is not', null).limit(1).executeTakeFirstOrThrow()
    return row.seq as number
  },
  /** The token of a new verification link of a new unverified patient (as the emailed link carries it). */
  async verificationLink(): Promise<string> {
    const u = await registerUser(t, 'patient', {}, { emailVerified: false })
    const token = newOpaqueToken()
    const now = new Date()
    await t.deps.db.insertInto('emailVerifications').values({ tokenHash: hashToken(token), userId: u.id, email: u.email, createdAt: now, expiresAt: new Date(now.getTime() + 3_600_000) }).execute()
    return token
  },
  /** The id of a new session of `role`'s account (anon: an unknown id). */
  async sessionOf(role: Role): Promise<string> {
    if (role === 'anon') return randomUUID()
    await loginAs(t, users[role].email)
    const row = await t.deps.db.selectFrom('sessions').select('id').where('userId', '=', users[role].id).where('revokedAt', 'is', null).orderBy('createdAt', 'desc').limit(1).executeTakeFirstOrThrow()
    return row.id
  },
  /** The first free slot of docC from 2030 on (the matrix books them one after the other). */
  async slot(): Promise<string> {
    const page = await must<{ items: { start: string }[] }>(api('owner', 'GET', `/doctors/${users.docC.id}/slots?from=2030-01-01&to=2030-01-31`), 200)
    return page.items[0]!.start
  },
  /** A new booked appointment of the owner with docC. */
  async appointment(): Promise<string> {
    return (await must<{ id: string }>(api('owner', 'POST', '/appointments', { doctorId: users.docC.id, start: await fresh.slot() }), 201)).id
  },
  /** A new absence of `doctor`'s, long past. */
  async absence(doctor: 'docC' | 'docN'): Promise<string> {
    return (await must<{ id: string }>(api(doctor, 'POST', '/doctor/availability/exceptions', PAST_ABSENCE), 201)).id
  },
  /** A new caregiver invitation (SPEC §10) of `patientId`, as the emailed link carries its token; its id and token. */
  async invitation(patientId: string): Promise<{ id: string; token: string }> {
    const token = newOpaqueToken()
    const row = await t.deps.db
      .insertInto('caregivers')
      .values({ patientId, email: `invitee-${randomUUID()}@example.test`, access: 'read', status: 'invited', invitationTokenHash: hashToken(token), invitationExpiresAt: new Date(Date.now() + 86_400_000), invitedBy: patientId })
      .returning('id')
      .executeTakeFirstOrThrow()
    return { id: row.id, token }
  },
  /** A fresh prescription the pharmacist has just scanned (validate, dispense and reject need that). */
  async scannedPrescription() {
    const p = await fresh.prescription()
    await must(api('pharm', 'POST', '/pharmacy/scan', { qrData: p.qrData }), 200)
    return p
  },
}

/** The software authenticator of the passkey rows (PUBLIC_URL of the test app). */
const authenticator = new SoftAuthenticator('http://carelocker.test')
let otherPasskey: SoftCredential | undefined
/** Registration options issued to `role`. */
const passkeyOptions = (role: Exclude<Role, 'anon'>) => must<PublicKeyCredentialCreationOptionsJSON>(api(role, 'POST', '/auth/passkeys/registration/options', {}), 200)
/** A fresh passkey of `role` (the owner's for `other`, whose 404 the rows check; any id for `anon`). */
async function passkeyFor(role: Role): Promise<string> {
  if (role === 'anon') return randomUUID()
  const who = role === 'other' ? 'owner' : role
  return (await must<{ id: string }>(api(who, 'POST', '/auth/passkeys/registration', { response: authenticator.register(await passkeyOptions(who)) }), 201)).id
}

/** A session of its own for `role` (logout must not end the world's sessions). */
async function ownSession(role: Role): Promise<Record<string, string>> {
  if (role === 'anon') return {}
  return (await loginAs(t, users[role].email)).headers
}

/** Every signed-in role's request writes `action`. */
const signedInAudit = (...actions: string[]): Audit => Object.fromEntries(ROLES.filter((r) => r !== 'anon').map((r) => [r, actions]))
/** Starts a TOTP set-up for the world's user of `role`; its secret. */
async function setUpSecret(role: Exclude<Role, 'anon'>): Promise<string> {
  return (await must<{ secret: string }>(api(role, 'POST', '/auth/mfa/totp/setup', {}), 200)).secret
}
/** Removes the world's users' second factors (test cleanup: they sign in with a password elsewhere). */
async function dropFactors(): Promise<void> {
  const ids = Object.values(users).map((u) => u.id)
  await t.deps.db.deleteFrom('totpFactors').where('userId', 'in', ids).execute()
  await t.deps.db.deleteFrom('recoveryCodes').where('userId', 'in', ids).execute()
  await t.deps.database.cache.invalidate(t.deps.db, ids.map(cacheTags.user))
}

const restoreConsent = async () => {
  consultationId = await fresh.consultation('approved')
}

// ---------------------------------------------------------------------------------------
// The matrix: "METHOD /path" as registered → request and expected status per role

const WEB_PAGES = ['/', '/login', '/register', '/reset-password', '/setup', '/verify-email', '/patient', '/doctor', '/pharmacist', '/admin']
// The SMART Health Link viewer (SPEC §9): a shell page like the others.
WEB_PAGES.push('/shl')

const MATRIX: Record<string, Row> = {
  // Operations and documents: public.
  'GET /health': { req: () => ({ method: 'GET', url: '/health' }), expect: all(200), audit: none },
  'GET /ready': { req: () => ({ method: 'GET', url: '/ready' }), expect: all(200), audit: none },
  'GET /favicon.ico': { req: () => ({ method: 'GET', url: '/favicon.ico' }), expect: all(204), audit: none },
  // METRICS_TOKEN is unset here: the route answers 404 to everyone (src/app/metrics.test.ts covers it set).
  'GET /metrics': { req: () => ({ method: 'GET', url: '/metrics' }), expect: all(404), audit: none },
  'GET /api/v1/openapi.json': { req: (r) => api(r, 'GET', '/openapi.json'), expect: all(200), audit: none },

  // Accounts (SPEC §4.1).
  'POST /api/v1/auth/register': {
    req: (r) => api(r, 'POST', '/auth/register', { email: `m-${randomUUID()}@example.test`, password: PASSWORD, role: 'patient', name: 'New' }),
    expect: all(201),
    audit: none,
  },
  'POST /api/v1/auth/login': {
    req: (r) => api(r, 'POST', '/auth/login', { email: users.other.email, password: PASSWORD }),
    expect: all(200),
    audit: everyone('auth.logged_in'),
  },
  'POST /api/v1/auth/refresh': {
    req: async (r) => api(r, 'POST', '/auth/refresh', { refreshToken: (await loginAs(t, users.other.email)).refreshToken }),
    expect: all(200),
    audit: none,
  },
  // The code is issued (and audited, by the system actor) in a job: the row waits for it.
  'POST /api/v1/auth/password-reset/request': {
    req: (r) => api(r, 'POST', '/auth/password-reset/request', { email: users.other.email }),
    expect: all(202),
    audit: everyone('auth.password_reset_requested'),
    settle: () => jobsDone('accounts.password-reset-code'),
  },
  'POST /api/v1/auth/password-reset/confirm': {
    req: (r) => api(r, 'POST', '/auth/password-reset/confirm', { email: `nobody-${randomUUID()}@example.test`, code: '12345678', newPassword: PASSWORD }),
    expect: all(400),
    audit: none,
  },
  'POST /api/v1/auth/logout': {
    req: async (r) => ({ method: 'POST', url: `${API_PREFIX}/auth/logout`, headers: await ownSession(r) }),
    expect: x({}, 204),
    audit: none,
  },
  'GET /api/v1/auth/me': { req: (r) => api(r, 'GET', '/auth/me'), expect: x({}, 200), audit: none },
  // The same password again: checks the route without changing anyone's credentials.
  'PUT /api/v1/auth/password': { req: (r) => api(r, 'PUT', '/auth/password', { currentPassword: PASSWORD, newPassword: PASSWORD }), expect: x({}, 204), audit: none },
  // Email verification (SPEC §8): public, a fresh link of a fresh unverified account per cell.
  'POST /api/v1/auth/email/verify': {
    req: async (r) => api(r, 'POST', '/auth/email/verify', { token: await fresh.verificationLink() }),
    expect: all(200),
    audit: everyone('auth.email_verified'),
  },
  // The world's accounts are verified: nothing to resend.
  'POST /api/v1/auth/email/resend': { req: (r) => api(r, 'POST', '/auth/email/resend'), expect: x({}, 409), audit: none },
  // Sessions (SPEC §8): each account its own; the cell ends a session it just opened.
  'GET /api/v1/auth/sessions': { req: (r) => api(r, 'GET', '/auth/sessions'), expect: x({}, 200), audit: none },
  'DELETE /api/v1/auth/sessions/:id': {
    req: async (r) => api(r, 'DELETE', `/auth/sessions/${await fresh.sessionOf(r)}`),
    expect: x({}, 204),
    audit: { owner: ['auth.session_revoked'], other: ['auth.session_revoked'], docC: ['auth.session_revoked'], docN: ['auth.session_revoked'], docP: ['auth.session_revoked'], pharm: ['auth.session_revoked'], admin: ['auth.session_revoked'] },
  },

  // Sign in with an OpenID Connect provider (SPEC §8): public. OIDC_* are unset here, so the
  // button is off and start/callback are 404 for everyone (src/features/oidc/oidc.test.ts runs them against a provider).
  'GET /api/v1/auth/oidc': { req: (r) => api(r, 'GET', '/auth/oidc'), expect: all(200), audit: none },
  'GET /api/v1/auth/oidc/start': { req: (r) => api(r, 'GET', '/auth/oidc/start'), expect: all(404), audit: none },
  'GET /api/v1/auth/oidc/callback': { req: (r) => api(r, 'GET', '/auth/oidc/callback?code=c&state=s'), expect: all(404), audit: none },
  // Passkeys (SPEC §8): each signed-in role manages its own (a fresh one per cell); another patient's is 404.
  'POST /api/v1/auth/passkeys/registration/options': { req: (r) => api(r, 'POST', '/auth/passkeys/registration/options', {}), expect: x({}, 200), audit: none },
  'POST /api/v1/auth/passkeys/registration': {
    req: async (r) => api(r, 'POST', '/auth/passkeys/registration', { response: authenticator.register(await passkeyOptions(r === 'anon' ? 'owner' : r)) }),
    expect: x({}, 201),
    audit: signedInRoles('passkey.added'),
  },
  'GET /api/v1/auth/passkeys': { req: (r) => api(r, 'GET', '/auth/passkeys'), expect: x({}, 200), audit: none },
  'PATCH /api/v1/auth/passkeys/:id': {
    req: async (r) => api(r, 'PATCH', `/auth/passkeys/${await passkeyFor(r)}`, { name: 'Renamed' }),
    // A caregiver is a patient with passkeys of their own: as the world's other roles.
    expect: { ...x({ other: 404 }, 200), cgR: 200, cgM: 200, cgX: 200 },
    audit: { ...signedInRoles('passkey.renamed'), other: [] },
  },
  'DELETE /api/v1/auth/passkeys/:id': {
    req: async (r) => api(r, 'DELETE', `/auth/passkeys/${await passkeyFor(r)}`),
    expect: { ...x({ other: 404 }, 204), cgR: 204, cgM: 204, cgX: 204 },
    audit: { ...signedInRoles('passkey.removed'), other: [] },
  },
  'POST /api/v1/auth/passkeys/authentication/options': { req: (r) => api(r, 'POST', '/auth/passkeys/authentication/options', {}), expect: all(200), audit: none },
  // Anyone holding the other patient's passkey signs in as them (the caller's own token plays no part).
  'POST /api/v1/auth/passkeys/authentication': {
    req: async (r) => {
      otherPasskey ??= await (async () => {
        const response = authenticator.register(await passkeyOptions('other'))
        await must(api('other', 'POST', '/auth/passkeys/registration', { response }), 201)
        return authenticator.credentials.at(-1)!
      })()
      const options = await must<PublicKeyCredentialRequestOptionsJSON>(api('anon', 'POST', '/auth/passkeys/authentication/options', {}), 200)
      return api(r, 'POST', '/auth/passkeys/authentication', { response: authenticator.assert(options, { credential: otherPasskey }) })
    },
    expect: all(200),
    audit: everyone('auth.logged_in'),
  },

  // Two-factor sign-in (SPEC §8): account routes, every role (MFA_REQUIRED_ROLES is empty here; the
  // gate has its own check below). Each cell enrols the world's user and the row's `after` turns it off.
  'GET /api/v1/auth/mfa/totp': { req: (r) => api(r, 'GET', '/auth/mfa/totp'), expect: x({}, 200), audit: none },
  'POST /api/v1/auth/mfa/totp/setup': { req: (r) => api(r, 'POST', '/auth/mfa/totp/setup', {}), expect: x({}, 200), audit: none, after: () => dropFactors() },
  'POST /api/v1/auth/mfa/totp/confirm': {
    req: async (r) => api(r, 'POST', '/auth/mfa/totp/confirm', { code: r === 'anon' ? '123456' : totpCode(await setUpSecret(r)) }),
    expect: x({}, 200),
    audit: signedInAudit('auth.totp_enabled'),
    after: () => dropFactors(),
  },
  'DELETE /api/v1/auth/mfa/totp': {
    req: async (r) => api(r, 'DELETE', '/auth/mfa/totp', { password: PASSWORD, code: r === 'anon' ? '123456' : (await enrolTotp(t, users[r])).recoveryCodes[0] }),
    expect: x({}, 204),
    // The code is a recovery code (the enrolment spent the TOTP step): its use is audited first.
    audit: signedInAudit('auth.recovery_code_used', 'auth.totp_disabled'),
  },
  'POST /api/v1/auth/mfa/recovery-codes': {
    req: async (r) => api(r, 'POST', '/auth/mfa/recovery-codes', { code: r === 'anon' ? '123456' : (await enrolTotp(t, users[r])).recoveryCodes[0] }),
    expect: x({}, 200),
    audit: signedInAudit('auth.recovery_code_used', 'auth.recovery_codes_replaced'),
    after: () => dropFactors(),
  },
  // A fresh enrolled patient per cell; the code is a recovery code (a TOTP code's step was spent confirming).
  'POST /api/v1/auth/login/mfa': {
    req: async (r) => {
      const p = await fresh.patient()
      const { recoveryCodes } = await enrolTotp(t, p)
      return api(r, 'POST', '/auth/login/mfa', { mfaToken: await mfaTokenFor(t, p.email, PASSWORD), code: recoveryCodes[0] })
    },
    expect: all(200),
    audit: everyone('auth.recovery_code_used', 'auth.logged_in'),
  },

  // First-run setup (SPEC §1): public; this world has an admin, so it is over for everyone.
  'POST /api/v1/setup/admin': {
    req: (r) => api(r, 'POST', '/setup/admin', { token: 'a'.repeat(43), email: `s-${randomUUID()}@example.test`, password: PASSWORD, name: 'Setup' }),
    expect: all(410),
    audit: none,
  },

  // Administration.
  'GET /api/v1/admin/users': { req: (r) => api(r, 'GET', '/admin/users'), expect: adminOnly(), audit: none },
  'POST /api/v1/admin/users/:id/verify': {
    req: async (r) => api(r, 'POST', `/admin/users/${(await registerUser(t, 'doctor')).id}/verify`),
    expect: adminOnly(),
    audit: { admin: ['user.verified'] },
  },
  'POST /api/v1/admin/users/:id/disable': {
    req: async (r) => api(r, 'POST', `/admin/users/${(await fresh.patient()).id}/disable`),
    expect: adminOnly(),
    audit: { admin: ['user.disabled'] },
  },
  'POST /api/v1/admin/users/:id/enable': {
    req: async (r) => {
      // One account of its own, disabled again before each cell (cheaper than registering one per cell).
      enableTarget ??= (await fresh.patient()).id
      await t.deps.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', enableTarget).execute()
      return api(r, 'POST', `/admin/users/${enableTarget}/enable`)
    },
    expect: adminOnly(),
    audit: { admin: ['user.enabled'] },
  },
  // Organizations (SPEC §10): admins write, every verified account reads.
  'POST /api/v1/admin/organizations': {
    req: (r) => api(r, 'POST', '/admin/organizations', { name: `Matrix ${randomUUID()}`, type: 'clinic' }),
    expect: adminOnly(201),
    audit: { admin: ['organization.created'] },
  },
  'PATCH /api/v1/admin/organizations/:id': {
    req: async (r) => api(r, 'PATCH', `/admin/organizations/${await fresh.organization()}`, { phone: '+1 555 0100' }),
    expect: adminOnly(),
    audit: { admin: ['organization.updated'] },
  },
  'GET /api/v1/organizations': { req: (r) => api(r, 'GET', '/organizations'), expect: x({ docP: 403 }, 200), audit: none },
  'PUT /api/v1/admin/users/:id/organization': {
    req: async (r) => api(r, 'PUT', `/admin/users/${users.docN.id}/organization`, { organizationId: await fresh.organization() }),
    expect: adminOnly(),
    audit: { admin: ['user.organization_changed'] },
  },
  'GET /api/v1/admin/jobs': { req: (r) => api(r, 'GET', '/admin/jobs'), expect: adminOnly(), audit: none },
  'GET /api/v1/admin/settings': { req: (r) => api(r, 'GET', '/admin/settings'), expect: adminOnly(), audit: none },
  'GET /api/v1/admin/audit/verify': { req: (r) => api(r, 'GET', '/admin/audit/verify'), expect: adminOnly(), audit: none },

  // Profile (SPEC §4.2).
  'GET /api/v1/patients/:pid/profile': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/profile`),
    expect: lockerRead(),
    audit: lockerReadAudit('profile.viewed'),
  },
  'PUT /api/v1/patients/:pid/profile': {
    req: (r) => api(r, 'PUT', `/patients/${users.owner.id}/profile`, { fullName: 'Olive Owner', dateOfBirth: OWNER_DOB }),
    expect: manageWrite(ownerWrite(), 200),
    audit: manageWriteAudit(ownerWriteAudit('profile.updated'), 'profile.updated'),
  },

  // Records (SPEC §4.3).
  'POST /api/v1/patients/:pid/records': {
    req: async (r) => {
      const body = await multipartBody({ category: 'lab_report' }, { name: 'x.txt', bytes: 'matrix upload\n' })
      return { method: 'POST', url: `${API_PREFIX}/patients/${users.owner.id}/records`, headers: { ...headersOf(r), 'content-type': body.contentType }, payload: body.body }
    },
    expect: manageWrite(x({ owner: 201, other: 404, docC: 201, docN: 404 }), 201),
    audit: manageWriteAudit(addAudit('record.created'), 'record.created'),
  },
  'GET /api/v1/patients/:pid/records': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/records`),
    expect: lockerRead(),
    audit: lockerReadAudit('record.listed'),
  },
  'GET /api/v1/patients/:pid/records/:id': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/records/${recordId}`),
    expect: lockerRead(),
    audit: lockerReadAudit('record.viewed'),
  },
  'PATCH /api/v1/patients/:pid/records/:id': {
    req: (r) => api(r, 'PATCH', `/patients/${users.owner.id}/records/${recordId}`, { title: 'Checked' }),
    // The owner is an adult: editing is theirs alone (a dependent's manage caregiver may; security review M2).
    expect: manageWrite(ownerWrite(), 403),
    audit: { ...ownerWriteAudit('record.updated'), cgR: ['record.denied'], cgM: ['record.denied'] },
  },
  'DELETE /api/v1/patients/:pid/records/:id': {
    req: async (r) => api(r, 'DELETE', `/patients/${users.owner.id}/records/${await fresh.record()}`),
    // Deleting crypto-shreds: the adult owner's alone (security review M2).
    expect: manageWrite(ownerWrite(204), 403),
    audit: { ...ownerWriteAudit('record.deleted'), cgR: ['record.denied'], cgM: ['record.denied'] },
  },
  'GET /api/v1/patients/:pid/records/:id/content': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/records/${recordId}/content`),
    expect: lockerRead(),
    audit: lockerReadAudit('record.downloaded'),
  },
  'GET /api/v1/patients/:pid/records/:id/verify': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/records/${recordId}/verify`),
    expect: lockerRead(),
    audit: lockerReadAudit('record.verified'),
  },

  // Import (SPEC §4.4).
  'POST /api/v1/patients/:pid/import': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/import`, { resourceType: 'Bundle', type: 'collection', entry: [] }),
    expect: manageWrite(ownerWrite(), 200),
    audit: manageWriteAudit(ownerWriteAudit('import.completed'), 'import.completed'),
  },

  // Take your data and go (SPEC §9): only the patient; other roles never reach these routes (403).
  'POST /api/v1/patients/:pid/export': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/export`),
    expect: neverCaregiver(x({ owner: 202, other: 404 })),
    audit: neverCaregiverAudit({ owner: ['export.requested'], other: ['export.denied'] }, 'export.denied'),
    settle: () => jobsDone('export.build'),
  },
  'GET /api/v1/patients/:pid/exports': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/exports`),
    expect: neverCaregiver(x({ owner: 200, other: 404 })),
    audit: neverCaregiverAudit({ other: ['export.denied'] }, 'export.denied'),
  },
  'GET /api/v1/patients/:pid/exports/:id': {
    req: async (r) => api(r, 'GET', `/patients/${users.owner.id}/exports/${await fresh.readyExport()}`),
    expect: neverCaregiver(x({ owner: 200, other: 404 })),
    audit: neverCaregiverAudit({ other: ['export.denied'] }, 'export.denied'),
  },
  'GET /api/v1/patients/:pid/exports/:id/download': {
    req: async (r) => api(r, 'GET', `/patients/${users.owner.id}/exports/${await fresh.readyExport()}/download`),
    expect: neverCaregiver(x({ owner: 200, other: 404 })),
    audit: neverCaregiverAudit({ owner: ['export.downloaded'], other: ['export.denied'] }, 'export.denied'),
  },
  // The owner's cell erases a patient of its own (the world's owner must live on); a refusal changes nothing.
  'DELETE /api/v1/patients/:pid': {
    req: async (r) => {
      if (r !== 'owner') return api(r, 'DELETE', `/patients/${users.owner.id}`, { password: PASSWORD })
      const leaving = await fresh.patient()
      return { method: 'DELETE', url: `${API_PREFIX}/patients/${leaving.id}`, headers: leaving.headers, payload: { password: PASSWORD } }
    },
    expect: neverCaregiver(x({ owner: 204, other: 404 })),
    audit: neverCaregiverAudit({ owner: ['locker.erased'], other: ['locker.denied'] }, 'locker.denied'),
    settle: () => jobsDone('notify.locker-erased'),
  },

  // Share links (SPEC §4.5).
  // The service reads the record (logged) before it judges share.create: a treating doctor's refused attempt leaves record.viewed.
  'POST /api/v1/patients/:pid/records/:id/shares': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/records/${recordId}/shares`, {}),
    expect: manageWrite(ownerWrite(201), 201),
    audit: { owner: ['share.created'], other: ['record.denied'], docC: ['record.viewed'], docN: ['record.denied'], cgR: ['record.viewed'], cgM: ['record.viewed', 'share.created'] },
  },
  'GET /api/v1/shares': { req: (r) => api(r, 'GET', '/shares'), expect: patientsOwn(), audit: none },
  // Another patient: the link is not theirs (404).
  'DELETE /api/v1/shares/:id': {
    req: async (r) => api(r, 'DELETE', `/shares/${await fresh.share()}`),
    expect: manageWrite(x({ owner: 204, other: 404 }), 204),
    audit: { owner: ['share.revoked'], cgM: ['share.revoked'] },
  },
  // Caregivers and dependents (SPEC §10): each patient on their own locker (`/me`); caregivers are patients.
  'POST /api/v1/patients/me/caregivers': {
    req: (r) => api(r, 'POST', '/patients/me/caregivers', { email: `carer-${randomUUID()}@example.test`, access: 'read' }),
    expect: patientsOwn(201),
    audit: { owner: ['caregiver.invited'], other: ['caregiver.invited'] },
  },
  'GET /api/v1/patients/me/caregivers': { req: (r) => api(r, 'GET', '/patients/me/caregivers'), expect: patientsOwn(), audit: none },
  // The owner's invitation: another patient (a caregiver too) does not see it (404).
  'DELETE /api/v1/patients/me/caregivers/:id': {
    req: async (r) => api(r, 'DELETE', `/patients/me/caregivers/${(await fresh.invitation(users.owner.id)).id}`),
    expect: x({ owner: 204, other: 404 }),
    audit: { owner: ['caregiver.revoked'] },
  },
  // A fresh patient's invitation per cell (the world's grants stay as they are): any patient account accepts; other roles 403.
  'POST /api/v1/caregiver-invitations/:token/accept': {
    req: async (r) => api(r, 'POST', `/caregiver-invitations/${(await fresh.invitation((await fresh.patient()).id)).token}/accept`),
    expect: x({ owner: 200, other: 200 }),
    audit: { owner: ['caregiver.accepted'], other: ['caregiver.accepted'] },
  },
  'GET /api/v1/me/patients': { req: (r) => api(r, 'GET', '/me/patients'), expect: patientsOwn(), audit: none },
  'POST /api/v1/patients/me/dependents': {
    req: (r) => api(r, 'POST', '/patients/me/dependents', { fullName: 'Dee Pendent', dateOfBirth: '2020-02-02' }),
    expect: patientsOwn(201),
    audit: { owner: ['dependent.created'], other: ['dependent.created'] },
  },
  'GET /api/v1/patients/:pid/prescriptions': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/prescriptions`),
    expect: x({ owner: 200, other: 404, cgR: 200, cgM: 200 }),
    audit: { other: ['prescription.denied'], cgR: ['prescription.listed'], cgM: ['prescription.listed'] },
  },

  'GET /api/v1/shared/:token': { req: (r) => api(r, 'GET', `/shared/${pub.shareToken}`), expect: all(200), audit: everyone('record.viewed', 'share.accessed') },
  'GET /api/v1/shared/:token/content': {
    req: (r) => api(r, 'GET', `/shared/${pub.shareToken}/content`),
    expect: all(200),
    audit: everyone('record.downloaded', 'share.accessed'),
  },
  // SMART Health Links (SPEC §9): each patient on their own; the manifest and file locations are public.
  'POST /api/v1/patients/me/shl': {
    req: (r) => api(r, 'POST', '/patients/me/shl', { include: { summary: true, recordIds: [] } }),
    expect: patientsOwn(201),
    audit: { owner: ['shl.created'], other: ['shl.created'] },
  },
  'GET /api/v1/patients/me/shl': { req: (r) => api(r, 'GET', '/patients/me/shl'), expect: patientsOwn(), audit: none },
  // Another patient: the link is not theirs (404, nothing written).
  'DELETE /api/v1/patients/me/shl/:id': {
    req: async (r) => api(r, 'DELETE', `/patients/me/shl/${await fresh.shl()}`),
    expect: x({ owner: 204, other: 404 }),
    audit: { owner: ['shl.revoked'] },
  },
  'POST /api/v1/shl/:manifestId': {
    req: () => ({ method: 'POST', url: shlPub.manifestPath, payload: { recipient: 'Matrix' } }),
    expect: all(200),
    audit: everyone('shl.accessed'),
  },
  'OPTIONS /api/v1/shl/:manifestId': { req: () => ({ method: 'OPTIONS', url: shlPub.manifestPath }), expect: all(204), audit: none },
  'GET /api/v1/shl-files/:token': { req: () => ({ method: 'GET', url: shlPub.filePath }), expect: all(200), audit: none },
  'OPTIONS /api/v1/shl-files/:token': { req: () => ({ method: 'OPTIONS', url: shlPub.filePath }), expect: all(204), audit: none },
  'GET /s/:token': { req: () => ({ method: 'GET', url: `/s/${pub.shareToken}` }), expect: all(200), audit: everyone('record.viewed', 'share.accessed') },
  'POST /s/:token': {
    req: () => ({ method: 'POST', url: `/s/${pub.shareToken}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'passcode=' }),
    expect: all(200),
    audit: everyone('record.viewed', 'share.accessed'),
  },

  // Emergency access (SPEC §4.6): `/me` routes for patients; the token routes are public.
  'GET /api/v1/patients/me/emergency': { req: (r) => api(r, 'GET', '/patients/me/emergency'), expect: patientsOwn(), audit: none },
  // Rotating the owner's own link is harmless here: the public rows use another patient's.
  'POST /api/v1/patients/me/emergency/rotate': {
    req: (r) => api(r, 'POST', '/patients/me/emergency/rotate'),
    expect: patientsOwn(),
    audit: { owner: ['emergency.rotated'], other: ['emergency.rotated'] },
  },
  'GET /api/v1/patients/me/emergency/qr.png': { req: (r) => api(r, 'GET', '/patients/me/emergency/qr.png'), expect: patientsOwn(), audit: none },
  'GET /api/v1/patients/me/emergency/qr.svg': { req: (r) => api(r, 'GET', '/patients/me/emergency/qr.svg'), expect: patientsOwn(), audit: none },
  'GET /api/v1/emergency/:token': {
    req: (r) => api(r, 'GET', `/emergency/${pub.emergencyToken}`),
    expect: all(200),
    audit: everyone('record.listed', 'emergency.accessed'),
  },
  'GET /api/v1/emergency/:token/records/:id/content': {
    req: (r) => api(r, 'GET', `/emergency/${pub.emergencyToken}/records/${pub.recordId}/content`),
    expect: all(200),
    audit: everyone('record.downloaded'),
  },
  'GET /e/:token': { req: () => ({ method: 'GET', url: `/e/${pub.emergencyToken}` }), expect: all(200), audit: everyone('record.listed', 'emergency.accessed') },

  // Audit log (SPEC §4.7): the patient's own; doctors never.
  'GET /api/v1/patients/:pid/audit': { req: (r) => api(r, 'GET', `/patients/${users.owner.id}/audit`), expect: neverCaregiver(x({ owner: 200, other: 404 })), audit: none },
  'GET /api/v1/patients/:pid/audit/:seq/proof': {
    req: async (r) => api(r, 'GET', `/patients/${users.owner.id}/audit/${await fresh.sealedOwnerEvent()}/proof`),
    expect: neverCaregiver(x({ owner: 200, other: 404 })),
    audit: none,
  },
  // The tree's heads, keys and consistency proofs are public (SPEC §4.7): anyone may check the log.
  'GET /api/v1/audit/tree-head': { req: (r) => api(r, 'GET', '/audit/tree-head'), expect: all(200), audit: none },
  'GET /api/v1/audit/keys': { req: (r) => api(r, 'GET', '/audit/keys'), expect: all(200), audit: none },
  'GET /api/v1/audit/consistency': { req: (r) => api(r, 'GET', '/audit/consistency?first=1&second=1'), expect: all(200), audit: none },

  // Appointments (SPEC §10): docC has an availability and the owner's consent; docN an availability only.
  'PUT /api/v1/doctor/availability': { req: (r) => api(r, 'PUT', '/doctor/availability', AVAILABILITY), expect: x({ docC: 200, docN: 200 }), audit: none },
  'GET /api/v1/doctor/availability': { req: (r) => api(r, 'GET', '/doctor/availability'), expect: x({ docC: 200, docN: 200 }), audit: none },
  'POST /api/v1/doctor/availability/exceptions': { req: (r) => api(r, 'POST', '/doctor/availability/exceptions', PAST_ABSENCE), expect: x({ docC: 201, docN: 201 }), audit: none },
  'GET /api/v1/doctor/availability/exceptions': { req: (r) => api(r, 'GET', '/doctor/availability/exceptions'), expect: x({ docC: 200, docN: 200 }), audit: none },
  // Each doctor deletes one of their own; everyone else tries docC's.
  'DELETE /api/v1/doctor/availability/exceptions/:id': {
    req: async (r) => api(r, 'DELETE', `/doctor/availability/exceptions/${await fresh.absence(r === 'docN' ? 'docN' : 'docC')}`),
    expect: x({ docC: 204, docN: 204 }),
    audit: none,
  },
  'GET /api/v1/doctors/:id/slots': { req: (r) => api(r, 'GET', `/doctors/${users.docC.id}/slots?from=2030-01-07&to=2030-01-08`), expect: x({ owner: 200, other: 200, docC: 200, docN: 200 }), audit: none },
  // The other patient has no consultation with docC: 409 no-consultation, nothing written.
  'POST /api/v1/appointments': {
    req: async (r) => api(r, 'POST', '/appointments', { doctorId: users.docC.id, start: await fresh.slot() }),
    expect: x({ owner: 201, other: 409 }),
    audit: { owner: ['appointment.booked'] },
  },
  // docC's page holds the owner's appointments: one appointment.viewed for the owner.
  'GET /api/v1/appointments': { req: (r) => api(r, 'GET', '/appointments'), expect: x({ owner: 200, other: 200, docC: 200, docN: 200 }), audit: { docC: ['appointment.viewed'] } },
  'GET /api/v1/appointments/:id': {
    req: (r) => api(r, 'GET', `/appointments/${appointmentId}`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404, cgR: 200, cgM: 200 }),
    audit: { other: ['appointment.denied'], docC: ['appointment.viewed'], docN: ['appointment.denied'], cgR: ['appointment.viewed'], cgM: ['appointment.viewed'] },
  },
  'GET /api/v1/patients/:pid/appointments': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/appointments`),
    expect: x({ owner: 200, other: 404, cgR: 200, cgM: 200 }),
    audit: { other: ['appointment.denied'], cgR: ['appointment.viewed'], cgM: ['appointment.viewed'] },
  },
  'POST /api/v1/appointments/:id/cancel': {
    req: async (r) => api(r, 'POST', `/appointments/${await fresh.appointment()}/cancel`),
    expect: manageWrite(x({ owner: 200, other: 404, docC: 200, docN: 404 }), 200),
    audit: manageWriteAudit({ owner: ['appointment.cancelled'], other: ['appointment.denied'], docC: ['appointment.cancelled'], docN: ['appointment.denied'] }, 'appointment.cancelled'),
  },
  'POST /api/v1/appointments/:id/reschedule': {
    req: async (r) => {
      const id = await fresh.appointment()
      return api(r, 'POST', `/appointments/${id}/reschedule`, { start: await fresh.slot() })
    },
    expect: manageWrite(x({ owner: 200, other: 404, docC: 200, docN: 404 }), 200),
    audit: manageWriteAudit({ owner: ['appointment.rescheduled'], other: ['appointment.denied'], docC: ['appointment.rescheduled'], docN: ['appointment.denied'] }, 'appointment.rescheduled'),
  },

  // Care team (SPEC §4.8).
  'GET /api/v1/doctors': { req: (r) => api(r, 'GET', '/doctors'), expect: x({ docP: 403 }, 200), audit: none },
  'POST /api/v1/consultations': {
    req: async (r) => api(r, 'POST', '/consultations', { doctorId: r === 'owner' || r === 'other' ? (await fresh.verifiedDoctor()).id : users.docN.id }),
    expect: x({ owner: 201, other: 201 }),
    audit: { owner: ['consultation.requested'], other: ['consultation.requested'] },
  },
  'GET /api/v1/consultations': { req: (r) => api(r, 'GET', '/consultations'), expect: x({ owner: 200, other: 200, docC: 200, docN: 200 }), audit: none },
  'GET /api/v1/consultations/:id': {
    req: (r) => api(r, 'GET', `/consultations/${consultationId}`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404 }),
    audit: none,
  },
  // The patient may never approve or reject (403); another doctor's consultation is absent (404).
  'POST /api/v1/consultations/:id/approve': {
    req: async (r) => api(r, 'POST', `/consultations/${await fresh.consultation('pending')}/approve`),
    expect: x({ docC: 200, docN: 404 }),
    audit: { docC: ['consultation.approved'] },
    after: restoreConsent,
  },
  'POST /api/v1/consultations/:id/reject': {
    req: async (r) => api(r, 'POST', `/consultations/${await fresh.consultation('pending')}/reject`),
    expect: x({ docC: 200, docN: 404 }),
    audit: { docC: ['consultation.rejected'] },
    after: restoreConsent,
  },
  'POST /api/v1/consultations/:id/end': {
    req: async (r) => api(r, 'POST', `/consultations/${await fresh.consultation('approved')}/end`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404 }),
    audit: { owner: ['consultation.ended'], docC: ['consultation.ended'] },
    after: restoreConsent,
  },
  'GET /api/v1/doctor/patients': { req: (r) => api(r, 'GET', '/doctor/patients'), expect: x({ docC: 200, docN: 200 }), audit: { docC: ['profile.listed'] } },
  // In-app notifications (SPEC §10): every signed-in role, pending accounts too, on its own only.
  'GET /api/v1/notifications': { req: (r) => api(r, 'GET', '/notifications?unread=true'), expect: x({}, 200), audit: none },
  'GET /api/v1/notifications/unread-count': { req: (r) => api(r, 'GET', '/notifications/unread-count'), expect: x({}, 200), audit: none },
  'POST /api/v1/notifications/read': { req: (r) => api(r, 'POST', '/notifications/read', { all: true }), expect: x({}, 200), audit: none },
  'POST /api/v1/notifications/stream-ticket': { req: (r) => api(r, 'POST', '/notifications/stream-ticket'), expect: x({}, 201), audit: none },
  // The ticket is the stream's only credential (a live stream never ends, so the cells send an unknown one): 401 for everyone, bearer or not.
  'GET /api/v1/notifications/stream': { req: (r) => api(r, 'GET', `/notifications/stream?ticket=${newOpaqueToken()}`), expect: all(401), audit: none },
  'POST /api/v1/patients/:pid/notes': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/notes`, { body: 'Matrix note', sharedWithPatient: true }),
    expect: x({ docC: 201, docN: 404 }),
    audit: { docC: ['note.created'], docN: ['note.denied'] },
  },
  'GET /api/v1/patients/:pid/notes': { req: (r) => api(r, 'GET', `/patients/${users.owner.id}/notes`), // Doctors' notes are not among a caregiver's reads (SPEC §10): 403, they see the locker.
    expect: neverCaregiver(patientRead()), audit: patientReadAudit('note.viewed') },
  // Visits (SPEC §10): a consenting doctor records; the patient, a consenting doctor and caregivers of either level read.
  'POST /api/v1/patients/:pid/encounters': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/encounters`, { start: '2026-11-20T09:00:00.000Z', type: 'in_person' }),
    expect: x({ docC: 201, docN: 404 }),
    audit: { docC: ['encounter.created'], docN: ['encounter.denied'] },
  },
  'GET /api/v1/patients/:pid/encounters': { req: (r) => api(r, 'GET', `/patients/${users.owner.id}/encounters`), expect: lockerRead(), audit: lockerReadAudit('encounter.viewed') },
  'GET /api/v1/patients/:pid/encounters/:id': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/encounters/${encounterId}`),
    expect: lockerRead(),
    audit: lockerReadAudit('encounter.viewed'),
  },
  'POST /api/v1/patients/:pid/vitals': {
    req: (r) => api(r, 'POST', `/patients/${users.owner.id}/vitals`, { type: 'heart_rate', value: 72 }),
    expect: manageWrite(x({ owner: 201, other: 404, docC: 201, docN: 404 }), 201),
    audit: manageWriteAudit(addAudit('vitals.recorded'), 'vitals.recorded'),
  },
  'GET /api/v1/patients/:pid/vitals': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/vitals`),
    expect: lockerRead(),
    audit: lockerReadAudit('vitals.viewed'),
  },
  'GET /api/v1/patients/:pid/vitals/trends': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/vitals/trends?type=heart_rate`),
    expect: lockerRead(),
    audit: lockerReadAudit('vitals.viewed'),
  },
  'GET /api/v1/patients/:pid/labs': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/labs`),
    expect: lockerRead(),
    audit: lockerReadAudit('labs.viewed'),
  },
  'GET /api/v1/patients/:pid/labs/trends': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/labs/trends?code=4548-4`),
    expect: lockerRead(),
    audit: lockerReadAudit('labs.viewed'),
  },
  'GET /api/v1/patients/:pid/summary': {
    req: (r) => api(r, 'GET', `/patients/${users.owner.id}/summary`),
    expect: lockerRead(),
    audit: lockerReadAudit('summary.viewed'),
  },

  // Prescriptions (SPEC §4.9): doctors and patients; pharmacists use /pharmacy/* (403 here).
  'POST /api/v1/prescriptions': {
    req: (r) =>
      api(r, 'POST', '/prescriptions', { patientId: users.owner.id, diagnosis: 'Matrix', items: [{ medicineName: 'Ibuprofen', dosage: '200 mg', frequency: 'as needed', quantity: 10 }] }),
    expect: x({ docC: 201, docN: 404 }),
    audit: { docC: ['prescription.created'], docN: ['prescription.denied'] },
  },
  // A doctor's page: one prescription.listed per patient on it (here the owner); a patient's own list is not logged.
  'GET /api/v1/prescriptions': {
    req: (r) => api(r, 'GET', '/prescriptions'),
    expect: x({ owner: 200, other: 200, docC: 200, docN: 200 }),
    audit: { docC: ['prescription.listed'] },
  },
  'GET /api/v1/prescriptions/:id': {
    req: (r) => api(r, 'GET', `/prescriptions/${rx!.id}`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404 }),
    audit: patientReadAudit('prescription.viewed'),
  },
  'GET /api/v1/prescriptions/:id/qr.png': {
    req: (r) => api(r, 'GET', `/prescriptions/${rx!.id}/qr.png`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404 }),
    audit: patientReadAudit('prescription.viewed'),
  },
  'GET /api/v1/prescriptions/:id/qr.svg': {
    req: (r) => api(r, 'GET', `/prescriptions/${rx!.id}/qr.svg`),
    expect: x({ owner: 200, other: 404, docC: 200, docN: 404 }),
    audit: patientReadAudit('prescription.viewed'),
  },
  'POST /api/v1/prescriptions/:id/cancel': {
    req: async (r) => api(r, 'POST', `/prescriptions/${(await fresh.prescription()).id}/cancel`),
    expect: x({ docC: 200, docN: 404 }),
    audit: { docC: ['prescription.cancelled'], docN: ['prescription.denied'] },
  },
  'POST /api/v1/prescriptions/:id/email': {
    req: (r) => api(r, 'POST', `/prescriptions/${rx!.id}/email`),
    expect: x({ owner: 202, other: 404, docC: 202, docN: 404 }),
    audit: { owner: ['prescription.emailed'], other: ['prescription.denied'], docC: ['prescription.emailed'], docN: ['prescription.denied'] },
  },

  // Pharmacy (SPEC §4.9): verified pharmacists only; a patient on /pharmacy/* is 403.
  'POST /api/v1/pharmacy/scan': {
    req: (r) => api(r, 'POST', '/pharmacy/scan', { qrData: rx!.qrData }),
    expect: pharmacistOnly(),
    audit: { pharm: ['prescription.scanned'] },
  },
  'POST /api/v1/pharmacy/lookup': {
    req: (r) => api(r, 'POST', '/pharmacy/lookup', { referenceNumber: rx!.referenceNumber, patientDateOfBirth: OWNER_DOB }),
    expect: pharmacistOnly(),
    audit: { pharm: ['prescription.scanned'] },
  },
  'POST /api/v1/pharmacy/prescriptions/:id/validate': {
    req: async (r) => api(r, 'POST', `/pharmacy/prescriptions/${(await fresh.scannedPrescription()).id}/validate`),
    expect: pharmacistOnly(),
    audit: { pharm: ['prescription.validated'] },
  },
  'POST /api/v1/pharmacy/prescriptions/:id/dispense': {
    req: async (r) => {
      const p = await fresh.scannedPrescription()
      return api(r, 'POST', `/pharmacy/prescriptions/${p.id}/dispense`, { items: [{ itemId: p.itemId, quantity: 21, batchNumber: 'B-1' }], warningsAcknowledged: true })
    },
    expect: pharmacistOnly(),
    audit: { pharm: ['prescription.dispensed'] },
  },
  'POST /api/v1/pharmacy/prescriptions/:id/reject': {
    req: async (r) => api(r, 'POST', `/pharmacy/prescriptions/${(await fresh.scannedPrescription()).id}/reject`, { reason: 'Illegible dosage' }),
    expect: pharmacistOnly(),
    audit: { pharm: ['prescription.rejected'] },
  },
  'GET /api/v1/pharmacy/history': { req: (r) => api(r, 'GET', '/pharmacy/history'), expect: pharmacistOnly(), audit: none },
  // The FHIR R4 API (SPEC §9): the same policy as /api/v1; errors are OperationOutcome.
  'GET /fhir/R4/metadata': { req: () => ({ method: 'GET', url: '/fhir/R4/metadata' }), expect: all(200), audit: none },
  'GET /fhir/R4/Patient/:id': { req: (r) => fhir(r, `/Patient/${users.owner.id}`), expect: lockerRead(), audit: lockerReadAudit('profile.viewed') },
  'GET /fhir/R4/Patient/:id/$everything': { req: (r) => fhir(r, `/Patient/${users.owner.id}/$everything`), expect: neverCaregiver(patientRead()), audit: patientReadAudit('fhir.viewed') },
  'GET /fhir/R4/Patient/:id/$summary': { req: (r) => fhir(r, `/Patient/${users.owner.id}/$summary`), expect: neverCaregiver(patientRead()), audit: patientReadAudit('fhir.viewed') },
  'GET /fhir/R4/AllergyIntolerance': { req: (r) => fhir(r, `/AllergyIntolerance?patient=${users.owner.id}`), expect: lockerRead(), audit: lockerReadAudit('profile.viewed') },
  'GET /fhir/R4/Condition': { req: (r) => fhir(r, `/Condition?patient=${users.owner.id}`), expect: lockerRead(), audit: lockerReadAudit('profile.viewed') },
  'GET /fhir/R4/MedicationStatement': { req: (r) => fhir(r, `/MedicationStatement?patient=${users.owner.id}`), expect: lockerRead(), audit: lockerReadAudit('profile.viewed') },
  'GET /fhir/R4/Observation': { req: (r) => fhir(r, `/Observation?patient=${users.owner.id}&code=8867-4`), expect: lockerRead(), audit: lockerReadAudit('vitals.viewed') },
  'GET /fhir/R4/DocumentReference': { req: (r) => fhir(r, `/DocumentReference?patient=Patient/${users.owner.id}`), expect: lockerRead(), audit: lockerReadAudit('record.listed') },
  'GET /fhir/R4/MedicationRequest': { req: (r) => fhir(r, `/MedicationRequest?patient=${users.owner.id}`), expect: neverCaregiver(patientRead()), audit: patientReadAudit('fhir.viewed') },
  'GET /fhir/R4/MedicationDispense': { req: (r) => fhir(r, `/MedicationDispense?patient=${users.owner.id}`), expect: neverCaregiver(patientRead()), audit: patientReadAudit('fhir.viewed') },
  'GET /fhir/R4/Encounter': { req: (r) => fhir(r, `/Encounter?patient=${users.owner.id}`), expect: neverCaregiver(patientRead()), audit: { other: ['fhir.denied'], docC: ['fhir.viewed'], docN: ['fhir.denied'] } },
  // docC sees the owner's appointments with themself (SPEC §10).
  'GET /fhir/R4/Appointment': { req: (r) => fhir(r, `/Appointment?patient=${users.owner.id}`), expect: neverCaregiver(patientRead()), audit: { other: ['fhir.denied'], docC: ['appointment.viewed'], docN: ['fhir.denied'] } },
  'GET /fhir/R4/Binary/:id': { req: (r) => fhir(r, `/Binary/${recordId}`), expect: lockerRead(), audit: lockerReadAudit('record.downloaded') },
}

// The web app's shell pages (public; 200, or 503 while `dist/web` is not built): the same for everyone.
const SHELL = -1
for (const page of WEB_PAGES) {
  MATRIX[`GET ${page}`] = { req: () => ({ method: 'GET', url: page }), expect: all(SHELL), audit: none }
  if (page !== '/' && !['/login', '/register', '/reset-password', '/setup', '/verify-email', '/shl'].includes(page)) {
    MATRIX[`GET ${page}/*`] = { req: () => ({ method: 'GET', url: `${page}/somewhere` }), expect: all(SHELL), audit: none }
  }
}
// The caregiver invitation page (SPEC §10): a shell page like the others.
MATRIX['GET /caregiver-invitations/:token'] = { req: () => ({ method: 'GET', url: `/caregiver-invitations/${'a'.repeat(43)}` }), expect: all(SHELL), audit: none }
MATRIX['GET /assets/*'] = { req: () => ({ method: 'GET', url: '/assets/missing.js' }), expect: all(404), audit: none }

/** The id of the newest audit event (0 when none): events are ordered by `id`; `seq` comes with sealing. */
async function lastEventId(): Promise<number> {
  const row = await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  return Number(row?.id ?? 0)
}
/** Resolves once the queue `name` has no job waiting, running or retrying (capped: never a speed check). */
async function jobsDone(name: string): Promise<void> {
  await waitUntil(async () => {
    const q = (await t.deps.jobs.stats()).queues.find((s) => s.name === name)
    return q !== undefined && q.queued + q.active + q.retrying === 0
  }, 30_000, `the ${name} jobs`)
}
/** The actions of the events written after event `id`, in the order they were written. */
async function actionsSince(id: number): Promise<string[]> {
  const rows = await t.deps.db.selectFrom('auditEvents').select('action').where('id', '>', id).orderBy('id').execute()
  return rows.map((r) => r.action)
}

// ---------------------------------------------------------------------------------------
// Route enumeration

/** Interactive API docs (@fastify/swagger-ui's static files): public by construction. */
const EXCLUDED = (route: string) => /^[A-Z]+ \/docs(\/|$|\*)/.test(route)

/**
 * Every `METHOD /path` the app registers (HEAD routes Fastify adds for GET are left out):
 * the feature and page routes collected by an `onRoute` hook while `registerFeatureRoutes`
 * and `registerPageRoutes` mount them on a bare instance, plus the app's own routes from
 * `printRoutes` (its wildcard lines are ambiguous, so only lines `hasRoute` confirms count).
 */
async function enumerateRoutes(app: App): Promise<string[]> {
  const found = new Set<string>()
  const mirror = Fastify({ logger: false }).withTypeProvider()
  mirror.setValidatorCompiler(validatorCompiler)
  mirror.setSerializerCompiler(serializerCompiler)
  mirror.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) if (m !== 'HEAD') found.add(`${m} ${route.url}`)
  })
  await mirror.register(async (scope) => registerFeatureRoutes(scope, t.deps), { prefix: API_PREFIX })
  await registerPageRoutes(mirror, t.deps)
  await mirror.ready()
  await mirror.close()

  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line)
    if (!m) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    const path = (stack[depth - 1] ?? '') + m[2]!
    stack[depth] = path
    for (const method of m[3]?.split(', ') ?? []) {
      if (method !== 'HEAD' && app.hasRoute({ method: method as 'GET', url: path })) found.add(`${method} ${path}`)
    }
  }
  for (const route of found) {
    const [method, url] = route.split(' ') as [string, string]
    expect(app.hasRoute({ method: method as 'GET', url }), `the app answers ${route}`).toBe(true)
  }
  return [...found].filter((r) => !EXCLUDED(r)).sort()
}

// ---------------------------------------------------------------------------------------

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  const [owner, other, docN, docP, pharm] = await Promise.all([
    registerUser(t, 'patient', { name: 'Olive Owner' }),
    registerUser(t, 'patient', { name: 'Otto Other' }),
    registerVerified(t, 'doctor', admin),
    registerUser(t, 'doctor'),
    registerVerified(t, 'pharmacist', admin),
  ])
  const docC = await registerVerified(t, 'doctor', admin)
  const [cgR, cgM, cgX] = await Promise.all([registerUser(t, 'patient', { name: 'Rita Reader' }), registerUser(t, 'patient', { name: 'Manny Manager' }), registerUser(t, 'patient', { name: 'Rex Revoked' })])
  users = { owner: owner!, other: other!, docC, docN: docN!, docP: docP!, pharm: pharm!, admin, cgR: cgR!, cgM: cgM!, cgX: cgX! }
  // The owner's caregivers (SPEC §10), as accepted invitations leave them; the third one revoked.
  const grantRow = (u: TestUser, access: 'read' | 'manage', status: 'active' | 'revoked') =>
    ({ patientId: owner!.id, caregiverId: u.id, email: u.email, access, status, invitedBy: owner!.id, acceptedAt: new Date(), ...(status === 'revoked' ? { revokedAt: new Date() } : {}) }) as const
  await t.deps.db.insertInto('caregivers').values([grantRow(cgR!, 'read', 'active'), grantRow(cgM!, 'manage', 'active'), grantRow(cgX!, 'manage', 'revoked')]).execute()

  await must(api('owner', 'PUT', '/patients/me/profile', { fullName: 'Olive Owner', dateOfBirth: OWNER_DOB, allergies: [{ substance: 'Penicillin', severity: 'severe' }] }), 200)
  recordId = await fresh.record()
  const c = await must<{ id: string }>(api('owner', 'POST', '/consultations', { doctorId: docC.id }), 201)
  await must(api('docC', 'POST', `/consultations/${c.id}/approve`), 200)
  consultationId = c.id
  // A pending doctor with an approved consultation row: only the route gate stands in the way.
  await t.deps.db.insertInto('consultations').values({ patientId: owner!.id, doctorId: docP!.id, status: 'approved' }).execute()
  await must(api('docC', 'POST', `/patients/${owner!.id}/notes`, { body: 'Seen today.', sharedWithPatient: true }), 201)
  await must(api('docC', 'PUT', '/doctor/availability', AVAILABILITY), 200)
  await must(api('docN', 'PUT', '/doctor/availability', AVAILABILITY), 200)
  appointmentId = await fresh.appointment()
  encounterId = (await must<{ id: string }>(api('docC', 'POST', `/patients/${owner!.id}/encounters`, { start: '2026-11-20T09:00:00.000Z', type: 'in_person' }), 201)).id
  // Shares, an emergency link and an audit trail of the other patient, so their own lists are not empty.
  await must(api('other', 'POST', `/patients/me/records/${(await uploadRecord(t, other!, { name: 'o.txt', bytes: 'other\n' })).id}/shares`, {}), 201)

  const publicPatient = await registerUser(t)
  const pubRecord = await uploadRecord(t, publicPatient, { name: 'p.txt', bytes: 'public record\n' })
  const share = await must<{ token: string }>({ method: 'POST', url: `${API_PREFIX}/patients/me/records/${pubRecord.id}/shares`, headers: publicPatient.headers, payload: {} }, 201)
  const emergency = await must<{ token: string }>({ method: 'GET', url: `${API_PREFIX}/patients/me/emergency`, headers: publicPatient.headers }, 200)
  pub = { shareToken: share.token, emergencyToken: emergency.token, recordId: pubRecord.id }
  const shl = await must<{ shlink: string }>({ method: 'POST', url: `${API_PREFIX}/patients/me/shl`, headers: publicPatient.headers, payload: { include: { summary: true, recordIds: [pubRecord.id] } } }, 201)
  const shlManifestPath = new URL(JSON.parse(Buffer.from(shl.shlink.slice('shlink:/'.length), 'base64url').toString()).url).pathname
  const shlFiles = await must<{ files: { location: string }[] }>({ method: 'POST', url: shlManifestPath, payload: { recipient: 'Matrix' } }, 200)
  shlPub = { manifestPath: shlManifestPath, filePath: new URL(shlFiles.files[0]!.location).pathname }

  if (t.app.hasRoute({ method: 'POST', url: `${API_PREFIX}/prescriptions` })) rx = await fresh.prescription()
})
afterAll(async () => t?.close())

describe('authorization matrix: every route × every role, its status and its audit events (SPEC §3, §4.7, §6)', () => {
  let routes: string[] = []

  it('every route the app registers has a row, and every row is a registered route', async () => {
    routes = await enumerateRoutes(t.app)
    expect(routes.length).toBeGreaterThan(40)
    const missing = routes.filter((r) => !(r in MATRIX))
    expect(missing, 'routes without a row in MATRIX: add their expected status per role').toEqual([])
    const stale = Object.keys(MATRIX).filter((r) => !routes.includes(r))
    expect(stale, 'rows for routes the app does not register').toEqual([])
    const silent = Object.keys(MATRIX).filter((r) => MATRIX[r]!.audit === undefined)
    expect(silent, 'rows without their audit expectation: name the events each role writes (SPEC §4.7)').toEqual([])
  })

  it('each role gets exactly the expected status on each route and its request writes exactly the expected audit events', async () => {
    const failures: string[] = []
    for (const route of Object.keys(MATRIX).filter((r) => routes.length === 0 || routes.includes(r))) {
      const row = MATRIX[route]!
      const seen: Partial<Record<Role, number>> = {}
      for (const role of ROLES) {
        const opts = await row.req(role)
        const since = await lastEventId()
        const res = await t.app.inject(opts)
        seen[role] = res.statusCode
        await row.settle?.()
        const wrote = await actionsSince(since)
        const audit = row.audit[role] ?? (isCaregiverRole(role) ? row.audit.other : undefined) ?? []
        if (wrote.join() !== audit.join()) failures.push(`${route} as ${role} (${res.statusCode}): expected audit [${audit.join(', ')}], wrote [${wrote.join(', ')}]`)
        const want = row.expect[role as BaseRole] ?? row.expect.other
        const ok = want === SHELL ? res.statusCode === 200 || res.statusCode === 503 : res.statusCode === want
        if (!ok) failures.push(`${route} as ${role}: expected ${want === SHELL ? '200|503' : want}, got ${res.statusCode} ${res.body.slice(0, 160)}`)
        if (res.statusCode >= 400 && res.statusCode !== 503 && !route.startsWith('GET /e/') && !route.includes(' /s/') && !route.includes(' /fhir/R4/')) {
          expect(res.headers['content-type'], `${route} as ${role}`).toContain('application/problem+json')
        }
      }
      if (row.expect.anon === SHELL) expect(new Set(Object.values(seen)).size, `${route}: the same for everyone`).toBe(1)
      await row.after?.()
    }
    expect(failures).toEqual([])
  }, 300_000) // ~800 requests: a generous cap for a busy machine, not a speed check

  it('a registered path called with a method it does not have is 405 with Allow, before authentication', async () => {
    const byPath = new Map<string, Set<string>>()
    for (const r of routes) {
      const [method, path] = r.split(' ') as [string, string]
      byPath.set(path, (byPath.get(path) ?? new Set()).add(method))
    }
    // A method whose parameterised sibling captures this path (`DELETE /auth/passkeys/:id` for
    // `/auth/passkeys/authentication`) routes there instead: it is not a missing method.
    const captured = (method: string, path: string) =>
      routes.some((r) => {
        const [m, p] = r.split(' ') as [string, string]
        return m === method && p !== path && p.includes('/:') && new RegExp(`^${p.replace(/:\w+/g, '[^/]+')}$`).test(path)
      })
    for (const [path, methods] of byPath) {
      const wrong = ['DELETE', 'PATCH', 'PUT', 'POST'].find((m) => !methods.has(m) && !captured(m, path))
      if (!wrong || path.includes('*')) continue
      const url = path.replace(':pid', users.owner.id).replace(':token', 'a'.repeat(43)).replace(/:id/g, randomUUID())
      const res = await t.app.inject({ method: wrong as 'PUT', url })
      expect(res.statusCode, `${wrong} ${url}`).toBe(405)
      expect(res.headers.allow, `${wrong} ${url}`).toContain([...methods][0])
    }
  })
})

describe('the second-factor gate on every route (SPEC §8: MFA_REQUIRED_ROLES, default doctor,pharmacist,admin)', () => {
  it('an unenrolled, verified doctor gets 403 mfa-setup-required on every signed-in route except the account routes (/auth/*, /notifications*), which never say it', async () => {
    const gated = await startTestApp({ MFA_REQUIRED_ROLES: 'doctor,pharmacist,admin' })
    try {
      const doctor = await registerUser(gated, 'doctor')
      await gated.deps.db.updateTable('users').set({ status: 'active', verifiedAt: new Date() }).where('id', '=', doctor.id).execute()
      const failures: string[] = []
      // The notification stream answers 401 to everyone without a ticket: its gate is the ticket route's.
      const ticketed = (r: string) => r === 'GET /api/v1/notifications/stream'
      const signedIn = (await enumerateRoutes(gated.app)).filter((r) => MATRIX[r] !== undefined && MATRIX[r]!.expect.anon === 401 && !ticketed(r))
      // Logout ends the session the check uses: last.
      signedIn.sort((a, b) => Number(a.endsWith('/auth/logout')) - Number(b.endsWith('/auth/logout')))
      expect(signedIn.length).toBeGreaterThan(40)
      for (const route of signedIn) {
        const [method, path] = route.split(' ') as [InjectOptions['method'], string]
        const url = path.replace(':pid', doctor.id).replace(':token', 'a'.repeat(43)).replace(':seq', '1').replace(/:id/g, randomUUID())
        const res = await gated.app.inject({ method, url, headers: doctor.headers })
        const gatedHere = res.statusCode === 403 && res.body.includes('/problems/mfa-setup-required')
        // One's own notifications (SPEC §10) are account-level too: the header's bell works while one enrols.
        const accountRoute = path.startsWith(`${API_PREFIX}/auth/`) || path.startsWith(`${API_PREFIX}/notifications`)
        if (gatedHere === accountRoute) failures.push(`${route}: ${res.statusCode} ${res.body.slice(0, 120)}`)
      }
      expect(failures).toEqual([])
    } finally {
      await gated.close()
    }
  })
})
