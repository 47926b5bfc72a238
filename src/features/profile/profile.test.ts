import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t.close())

const getProfile = (u: TestUser, pid = 'me') => t.app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/profile`, headers: u.headers })
const putProfile = (u: TestUser, payload: unknown, pid = 'me') =>
  t.app.inject({ method: 'PUT', url: `/api/v1/patients/${pid}/profile`, headers: u.headers, payload: payload as object })

const fullProfile = {
  fullName: 'Maria Lopez',
  dateOfBirth: '1980-02-29',
  sex: 'female',
  bloodGroup: 'O-',
  heightCm: 165,
  organDonor: true,
  notes: 'Carries an EpiPen.',
  allergies: [{ substance: 'Penicillin', reaction: 'Hives', severity: 'severe', code: { system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' } }],
  conditions: [{ name: 'Asthma', status: 'active', since: '1995-06-01' }],
  medications: [{ name: 'Salbutamol inhaler', dosage: '100 mcg', frequency: 'as needed' }],
  emergencyContacts: [{ name: 'Luis Lopez', relationship: 'spouse', phone: '+14155550123', email: 'luis@example.test' }],
}

describe('patient profile', () => {
  it('before the first PUT answers 200 with the registration name and everything else empty', async () => {
    const p = await registerUser(t)
    const res = await getProfile(p)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      fullName: 'Test patient', dateOfBirth: null, age: null, bloodGroup: null, organDonor: null,
      allergies: [], conditions: [], medications: [], emergencyContacts: [],
    })
  })

  it('sex is null until recorded: before the first PUT and after a PUT that omits it; the four values and null are accepted', async () => {
    const p = await registerUser(t)
    expect((await getProfile(p)).json().sex).toBeNull()
    for (const sex of ['female', 'male', 'other', 'unknown', null]) {
      const res = await putProfile(p, { fullName: 'Alex Doe', sex })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().sex).toBe(sex)
      expect((await getProfile(p)).json().sex).toBe(sex)
    }
    await putProfile(p, { fullName: 'Alex Doe', sex: 'female' })
    expect((await putProfile(p, { fullName: 'Alex Doe' })).json().sex).toBeNull()
    const bad = await putProfile(p, { fullName: 'Alex Doe', sex: 'f' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors.map((e: { path: string }) => e.path)).toContain('/sex')
    // The OpenAPI document says so too.
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json()
    const sexSchema = doc.paths['/api/v1/patients/{pid}/profile'].get.responses['200'].content['application/json'].schema.properties.sex
    expect(sexSchema.anyOf).toContainEqual({ type: 'null' })
  })

  it('PUT replaces the whole profile, assigns item ids and computes age on the UTC date', async () => {
    const p = await registerUser(t)
    const res = await putProfile(p, fullProfile)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    const today = new Date()
    const expectedAge = today.getUTCFullYear() - 1980 - (today.toISOString().slice(5, 10) < '02-29' ? 1 : 0)
    expect(body.age).toBe(expectedAge)
    expect(body.allergies[0]).toMatchObject({ substance: 'Penicillin', severity: 'severe' })
    expect(body.allergies[0].id).toMatch(/^[0-9a-f-]{36}$/)
    expect((await getProfile(p, p.id)).json()).toEqual(body)
    // Omitted fields become empty: a second PUT with only the name clears the rest.
    const cleared = (await putProfile(p, { fullName: 'Maria L.' })).json()
    expect(cleared).toMatchObject({ fullName: 'Maria L.', bloodGroup: null, allergies: [], emergencyContacts: [] })
  })

  it('rejects bad input with field paths and changes nothing', async () => {
    const p = await registerUser(t)
    await putProfile(p, fullProfile)
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
    const cases: [unknown, string][] = [
      [{ ...fullProfile, dateOfBirth: tomorrow }, '/dateOfBirth'],
      [{ ...fullProfile, dateOfBirth: '1980-02-30' }, '/dateOfBirth'],
      [{ ...fullProfile, bloodGroup: 'C+' }, '/bloodGroup'],
      [{ ...fullProfile, emergencyContacts: [{ name: 'X', phone: '12345' }] }, '/emergencyContacts/0/phone'],
      [{ ...fullProfile, emergencyContacts: [{ name: 'X', phone: '+1415555' }] }, '/emergencyContacts/0/phone'],
      [{ ...fullProfile, emergencyContacts: Array.from({ length: 6 }, () => fullProfile.emergencyContacts[0]) }, '/emergencyContacts'],
      [{ ...fullProfile, fullName: undefined }, '/fullName'],
      [{ ...fullProfile, heightCm: 'tall' }, '/heightCm'],
      [{ ...fullProfile, favouriteColour: 'blue' }, '/favouriteColour'],
      [{ ...fullProfile, allergies: [{ substance: 'Nuts', severity: 'deadly' }] }, '/allergies/0/severity'],
      [{ ...fullProfile, notes: 'x'.repeat(2001) }, '/notes'],
    ]
    for (const [payload, path] of cases) {
      const res = await putProfile(p, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect((await getProfile(p)).json()).toMatchObject({ fullName: 'Maria Lopez', bloodGroup: 'O-' })
  })

  it('another patient, a doctor without consent and unknown ids get 404; pending doctors, pharmacists and admins 403', async () => {
    const owner = await registerUser(t)
    await putProfile(owner, fullProfile)
    const other = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    for (const u of [other, doctor]) {
      expect((await getProfile(u, owner.id)).statusCode).toBe(404)
      expect((await putProfile(u, fullProfile, owner.id)).statusCode).toBe(404)
    }
    expect((await getProfile(owner, '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
    expect((await getProfile(doctor)).statusCode).toBe(404)
    const pending = await registerUser(t, 'doctor')
    const pendingRes = await getProfile(pending, owner.id)
    expect(pendingRes.statusCode).toBe(403)
    expect(pendingRes.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
    const pharmacist = await registerVerified(t, 'pharmacist')
    const admin = await createAdmin(t)
    for (const u of [pharmacist, admin]) expect((await getProfile(u, owner.id)).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${owner.id}/profile` })).statusCode).toBe(401)
  })

  it('a doctor with an approved consultation reads but cannot write; access ends with the consultation', async () => {
    const owner = await registerUser(t)
    await putProfile(owner, fullProfile)
    const doctor = await registerVerified(t, 'doctor')
    const { id } = await t.deps.db
      .insertInto('consultations')
      .values({ patientId: owner.id, doctorId: doctor.id, status: 'approved', createdAt: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow()
    expect((await getProfile(doctor, owner.id)).json().bloodGroup).toBe('O-')
    expect((await putProfile(doctor, fullProfile, owner.id)).statusCode).toBe(403)
    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', id).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await getProfile(doctor, owner.id)).statusCode).toBe(404)
  })
})
