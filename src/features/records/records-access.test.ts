/** Who may do what with records (SPEC §3): strangers get 404, other roles 403, a treating doctor reads and adds but does not change. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified } from '../../../test/helpers/factories.js'
import { recordFixtures, recordHelpers, sha256, url } from '../../../test/helpers/records.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const { PDF, PNG } = recordFixtures()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())
const { upload, uploadOk, get, rowsOf } = recordHelpers(() => t)

async function approvedConsultation(patientId: string, doctorId: string) {
  return t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved' }).returning('id').executeTakeFirstOrThrow()
}

describe('who may do what (SPEC §3)', () => {
  it('another patient, a doctor without an approved consultation and a mismatched pid get 404 on every record route', async () => {
    const owner = await registerUser(t)
    const rec = await uploadOk(owner, PNG)
    const stranger = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    for (const u of [stranger, doctor]) {
      expect((await get(u, url(owner.id))).statusCode).toBe(404)
      for (const suffix of ['', '/content', '/verify']) expect((await get(u, url(owner.id, `/${rec.id}${suffix}`))).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'PATCH', url: url(owner.id, `/${rec.id}`), headers: u.headers, payload: { title: 'x' } })).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'DELETE', url: url(owner.id, `/${rec.id}`), headers: u.headers })).statusCode).toBe(404)
      expect((await upload(u, PNG, { pid: owner.id })).statusCode).toBe(404)
    }
    // The stranger's own locker does not contain the owner's record either.
    for (const suffix of ['', '/content', '/verify']) expect((await get(stranger, url('me', `/${rec.id}${suffix}`))).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: url('me', `/${rec.id}`), headers: stranger.headers })).statusCode).toBe(404)
    // A doctor has no `me` locker.
    expect((await get(doctor, url('me'))).statusCode).toBe(404)
    expect(await rowsOf(owner.id)).toHaveLength(1)
  })

  it('a pending doctor, a pharmacist and an admin get 403 on the record routes', async () => {
    const owner = await registerUser(t)
    const rec = await uploadOk(owner, PNG)
    const pending = await registerUser(t, 'doctor')
    const admin = await createAdmin(t)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const [u, code] of [[pending, 'account-not-verified'], [pharmacist, 'forbidden'], [admin, 'forbidden']] as const) {
      const list = await get(u, url(owner.id))
      expect(list.statusCode).toBe(403)
      expect(list.json().type).toBe(`https://carelocker.dev/problems/${code}`)
      expect((await get(u, url(owner.id, `/${rec.id}/content`))).statusCode).toBe(403)
      expect((await upload(u, PNG, { pid: owner.id })).statusCode).toBe(403)
      expect((await t.app.inject({ method: 'DELETE', url: url(owner.id, `/${rec.id}`), headers: u.headers })).statusCode).toBe(403)
    }
    expect((await t.app.inject({ method: 'GET', url: url(owner.id) })).statusCode).toBe(401)
  })

  it('a doctor with an approved consultation lists, reads, downloads and adds records, gets 403 on PATCH/DELETE, and 404 once it ended', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const rec = await uploadOk(patient, PDF)
    const consultation = await approvedConsultation(patient.id, doctor.id)

    expect((await get(doctor, url(patient.id))).json().items.map((r: { id: string }) => r.id)).toEqual([rec.id])
    expect((await get(doctor, url(patient.id, `/${rec.id}`))).json()).toEqual(rec)
    const content = await get(doctor, url(patient.id, `/${rec.id}/content`))
    expect(sha256(content.rawPayload)).toBe(rec.sha256)
    expect((await get(doctor, url(patient.id, `/${rec.id}/verify`))).json().matches).toBe(true)
    const added = await uploadOk(doctor, PNG, { pid: patient.id, fields: { category: 'clinical_note', doctorName: 'Dr. Test' } })
    expect(added).toMatchObject({ patientId: patient.id, uploadedBy: { id: doctor.id, role: 'doctor', name: 'Test doctor' } })
    expect((await get(patient, url('me', `/${added.id}`))).statusCode).toBe(200)

    const patch = await t.app.inject({ method: 'PATCH', url: url(patient.id, `/${rec.id}`), headers: doctor.headers, payload: { title: 'x' } })
    expect(patch.statusCode).toBe(403)
    const del = await t.app.inject({ method: 'DELETE', url: url(patient.id, `/${added.id}`), headers: doctor.headers })
    expect(del.statusCode).toBe(403)

    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', consultation.id).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await get(doctor, url(patient.id))).statusCode).toBe(404)
    for (const suffix of ['', '/content', '/verify']) expect((await get(doctor, url(patient.id, `/${rec.id}${suffix}`))).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'PATCH', url: url(patient.id, `/${rec.id}`), headers: doctor.headers, payload: { title: 'x' } })).statusCode).toBe(404)
    expect((await upload(doctor, PNG, { pid: patient.id })).statusCode).toBe(404)
    expect(await rowsOf(patient.id)).toHaveLength(2)
  })
})
