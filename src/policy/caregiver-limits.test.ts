/**
 * The limits of caregiver access found by the issue-16 security review, through HTTP against
 * a real database: L2 (no caregiver access to a disabled patient's locker), M2 (editing and
 * deleting records: the patient, or a `manage` caregiver of a dependent only), M3 (the
 * prescription QR: the patient, the prescriber, or a `manage` caregiver of a dependent only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { consent, issue } from '../../test/helpers/prescriptions.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { uploadRecord } from '../../test/helpers/uploads.js'

let t: TestApp
let admin: TestUser

beforeAll(async () => {
  t = await startTestApp()
  admin = await createAdmin(t)
})
afterAll(async () => {
  await t?.close()
})

const call = (u: TestUser, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, ...(payload === undefined ? {} : { payload }) })

/** An active caregiver grant, inserted directly (the caregivers feature's state; its own tests cover the invitation flow). */
async function grant(patientId: string, caregiverId: string, access: 'read' | 'manage'): Promise<void> {
  const now = new Date()
  await t.deps.db
    .insertInto('caregivers')
    .values({ patientId, caregiverId, email: `cg-${caregiverId}@example.test`, access, status: 'active', createdAt: now, acceptedAt: now })
    .execute()
}

/** A dependent created by `parent` (who holds `manage` on it); its patient id. */
async function dependentOf(parent: TestUser): Promise<string> {
  const res = await call(parent, 'POST', '/patients/me/dependents', { fullName: 'Kid Example', dateOfBirth: '2018-03-04' })
  expect(res.statusCode, res.body).toBe(201)
  return (res.json() as { patientId: string }).patientId
}

const auditActions = async (patientId: string, actorId: string) =>
  (await t.deps.db.selectFrom('auditEvents').select('action').where('patientId', '=', patientId).where('actorId', '=', actorId).orderBy('id').execute()).map((e) => e.action)

