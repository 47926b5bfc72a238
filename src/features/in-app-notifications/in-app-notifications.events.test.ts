/**
 * The SPEC §10 events raised by the other features, each through HTTP on the engine under
 * test: prescription issued and dispensed, emergency access, share link and SMART Health Link
 * opened, new sign-in. (Consultation events: in-app-notifications.test.ts.) The patient's side
 * goes to `lockerRecipients`: a manager of a dependent's locker hears of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, loginAs, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { consent, issue, patientWithProfile } from '../../../test/helpers/prescriptions.js'
import { createShlOk, pathOf, patientWithData, payloadOf } from '../../../test/helpers/shl.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'

let t: TestApp
let admin: TestUser

beforeAll(async () => {
  t = await startTestApp()
  admin = await createAdmin(t)
})
afterAll(async () => {
  await t?.close()
})

interface Item {
  id: string
  type: string
  patientId: string | null
  resource: { type: string; id: string } | null
  data: Record<string, unknown>
}

const notifications = async (u: TestUser): Promise<Item[]> => {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/notifications?limit=100', headers: u.headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items
}
const ofType = async (u: TestUser, type: string) => (await notifications(u)).filter((n) => n.type === type)

describe('prescriptions', () => {
  it('issuing tells the patient, naming the doctor; dispensing tells the patient, partly or wholly', async () => {
    const p = await patientWithProfile(t)
    const d = await registerVerified(t, 'doctor', admin)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    await consent(t, p.id, d.id)
    const rx = await issue(t, d, p.id)
    const [issued] = await ofType(p, 'prescription.issued')
    expect(issued).toMatchObject({ patientId: p.id, resource: { type: 'prescription', id: rx.id }, data: { doctorName: 'Test doctor', prescriptionNumber: rx.prescriptionNumber } })
    expect(await notifications(d)).toEqual([])

    expect((await t.app.inject({ method: 'POST', url: '/api/v1/pharmacy/scan', headers: pharmacist.headers, payload: { qrData: rx.qr.data } })).statusCode).toBe(200)
    const dispense = (quantity: number) =>
      t.app.inject({ method: 'POST', url: `/api/v1/pharmacy/prescriptions/${rx.id}/dispense`, headers: pharmacist.headers, payload: { items: [{ itemId: rx.items[0].id, quantity, batchNumber: 'B-1' }] } })
    expect((await dispense(5)).statusCode).toBe(200)
    expect((await dispense(16)).statusCode).toBe(200)
    const dispensed = await ofType(p, 'prescription.dispensed')
    expect(dispensed.map((n) => n.data.partial)).toEqual([false, true])
    expect(dispensed[0]).toMatchObject({ patientId: p.id, resource: { type: 'prescription', id: rx.id }, data: { pharmacistName: 'Test pharmacist' } })
    expect(await notifications(pharmacist)).toEqual([])
  })
})

describe('emergency access', () => {
  it('an emergency view tells the patient once per alert round, not at every access', async () => {
    const p = await registerUser(t)
    const link = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json()
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${link.token}` })).statusCode).toBe(200)
    const accessed = await ofType(p, 'emergency.accessed')
    expect(accessed).toHaveLength(1)
    expect(accessed[0]).toMatchObject({ patientId: p.id, resource: { type: 'emergency-link', id: p.id }, data: { accessedAt: expect.any(String) } })
  })
})

describe('share links and SMART Health Links', () => {
  it("opening a shared record's content tells the patient; its metadata alone does not", async () => {
    const p = await registerUser(t)
    const record = await uploadRecord(t, p, { name: 'r.txt', bytes: 'shared record\n' })
    const share = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${record.id}/shares`, headers: p.headers, payload: {} })
    expect(share.statusCode, share.body).toBe(201)
    const { id, token } = share.json()
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}` })).statusCode).toBe(200)
    expect(await ofType(p, 'share.opened')).toEqual([])
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}/content` })).statusCode).toBe(200)
    const [opened] = await ofType(p, 'share.opened')
    expect(opened).toMatchObject({ patientId: p.id, resource: { type: 'share', id }, data: { recordId: record.id } })
  })

  it('opening a SMART Health Link tells the patient who opened it; a wrong passcode does not', async () => {
    const { p, recordId } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: '2468', include: { summary: true, recordIds: [recordId] } })
    const url = pathOf(payloadOf(created.shlink).url)
    expect((await t.app.inject({ method: 'POST', url, payload: { recipient: 'Dr. Smith', passcode: '0000' } })).statusCode).toBe(401)
    expect(await ofType(p, 'shl.opened')).toEqual([])
    expect((await t.app.inject({ method: 'POST', url, payload: { recipient: 'Dr. Smith', passcode: '2468' } })).statusCode).toBe(200)
    const [opened] = await ofType(p, 'shl.opened')
    expect(opened).toMatchObject({ patientId: p.id, resource: { type: 'shl', id: created.id }, data: { recipient: 'Dr. Smith' } })
  })
})

describe('new sign-in', () => {
  it('a sign-in from a new browser tells the account; the same browser again does not', async () => {
    const u = await registerUser(t, 'doctor')
    const login = (ua: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'user-agent': ua }, payload: { email: u.email, password: u.password } })
    expect((await login('Unfamiliar/9.1 (Tablet)')).statusCode).toBe(200)
    expect((await login('Unfamiliar/9.1 (Tablet)')).statusCode).toBe(200)
    const signIns = await ofType(u, 'auth.new_sign_in')
    expect(signIns).toHaveLength(1)
    expect(signIns[0]).toMatchObject({ patientId: null, resource: { type: 'session' }, data: { method: 'password' } })
  })
})

describe("a dependent's locker", () => {
  it("the managing caregiver hears of the dependent's events; the dependent, who never signs in, gets none", async () => {
    const parent = await loginAs(t, (await registerUser(t)).email)
    const d = await registerVerified(t, 'doctor', admin)
    // A dependent as migration 0021 stores it: no login, managed through an active `manage` caregiver row.
    const child = await t.deps.db
      .insertInto('users')
      .values({ email: `child-${Date.now()}@dependents.invalid`, passwordHash: null, role: 'patient', status: 'active', name: 'Kid Example', isDependent: true })
      .returning('id')
      .executeTakeFirstOrThrow()
    await t.deps.db.insertInto('caregivers').values({ patientId: child.id, caregiverId: parent.id, access: 'manage', status: 'active', email: parent.email }).execute()
    await consent(t, child.id, d.id)
    const rx = await issue(t, d, child.id)
    const [issued] = await ofType(parent, 'prescription.issued')
    expect(issued).toMatchObject({ patientId: child.id, resource: { type: 'prescription', id: rx.id } })
    expect(await t.deps.db.selectFrom('notifications').select('id').where('userId', '=', child.id).execute()).toEqual([])
  })
})

describe('account erasure', () => {
  it("erasing the locker deletes the patient's notifications, stream tickets, and those about them held by others", async () => {
    const p = await registerUser(t)
    const d = await registerVerified(t, 'doctor', admin)
    const requested = await t.app.inject({ method: 'POST', url: '/api/v1/consultations', headers: p.headers, payload: { doctorId: d.id } })
    expect(requested.statusCode).toBe(201)
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/consultations/${requested.json().id}/approve`, headers: d.headers })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/notifications/stream-ticket', headers: p.headers })).statusCode).toBe(201)
    const other = await registerUser(t)
    const kept = await t.app.inject({ method: 'POST', url: '/api/v1/consultations', headers: other.headers, payload: { doctorId: d.id } })
    expect(kept.statusCode).toBe(201)
    expect(await ofType(p, 'consultation.approved')).toHaveLength(1)

    const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/patients/me', headers: p.headers, payload: { password: p.password } })
    expect(erased.statusCode, erased.body).toBe(204)
    const left = await t.deps.db.selectFrom('notifications').select(['userId', 'patientId']).where((eb) => eb.or([eb('userId', '=', p.id), eb('patientId', '=', p.id)])).execute()
    expect(left).toEqual([])
    expect(await t.deps.db.selectFrom('notificationStreamTickets').select('userId').where('userId', '=', p.id).execute()).toEqual([])
    // The doctor keeps what is about other patients.
    expect((await notifications(d)).map((n) => n.patientId)).toEqual([other.id])
  })
})
