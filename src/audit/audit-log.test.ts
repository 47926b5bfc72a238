/** The patient's audit log (SPEC §4.7): who read or changed their data — logins, profile and record reads and changes, refusals — with filters and pages. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, loginAs, PASSWORD, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { auditHelpers, type AuditEventDto } from '../../test/helpers/audit.js'

/** The test's clock: real time unless a test pins it. */
let pinned: Date | null = null
const clock = () => pinned ?? new Date()

let t: TestApp
let admin: TestUser
beforeAll(async () => {
  t = await startTestApp({}, { now: clock })
  admin = await createAdmin(t)
})
afterAll(async () => t?.close())

const { login, auditOf, auditItems, verify, consent, uploadText } = auditHelpers(() => t, () => admin)

describe("the patient's audit log", () => {
  it("lists logins and a doctor's profile read with actor kind, name, IP and user agent; the patient's own reads are not logged", async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient.id, doctor.id)

    const signedIn = await login(patient.email, PASSWORD, { ip: '203.0.113.9', ua: 'PatientPhone/1.0' })
    expect(signedIn.statusCode).toBe(200)
    const wrong = await login(patient.email, 'not the password at all', { ip: '192.0.2.66', ua: 'Guesser/0.1' })
    expect(wrong.statusCode).toBe(401)
    const read = await t.app.inject({
      method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, remoteAddress: '198.51.100.23', headers: { ...doctor.headers, 'user-agent': 'ClinicBrowser/2.0' },
    })
    expect(read.statusCode).toBe(200)
    // The patient's own read is not an event.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: patient.headers })).statusCode).toBe(200)

    const items = await auditItems(patient)
    expect(items.map((e) => e.action)).toEqual(['profile.viewed', 'auth.login_failed', 'auth.logged_in'])
    expect(items[0]).toEqual({
      seq: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), action: 'profile.viewed',
      actor: { kind: 'doctor', id: doctor.id, name: 'Test doctor' }, patientId: patient.id,
      resource: { type: 'profile', id: patient.id }, ip: '198.51.100.23', userAgent: 'ClinicBrowser/2.0',
    })
    expect(items[1]).toMatchObject({
      action: 'auth.login_failed', actor: { kind: 'patient', id: patient.id, name: 'Test patient' },
      resource: { type: 'user', id: patient.id }, ip: '192.0.2.66', userAgent: 'Guesser/0.1',
    })
    expect(items[2]).toMatchObject({ action: 'auth.logged_in', actor: { kind: 'patient', id: patient.id }, resource: { type: 'session' }, ip: '203.0.113.9', userAgent: 'PatientPhone/1.0' })
    expect(items[0]!.seq).toBeGreaterThan(items[1]!.seq)
    // The attempted password is kept nowhere in the log.
    const rows = await t.deps.db.selectFrom('auditEvents').selectAll().where('patientId', '=', patient.id).execute()
    expect(JSON.stringify(rows)).not.toContain('not the password')
    // `{pid}` may be the patient's own id.
    expect((await auditOf(patient, '', patient.id)).json().items).toEqual(items)
  })

  it('logs profile changes, imports and refused attempts; another patient never sees them', async () => {
    const patient = await registerUser(t)
    const other = await registerUser(t)
    const stranger = await registerVerified(t, 'doctor', admin)

    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Ana Silva', bloodGroup: 'A+' } })
    expect(put.statusCode).toBe(200)
    const imported = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: patient.headers, payload: { resourceType: 'Bundle', type: 'collection', entry: [] } })
    expect(imported.statusCode, imported.body).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, headers: stranger.headers })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, headers: other.headers })).statusCode).toBe(404)

    const items = await auditItems(patient)
    expect(items.map((e) => [e.action, e.actor.kind])).toEqual([
      ['profile.denied', 'patient'],
      ['profile.denied', 'doctor'],
      ['import.completed', 'patient'],
      ['profile.updated', 'patient'],
    ])
    expect(items[2]!.resource).toEqual({ type: 'import', id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(items[1]!.actor).toEqual({ kind: 'doctor', id: stranger.id, name: 'Test doctor' })

    // The other patient sees only their own (none yet: registration is not a login).
    const theirs = await auditItems(other)
    expect(theirs.every((e) => e.patientId === other.id)).toBe(true)
    expect(theirs).toEqual([])
    // …and cannot ask for someone else's log; other roles can never use the route.
    expect((await auditOf(other, '', patient.id)).statusCode).toBe(404)
    expect((await auditOf(stranger, '', patient.id)).statusCode).toBe(403)
    expect((await auditOf(admin, '', patient.id)).statusCode).toBe(403)
  })

  it('filters by action and by from/to (dates inclusive as whole UTC days, or instants), and pages newest first with a cursor', async () => {
    const patient = await registerUser(t)
    const days = ['2030-01-10T12:00:00.000Z', '2030-01-11T12:00:00.000Z', '2030-01-12T12:00:00.000Z']
    try {
      for (const at of days) {
        pinned = new Date(at)
        expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
      }
      pinned = new Date('2030-01-12T13:00:00.000Z')
      expect((await login(patient.email, 'wrong password here')).statusCode).toBe(401)
      const me = await loginAs(t, patient.email)
      const ats = async (query: string) => (await auditItems(me, query)).map((e) => e.at)

      expect(await ats('?action=auth.login_failed')).toEqual(['2030-01-12T13:00:00.000Z'])
      expect(await ats('?action=auth.logged_in&from=2030-01-11&to=2030-01-11')).toEqual([days[1]])
      expect(await ats(`?action=auth.logged_in&from=${days[1]}`)).toEqual(['2030-01-12T13:00:00.000Z', days[2], days[1]])
      expect(await ats(`?from=2030-01-10&to=${days[1]}`)).toEqual([days[1], days[0]])
      expect(await ats('?from=2030-01-13')).toEqual([])
      expect((await auditOf(me, '?from=2030-01-12&to=2030-01-11')).statusCode).toBe(400)
      expect((await auditOf(me, '?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400)
      expect((await auditOf(me, '?action=DROP%20TABLE')).statusCode).toBe(400)
      expect((await auditOf(me, '?limit=0')).statusCode).toBe(400)

      const all = await auditItems(me, '?limit=100')
      expect(all).toHaveLength(5)
      const seen: AuditEventDto[] = []
      let cursor: string | null = null
      do {
        const res = await auditOf(me, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        expect(res.statusCode).toBe(200)
        const page = res.json() as { items: AuditEventDto[]; nextCursor: string | null }
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      expect(seen).toEqual(all)
      expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((a, b) => b - a))
    } finally {
      pinned = null
    }
  })
})

describe('records in the audit log', () => {
  it("logs every change, a doctor's list, view, download and verify, and refused attempts — not the patient's own reads", async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const stranger = await registerVerified(t, 'doctor', admin)
    await consent(patient.id, doctor.id)
    const base = `/api/v1/patients/${patient.id}/records`
    const as = (u: TestUser, method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: u.headers, ...(payload ? { payload } : {}) })

    const mine = await uploadText(patient, 'me', 'Cholesterol 180 mg/dL')
    expect(mine.statusCode, mine.body).toBe(201)
    const id = mine.json().id as string
    const theirs = await uploadText(doctor, patient.id, 'Referral letter')
    expect(theirs.statusCode, theirs.body).toBe(201)
    // The patient's own reads are not events.
    expect((await as(patient, 'GET', '/api/v1/patients/me/records')).statusCode).toBe(200)
    expect((await as(patient, 'GET', `/api/v1/patients/me/records/${id}/content`)).statusCode).toBe(200)
    // The doctor's reads are.
    expect((await as(doctor, 'GET', base)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}`)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}/content`)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}/verify`)).statusCode).toBe(200)
    expect((await as(doctor, 'DELETE', `${base}/${id}`)).statusCode).toBe(403)
    expect((await as(stranger, 'GET', `${base}/${id}`)).statusCode).toBe(404)
    expect((await as(patient, 'PATCH', `/api/v1/patients/me/records/${id}`, { title: 'Lipids' })).statusCode).toBe(200)
    expect((await as(patient, 'DELETE', `/api/v1/patients/me/records/${id}`)).statusCode).toBe(204)

    const items = await auditItems(patient)
    expect(items.map((e) => `${e.action} ${e.actor.kind === 'doctor' ? (e.actor.id === doctor.id ? 'doctor' : 'stranger') : e.actor.kind} ${e.resource.type}`).reverse()).toEqual([
      'record.created patient record',
      'record.created doctor record',
      'record.listed doctor records',
      'record.viewed doctor record',
      'record.downloaded doctor record',
      'record.verified doctor record',
      'record.denied doctor record',
      'record.denied stranger record',
      'record.updated patient record',
      'record.deleted patient record',
    ])
    expect(items.find((e) => e.action === 'record.downloaded')).toMatchObject({ patientId: patient.id, resource: { type: 'record', id } })
    expect((await verify()).ok).toBe(true)
  })
})
