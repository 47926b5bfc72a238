/**
 * Caregivers and dependents (SPEC §10 "Caregivers", §3 the caregiver rule, §4.7 actor kind
 * `caregiver`), through HTTP against a real database.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redactUrl } from '../../app/logger.js'
import { createAdmin, PASSWORD, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'
import { waitUntil } from '../../../test/helpers/wait.js'

const SUBJECT = 'You are invited to help with a CareLocker health locker'
const LINK = /http:\/\/carelocker\.test\/caregiver-invitations\/([A-Za-z0-9_-]{43})/

describe('caregivers and dependents (SPEC §10)', () => {
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

  const call = (u: TestUser | undefined, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: u?.headers ?? {}, ...(payload === undefined ? {} : { payload }) })

  const invite = async (patient: TestUser, email: string, access: 'read' | 'manage', extra: object = {}) => {
    const res = await call(patient, 'POST', '/patients/me/caregivers', { email, access, ...extra })
    expect(res.statusCode, res.body).toBe(201)
    return res.json() as { id: string; status: string; email: string; access: string }
  }

  /** The token of the invitation email sent to `email` (the nth one). */
  const invitationsTo = (email: string) => smtp.messages.filter((m) => m.envelopeTo.includes(email) && m.subject === SUBJECT)
  const tokenMailedTo = async (email: string, nth = 1) => {
    const mail = await waitUntil(() => invitationsTo(email)[nth - 1], 15_000, `invitation email #${nth} to the invitee`)
    const token = LINK.exec(mail.text ?? '')?.[1]
    expect(token, mail.text).toBeDefined()
    return token!
  }

  const accept = (u: TestUser, token: string) => call(u, 'POST', `/caregiver-invitations/${token}/accept`)

  /** A patient with an active caregiver `cg` at `access`; the grant's id. */
  const grant = async (patient: TestUser, cg: TestUser, access: 'read' | 'manage') => {
    const inv = await invite(patient, cg.email, access)
    const res = await accept(cg, await tokenMailedTo(cg.email, invitationsTo(cg.email).length + 1))
    expect(res.statusCode, res.body).toBe(200)
    return inv.id
  }

  const auditOf = async (patient: TestUser) => {
    await t.deps.audit.sealNow()
    const res = await call(patient, 'GET', '/patients/me/audit?limit=100')
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items as { action: string; actor: { kind: string; id?: string } }[]
  }

  it('a patient invites by email, the invitee accepts through the emailed link and reads the locker; both hear of it; the invitation cannot be reused', async () => {
    const [a, b] = await Promise.all([registerUser(t, 'patient', { name: 'Alice Patient' }), registerUser(t, 'patient', { name: 'Bob Carer' })])
    await call(a, 'PUT', '/patients/me/profile', { fullName: 'Alice Patient', dateOfBirth: '1950-02-03' })
    const inv = await invite(a, b.email.toUpperCase(), 'read')
    expect(inv).toMatchObject({ email: b.email, access: 'read', status: 'invited', expiresAt: null })
    const token = await tokenMailedTo(b.email)
    const invited = await t.deps.db.selectFrom('notifications').selectAll().where('userId', '=', b.id).where('type', '=', 'caregiver.invited').execute()
    expect(invited).toHaveLength(1)
    expect(JSON.stringify(invited[0]!.data)).not.toContain(token)
    // Only the SHA-256 is stored.
    const row = await t.deps.db.selectFrom('caregivers').selectAll().where('id', '=', inv.id).executeTakeFirstOrThrow()
    expect(row.invitationTokenHash).toMatch(/^[0-9a-f]{64}$/)
    expect(row.invitationTokenHash).not.toContain(token)

    const res = await accept(b, token)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id: inv.id, status: 'active', caregiver: { id: b.id, name: 'Bob Carer' } })
    expect(await t.deps.db.selectFrom('notifications').select('type').where('userId', '=', a.id).where('type', '=', 'caregiver.accepted').execute()).toHaveLength(1)

    const again = await accept(b, token)
    expect(again.statusCode, again.body).toBe(410)
    expect(again.headers['content-type']).toContain('application/problem+json')

    const lockers = await call(b, 'GET', '/me/patients')
    expect(lockers.json()).toEqual({ items: [{ patientId: a.id, name: 'Alice Patient', access: 'read', isDependent: false, expiresAt: null }] })
    const profile = await call(b, 'GET', `/patients/${a.id}/profile`)
    expect(profile.statusCode, profile.body).toBe(200)
    expect(profile.json().fullName).toBe('Alice Patient')
    const list = await call(a, 'GET', '/patients/me/caregivers')
    expect(list.json()).toMatchObject({ items: [{ id: inv.id, status: 'active', access: 'read', caregiver: { id: b.id } }], nextCursor: null })

    const events = await auditOf(a)
    expect(events).toContainEqual(expect.objectContaining({ action: 'caregiver.invited', actor: expect.objectContaining({ kind: 'patient', id: a.id }) }))
    expect(events).toContainEqual(expect.objectContaining({ action: 'caregiver.accepted', actor: expect.objectContaining({ kind: 'caregiver', id: b.id }) }))
    expect(events).toContainEqual(expect.objectContaining({ action: 'profile.viewed', actor: expect.objectContaining({ kind: 'caregiver', id: b.id }) }))
  })

  it('a read caregiver reads profile, records, vitals, labs, summary and prescriptions, and gets 403 for every write and forbidden area; a stranger gets 404', async () => {
    const [a, b, stranger] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)])
    await call(a, 'PUT', '/patients/me/profile', { fullName: 'Ann', dateOfBirth: '1980-01-01' })
    const rec = await uploadRecord(t, a, { name: 'a.txt', bytes: 'hello\n' })
    await grant(a, b, 'read')
    for (const path of ['profile', 'records', `records/${rec.id}`, 'vitals', 'labs', 'summary', 'prescriptions']) {
      const res = await call(b, 'GET', `/patients/${a.id}/${path}`)
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200)
      const other = await call(stranger, 'GET', `/patients/${a.id}/${path}`)
      expect(other.statusCode, `stranger ${path}`).toBe(404)
    }
    const refused = [
      call(b, 'PUT', `/patients/${a.id}/profile`, { fullName: 'Changed' }),
      call(b, 'POST', `/patients/${a.id}/vitals`, { type: 'heart_rate', value: 70 }),
      call(b, 'PATCH', `/patients/${a.id}/records/${rec.id}`, { title: 'x' }),
      call(b, 'DELETE', `/patients/${a.id}/records/${rec.id}`),
      call(b, 'POST', `/patients/${a.id}/records/${rec.id}/shares`, {}),
      call(b, 'GET', `/shares?patientId=${a.id}`),
      call(b, 'GET', `/patients/${a.id}/audit`),
      call(b, 'POST', `/patients/${a.id}/export`),
      call(b, 'GET', `/patients/${a.id}/exports`),
      call(b, 'DELETE', `/patients/${a.id}`, { password: PASSWORD }),
    ]
    for (const res of await Promise.all(refused)) {
      expect(res.statusCode, res.body).toBe(403)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    for (const res of await Promise.all([call(stranger, 'GET', `/patients/${a.id}/audit`), call(stranger, 'DELETE', `/patients/${a.id}`, { password: PASSWORD })])) {
      expect(res.statusCode, res.body).toBe(404)
    }
    // Nothing changed.
    expect((await call(a, 'GET', '/patients/me/profile')).json().fullName).toBe('Ann')
    expect((await call(a, 'GET', `/patients/me/records/${rec.id}`)).statusCode).toBe(200)
  })

  it('a manage caregiver writes profile, uploads records (audited as caregiver), adds vitals and creates, lists and revokes share links', async () => {
    const [a, m] = await Promise.all([registerUser(t), registerUser(t)])
    await grant(a, m, 'manage')
    expect((await call(m, 'PUT', `/patients/${a.id}/profile`, { fullName: 'Written by carer', dateOfBirth: '1940-05-06' })).statusCode).toBe(200)
    const rec = await uploadRecord(t, m, { name: 'm.txt', bytes: 'by carer\n' }, { category: 'lab_report' }, a.id)
    expect((await call(m, 'POST', `/patients/${a.id}/vitals`, { type: 'heart_rate', value: 66 })).statusCode).toBe(201)
    const share = await call(m, 'POST', `/patients/${a.id}/records/${rec.id}/shares`, {})
    expect(share.statusCode, share.body).toBe(201)
    const listed = await call(m, 'GET', `/shares?patientId=${a.id}`)
    expect(listed.statusCode, listed.body).toBe(200)
    expect(listed.json().items.map((s: { id: string }) => s.id)).toEqual([share.json().id])
    // The caregiver's own list is their own locker's.
    expect((await call(m, 'GET', '/shares')).json().items).toEqual([])
    expect((await call(m, 'DELETE', `/shares/${share.json().id}`)).statusCode).toBe(204)
    expect((await call(a, 'GET', '/shares')).json().items[0].status).toBe('revoked')
    const events = await auditOf(a)
    for (const action of ['profile.updated', 'record.created', 'vitals.recorded', 'share.created', 'share.listed', 'share.revoked']) {
      expect(events, action).toContainEqual(expect.objectContaining({ action, actor: expect.objectContaining({ kind: 'caregiver', id: m.id }) }))
    }
    // Still never the caregivers, emergency or account areas of the patient: those are /me routes, their own.
    expect((await call(m, 'GET', '/patients/me/caregivers')).json().items).toEqual([])
  })

  it('revoking a grant or an invitation takes effect at once: the caregiver gets 404 on the very next request; an expired grant too', async () => {
    const [a, b, c] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)])
    const id = await grant(a, b, 'manage')
    expect((await call(b, 'GET', `/patients/${a.id}/records`)).statusCode).toBe(200)
    expect((await call(a, 'DELETE', `/patients/me/caregivers/${id}`)).statusCode).toBe(204)
    for (const res of await Promise.all([call(b, 'GET', `/patients/${a.id}/records`), call(b, 'GET', `/patients/${a.id}/audit`), call(b, 'GET', `/shares?patientId=${a.id}`)])) {
      expect(res.statusCode, res.body).toBe(404)
    }
    expect((await call(b, 'GET', '/me/patients')).json().items).toEqual([])
    expect((await call(a, 'DELETE', `/patients/me/caregivers/${id}`)).statusCode).toBe(404)
    expect((await call(a, 'GET', '/patients/me/caregivers')).json().items[0].status).toBe('revoked')
    expect((await auditOf(a)).map((e) => e.action)).toContain('caregiver.revoked')

    // A revoked invitation cannot be accepted.
    const inv = await invite(a, c.email, 'read')
    const token = await tokenMailedTo(c.email)
    expect((await call(a, 'DELETE', `/patients/me/caregivers/${inv.id}`)).statusCode).toBe(204)
    expect((await accept(c, token)).statusCode).toBe(410)

    // A grant past its expiresAt: 404, and listed as expired.
    const id2 = await grant(a, c, 'read')
    await t.deps.db.updateTable('caregivers').set({ expiresAt: new Date(Date.now() - 1000) }).where('id', '=', id2).execute()
    expect((await call(c, 'GET', `/patients/${a.id}/profile`)).statusCode).toBe(404)
    expect((await call(a, 'GET', '/patients/me/caregivers')).json().items.find((r: { id: string }) => r.id === id2).status).toBe('expired')
  })

  it('refuses bad input and wrong callers without changing anything', async () => {
    const admin = await createAdmin(t)
    const [a, b, doctor] = await Promise.all([registerUser(t), registerUser(t), registerVerified(t, 'doctor', admin)])
    const bad = [
      { email: 'not-an-email', access: 'read' },
      { email: b.email, access: 'owner' },
      { email: b.email, access: 'read', extra: 1 },
      { email: b.email, access: 'read', expiresAt: '2000-01-01T00:00:00Z' },
      { email: b.email, access: 'read', expiresAt: 'tomorrow' },
      { access: 'read' },
    ]
    for (const body of bad) expect((await call(a, 'POST', '/patients/me/caregivers', body)).statusCode, JSON.stringify(body)).toBe(400)
    const self = await call(a, 'POST', '/patients/me/caregivers', { email: a.email, access: 'read' })
    expect(self.statusCode, self.body).toBe(409)
    expect((await call(doctor, 'POST', '/patients/me/caregivers', { email: b.email, access: 'read' })).statusCode).toBe(403)
    expect((await call(undefined, 'GET', '/patients/me/caregivers')).statusCode).toBe(401)
    expect((await call(a, 'GET', '/patients/me/caregivers')).json().items).toEqual([])

    const inv = await invite(a, `someone-${randomUUID()}@example.test`, 'read')
    const token = await tokenMailedTo(inv.email)
    // Not the patient's: 404; not a uuid: 400.
    expect((await call(b, 'DELETE', `/patients/me/caregivers/${inv.id}`)).statusCode).toBe(404)
    expect((await call(a, 'DELETE', '/patients/me/caregivers/nope')).statusCode).toBe(400)
    expect((await accept(b, 'x'.repeat(43))).statusCode).toBe(404)
    const own = await accept(a, token)
    expect(own.statusCode, own.body).toBe(409)
    const doc = await accept(doctor, token)
    expect(doc.statusCode, doc.body).toBe(403)
    expect(doc.json().type).toContain('caregiver-requires-patient-account')
    expect((await call(undefined, 'POST', `/caregiver-invitations/${token}/accept`)).statusCode).toBe(401)
    expect((await call(b, 'POST', `/caregiver-invitations/${token}/accept`, { extra: 1 })).statusCode).toBe(400)
    // Expired invitation: 410.
    await t.deps.db.updateTable('caregivers').set({ invitationExpiresAt: new Date(Date.now() - 1000) }).where('id', '=', inv.id).execute()
    expect((await accept(b, token)).statusCode).toBe(410)
    expect((await call(a, 'GET', '/patients/me/caregivers')).json().items[0].status).toBe('expired')
    expect((await call(b, 'GET', '/me/patients')).json().items).toEqual([])
  })

  it('a second invitation to a caregiver who already holds a grant is 409 on acceptance', async () => {
    const [a, b] = await Promise.all([registerUser(t), registerUser(t)])
    await grant(a, b, 'read')
    await invite(a, b.email, 'manage')
    const res = await accept(b, await tokenMailedTo(b.email, 2))
    expect(res.statusCode, res.body).toBe(409)
  })

  it('a dependent is a locker with no login, managed by its creator; it can never sign in or reset a password', async () => {
    const a = await registerUser(t, 'patient', { name: 'Parent' })
    const bad = [{ fullName: 'Kid' }, { fullName: '', dateOfBirth: '2020-01-01' }, { fullName: 'Kid', dateOfBirth: '2020-13-01' }, { fullName: 'Kid\u0007', dateOfBirth: '2020-01-01' }, { fullName: 'Kid', dateOfBirth: '2999-01-01' }]
    for (const body of bad) expect((await call(a, 'POST', '/patients/me/dependents', body)).statusCode, JSON.stringify(body)).toBe(400)
    const res = await call(a, 'POST', '/patients/me/dependents', { fullName: 'Kid Patient', dateOfBirth: '2019-04-05' })
    expect(res.statusCode, res.body).toBe(201)
    const kid = res.json() as { patientId: string }
    expect(res.json()).toMatchObject({ name: 'Kid Patient', access: 'manage', isDependent: true, dateOfBirth: '2019-04-05', expiresAt: null })
    const user = await t.deps.db.selectFrom('users').selectAll().where('id', '=', kid.patientId).executeTakeFirstOrThrow()
    expect(user).toMatchObject({ isDependent: true, role: 'patient', status: 'active', passwordHash: null })
    expect(user.email).toMatch(/^dependent-[0-9a-f-]{36}@dependents\.invalid$/)

    expect((await call(a, 'GET', '/me/patients')).json().items).toEqual([{ patientId: kid.patientId, name: 'Kid Patient', access: 'manage', isDependent: true, expiresAt: null }])
    const profile = await call(a, 'GET', `/patients/${kid.patientId}/profile`)
    expect(profile.statusCode, profile.body).toBe(200)
    expect(profile.json()).toMatchObject({ fullName: 'Kid Patient', dateOfBirth: '2019-04-05' })
    await uploadRecord(t, a, { name: 'kid.txt', bytes: 'vaccination\n' }, { category: 'lab_report' }, kid.patientId)
    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind', 'actorId']).where('patientId', '=', kid.patientId).orderBy('id').execute()
    expect(events).toEqual([
      { action: 'dependent.created', actorKind: 'caregiver', actorId: a.id },
      { action: 'profile.viewed', actorKind: 'caregiver', actorId: a.id },
      { action: 'record.created', actorKind: 'caregiver', actorId: a.id },
    ])

    // No sign-in: password login, and password reset (no code is issued; any confirm is refused).
    for (const password of ['', PASSWORD]) {
      const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: password || 'x' } })
      expect(login.statusCode, login.body).toBe(401)
    }
    const reset = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: user.email } })
    expect(reset.statusCode, reset.body).toBe(202)
    await waitUntil(async () => {
      const q = (await t.deps.jobs.stats()).queues.find((s) => s.name === 'accounts.password-reset-code')
      return q !== undefined && q.queued + q.active + q.retrying === 0
    }, 30_000, 'the reset job')
    expect(await t.deps.db.selectFrom('passwordResetCodes').select('userId').where('userId', '=', kid.patientId).execute()).toEqual([])
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(user.email)).map((m) => m.subject)).toEqual([])
    const confirm = await t.app.inject({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { email: user.email, code: '12345678', newPassword: 'a brand new passphrase 42' } })
    expect(confirm.statusCode, confirm.body).toBe(400)
    expect((await t.deps.db.selectFrom('users').select('passwordHash').where('id', '=', kid.patientId).executeTakeFirstOrThrow()).passwordHash).toBeNull()
  })

  it('only a patient whose email is verified may invite (403 email-not-verified, nothing stored or sent)', async () => {
    const a = await registerUser(t, 'patient', {}, { emailVerified: false })
    const email = `carer-${randomUUID()}@example.test`
    const res = await call(a, 'POST', '/patients/me/caregivers', { email, access: 'read' })
    expect(res.statusCode, res.body).toBe(403)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().type).toContain('email-not-verified')
    expect(await t.deps.db.selectFrom('caregivers').select('id').where('patientId', '=', a.id).execute()).toEqual([])
  })

  it('a patient may send 10 invitations an hour; the 11th is 429 with Retry-After and stores nothing', async () => {
    const a = await registerUser(t)
    for (let i = 0; i < 10; i++) await invite(a, `carer-${i}-${randomUUID()}@example.test`, 'read')
    const res = await call(a, 'POST', '/patients/me/caregivers', { email: `carer-${randomUUID()}@example.test`, access: 'read' })
    expect(res.statusCode, res.body).toBe(429)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(await t.deps.db.selectFrom('caregivers').select('id').where('patientId', '=', a.id).execute()).toHaveLength(10)
    // Another patient's count is their own.
    await invite(await registerUser(t), `carer-${randomUUID()}@example.test`, 'read')
  })

  it('an address of an account that has not verified its email gets no invitation email (SPEC §8), only the in-app notification', async () => {
    const [a, b] = await Promise.all([registerUser(t), registerUser(t, 'patient', {}, { emailVerified: false })])
    const inv = await invite(a, b.email, 'read')
    await waitUntil(async () => {
      const q = (await t.deps.jobs.stats()).queues.find((s) => s.name === 'notify.caregiver-invitation')
      return q !== undefined && q.queued + q.active + q.retrying === 0
    }, 30_000, 'the invitation job')
    expect(invitationsTo(b.email)).toEqual([])
    const invited = await t.deps.db.selectFrom('notifications').select('resourceId').where('userId', '=', b.id).where('type', '=', 'caregiver.invited').execute()
    expect(invited).toHaveLength(1)
    // An address with no account still gets its link.
    await tokenMailedTo((await invite(a, `new-${randomUUID()}@example.test`, 'read')).email)
    expect(inv.status).toBe('invited')
  })

  it('erasing a patient removes their caregiver rows both ways and erases the dependents no one else manages', async () => {
    const [a, b, c, d] = await Promise.all([registerUser(t), registerUser(t), registerUser(t), registerUser(t)])
    await grant(a, b, 'read')
    await grant(c, a, 'read')
    const made = async (fullName: string) => {
      const res = await call(a, 'POST', '/patients/me/dependents', { fullName, dateOfBirth: '2018-01-01' })
      expect(res.statusCode, res.body).toBe(201)
      return (res.json() as { patientId: string }).patientId
    }
    const kid = await made('Kid')
    const shared = await made('Shared Kid')
    const rec = await uploadRecord(t, a, { name: 'kid.txt', bytes: 'vaccination\n' }, { category: 'lab_report' }, kid)
    const vital = await call(a, 'POST', `/patients/${kid}/vitals`, { type: 'heart_rate', value: 90 })
    expect(vital.statusCode, vital.body).toBe(201)
    await uploadRecord(t, a, { name: 'shared.txt', bytes: 'shared\n' }, { category: 'lab_report' }, shared)
    // `shared` is also managed by d (an active manage grant of its own).
    await t.deps.db.insertInto('caregivers').values({ patientId: shared, caregiverId: d.id, email: d.email, access: 'manage', status: 'active', invitedBy: a.id, createdAt: new Date(), acceptedAt: new Date() }).execute()

    const erased = await call(a, 'DELETE', '/patients/me', { password: PASSWORD })
    expect(erased.statusCode, erased.body).toBe(204)
    const rows = await t.deps.db.selectFrom('caregivers').select('id').where((eb) => eb.or([eb('patientId', '=', a.id), eb('caregiverId', '=', a.id)])).execute()
    expect(rows).toEqual([])
    expect((await call(b, 'GET', '/me/patients')).json().items).toEqual([])
    expect((await call(c, 'GET', '/patients/me/caregivers')).json().items).toEqual([])

    // The orphan is erased like a locker: profile and clinical rows gone, files shredded, account closed, its caregiver rows gone.
    const kidUser = await t.deps.db.selectFrom('users').select(['status', 'erasedAt']).where('id', '=', kid).executeTakeFirstOrThrow()
    expect(kidUser.status).toBe('disabled')
    expect(kidUser.erasedAt).not.toBeNull()
    expect(await t.deps.db.selectFrom('patientProfiles').select('patientId').where('patientId', '=', kid).execute()).toEqual([])
    expect(await t.deps.db.selectFrom('vitals').select('id').where('patientId', '=', kid).execute()).toEqual([])
    const shredded = await t.deps.db.selectFrom('records').select(['wrappedKey', 'title']).where('id', '=', rec.id).executeTakeFirstOrThrow()
    expect(shredded).toEqual({ wrappedKey: null, title: null })
    expect(await t.deps.db.selectFrom('caregivers').select('id').where('patientId', '=', kid).execute()).toEqual([])
    // Its audit events stay, with `locker.erased` at the end.
    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind']).where('patientId', '=', kid).orderBy('id').execute()
    expect(events[0]).toMatchObject({ action: 'dependent.created' })
    expect(events.at(-1)).toEqual({ action: 'locker.erased', actorKind: 'caregiver' })

    // The dependent d still manages keeps its locker.
    const kept = await call(d, 'GET', `/patients/${shared}/profile`)
    expect(kept.statusCode, kept.body).toBe(200)
    expect(kept.json().fullName).toBe('Shared Kid')
    expect((await call(d, 'GET', `/patients/${shared}/records`)).json().items).toHaveLength(1)
    expect((await t.deps.db.selectFrom('users').select('status').where('id', '=', shared).executeTakeFirstOrThrow()).status).toBe('active')
  })

  it('request logs carry no invitation token', () => {
    expect(redactUrl('/api/v1/caregiver-invitations/abcdefghijklmnop/accept?x=1')).toBe('/api/v1/caregiver-invitations/:token/accept')
    expect(redactUrl('/caregiver-invitations/abcdefghijklmnop')).toBe('/caregiver-invitations/:token')
  })
})