describe('caregiver access limits (security review L2, M2, M3)', () => {
  it('L2: once an admin disables the patient, their caregiver gets 404 on the locker; enabled again, access is back', async () => {
    const [a, b] = await Promise.all([registerUser(t), registerUser(t)])
    await grant(a.id, b.id, 'manage')
    expect((await call(b, 'GET', `/patients/${a.id}/profile`)).statusCode).toBe(200)
    const disabled = await call(admin, 'POST', `/admin/users/${a.id}/disable`)
    expect(disabled.statusCode, disabled.body).toBe(200)
    for (const path of ['profile', 'records', 'vitals', 'prescriptions']) {
      const res = await call(b, 'GET', `/patients/${a.id}/${path}`)
      expect(res.statusCode, `${path}: ${res.body}`).toBe(404)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    const write = await call(b, 'PUT', `/patients/${a.id}/profile`, { fullName: 'Changed' })
    expect(write.statusCode, write.body).toBe(404)
    expect((await call(admin, 'POST', `/admin/users/${a.id}/enable`)).statusCode).toBe(200)
    expect((await call(b, 'GET', `/patients/${a.id}/profile`)).statusCode).toBe(200)
  })

  it("M2: a manage caregiver of an adult gets 403 on editing and deleting a record, which stays as it was; the refusals are audited", async () => {
    const [a, m] = await Promise.all([registerUser(t), registerUser(t)])
    await grant(a.id, m.id, 'manage')
    const rec = await uploadRecord(t, a, { name: 'a.txt', bytes: 'hello\n' })
    const patch = await call(m, 'PATCH', `/patients/${a.id}/records/${rec.id}`, { title: 'Renamed by carer' })
    expect(patch.statusCode, patch.body).toBe(403)
    expect(patch.json().type).toContain('caregiver-not-allowed')
    const del = await call(m, 'DELETE', `/patients/${a.id}/records/${rec.id}`)
    expect(del.statusCode, del.body).toBe(403)
    const still = await call(m, 'GET', `/patients/${a.id}/records/${rec.id}`)
    expect(still.statusCode, still.body).toBe(200)
    expect(still.json().title).not.toBe('Renamed by carer')
    expect((await call(a, 'GET', `/patients/me/records/${rec.id}/content`)).body).toBe('hello\n')
    expect(await auditActions(a.id, m.id)).toEqual(['record.denied', 'record.denied', 'record.viewed'])
    // The patient still edits and deletes their own.
    expect((await call(a, 'PATCH', `/patients/me/records/${rec.id}`, { title: 'Mine' })).statusCode).toBe(200)
    expect((await call(a, 'DELETE', `/patients/me/records/${rec.id}`)).statusCode).toBe(204)
  })

  it("M2: a dependent's manage caregiver edits and deletes the dependent's records", async () => {
    const parent = await registerUser(t)
    const kid = await dependentOf(parent)
    const rec = await uploadRecord(t, parent, { name: 'kid.txt', bytes: 'vaccination\n' }, { category: 'lab_report' }, kid)
    const patch = await call(parent, 'PATCH', `/patients/${kid}/records/${rec.id}`, { title: 'Vaccination card' })
    expect(patch.statusCode, patch.body).toBe(200)
    expect(patch.json().title).toBe('Vaccination card')
    const del = await call(parent, 'DELETE', `/patients/${kid}/records/${rec.id}`)
    expect(del.statusCode, del.body).toBe(204)
    expect((await call(parent, 'GET', `/patients/${kid}/records/${rec.id}`)).statusCode).toBe(404)
    // A read caregiver of the dependent may not.
    const reader = await registerUser(t)
    await grant(kid, reader.id, 'read')
    const rec2 = await uploadRecord(t, parent, { name: 'kid2.txt', bytes: 'growth chart\n' }, { category: 'lab_report' }, kid)
    expect((await call(reader, 'PATCH', `/patients/${kid}/records/${rec2.id}`, { title: 'x' })).statusCode).toBe(403)
    expect((await call(reader, 'DELETE', `/patients/${kid}/records/${rec2.id}`)).statusCode).toBe(403)
  })

  it("M3: the QR is the patient's, the prescriber's and a dependent's manage caregiver's; read caregivers and an adult's manage caregiver get null", async () => {
    const [a, r, m, parent] = await Promise.all([registerUser(t), registerUser(t), registerUser(t), registerUser(t)])
    const doctor = await registerVerified(t, 'doctor', admin)
    await call(a, 'PUT', '/patients/me/profile', { fullName: 'Adult Example', dateOfBirth: '1970-01-02' })
    await grant(a.id, r.id, 'read')
    await grant(a.id, m.id, 'manage')
    await consent(t, a.id, doctor.id)
    const rx = await issue(t, doctor, a.id)
    expect(rx.qr?.data).toEqual(expect.any(String))

    const own = await call(a, 'GET', '/patients/me/prescriptions')
    expect(own.statusCode, own.body).toBe(200)
    expect(own.json().items[0].qr).toEqual(rx.qr)
    for (const cg of [r, m]) {
      const res = await call(cg, 'GET', `/patients/${a.id}/prescriptions`)
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().items).toHaveLength(1)
      expect(res.json().items[0]).toMatchObject({ id: rx.id, qr: null })
      expect(res.body).not.toContain(rx.qr.data)
      // The QR images and the prescription itself stay the patient's and the prescriber's.
      for (const url of [`/prescriptions/${rx.id}`, `/prescriptions/${rx.id}/qr.png`, `/prescriptions/${rx.id}/qr.svg`]) {
        expect((await call(cg, 'GET', url)).statusCode, url).toBe(404)
      }
    }
    expect((await call(doctor, 'GET', `/prescriptions/${rx.id}`)).json().qr).toEqual(rx.qr)

    // A dependent: the parent (manage) gets the QR; a read caregiver does not.
    const kid = await dependentOf(parent)
    const reader = await registerUser(t)
    await grant(kid, reader.id, 'read')
    await consent(t, kid, doctor.id)
    const kidRx = await issue(t, doctor, kid)
    const byParent = await call(parent, 'GET', `/patients/${kid}/prescriptions`)
    expect(byParent.statusCode, byParent.body).toBe(200)
    expect(byParent.json().items[0].qr).toEqual(kidRx.qr)
    const byReader = await call(reader, 'GET', `/patients/${kid}/prescriptions`)
    expect(byReader.json().items[0]).toMatchObject({ id: kidRx.id, qr: null })
    expect(await auditActions(a.id, r.id)).toContain('prescription.listed')
  })

  it("M3: a visit's prescriptions carry the QR by the same rule", async () => {
    const [a, r, parent] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)])
    const doctor = await registerVerified(t, 'doctor', admin)
    await call(a, 'PUT', '/patients/me/profile', { fullName: 'Adult Example', dateOfBirth: '1970-01-02' })
    await grant(a.id, r.id, 'read')
    const kid = await dependentOf(parent)
    for (const pid of [a.id, kid]) await consent(t, pid, doctor.id)
    const visit = { start: '2026-11-20T09:00:00.000Z', end: '2026-11-20T09:20:00.000Z', type: 'in_person' }
    const detail = async (u: TestUser, pid: string) => {
      const enc = await call(doctor, 'POST', `/patients/${pid}/encounters`, visit)
      expect(enc.statusCode, enc.body).toBe(201)
      const rx = await issue(t, doctor, pid, { encounterId: enc.json().id })
      const res = await call(u, 'GET', `/patients/${pid}/encounters/${enc.json().id}`)
      expect(res.statusCode, res.body).toBe(200)
      return { rx, prescriptions: res.json().prescriptions as { id: string; qr: unknown }[], enc: enc.json().id as string }
    }
    const adult = await detail(r, a.id)
    expect(adult.prescriptions).toEqual([expect.objectContaining({ id: adult.rx.id, qr: null })])
    const own = await call(a, 'GET', `/patients/me/encounters/${adult.enc}`)
    expect(own.json().prescriptions[0].qr).toEqual(adult.rx.qr)
    const byDoctor = await call(doctor, 'GET', `/patients/${a.id}/encounters/${adult.enc}`)
    expect(byDoctor.json().prescriptions[0].qr).toEqual(adult.rx.qr)
    const child = await detail(parent, kid)
    expect(child.prescriptions).toEqual([expect.objectContaining({ id: child.rx.id, qr: child.rx.qr })])
  })
})
