import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import { AMOXICILLIN } from '../../../test/helpers/prescriptions.js'
import type { TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => ({ t, admin } = await startWithAdmin()))
afterAll(async () => t?.close())

interface EncounterDto {
  id: string
  patientId: string
  doctor: { id: string; name: string; specialty: string }
  appointmentId: string | null
  start: string
  end: string | null
  type: string
  reason: string | null
  diagnoses: { code?: { system?: string; code: string; display?: string }; text: string }[]
  summary: string | null
  createdAt: string
}
interface DetailDto extends EncounterDto {
  notes: { id: string; body: string; encounterId: string | null }[]
  vitals: { id: string; encounterId: string | null }[]
  prescriptions: { id: string; encounterId: string | null }[]
}

const call = (u: TestUser | null, method: InjectOptions['method'], url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u ? u.headers : {}, ...(payload ? { payload } : {}) })

const VISIT = { start: '2026-11-20T09:00:00.000Z', end: '2026-11-20T09:20:00.000Z', type: 'in_person' }

async function record(d: TestUser, pid: string, body: object = VISIT): Promise<EncounterDto> {
  const res = await call(d, 'POST', `/patients/${pid}/encounters`, body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

async function consent(p: TestUser, d: TestUser): Promise<string> {
  const req = await call(p, 'POST', '/consultations', { doctorId: d.id })
  expect(req.statusCode, req.body).toBe(201)
  const { id } = req.json() as { id: string }
  expect((await call(d, 'POST', `/consultations/${id}/approve`)).statusCode).toBe(200)
  return id
}

/** A patient with a consenting doctor. */
async function careTeam(): Promise<{ patient: TestUser; doctor: TestUser; consultationId: string }> {
  const patient = await registerUser(t)
  const doctor = await registerVerified(t, 'doctor', admin)
  return { patient, doctor, consultationId: await consent(patient, doctor) }
}

/** An appointment row (the booking API is another feature's): `booked` unless told. */
async function appointment(patientId: string, doctorId: string, status: 'booked' | 'cancelled' | 'completed' | 'noshow' = 'booked'): Promise<string> {
  const start = new Date(Date.UTC(2026, 10, 20, 9, Math.floor(Math.random() * 50_000)))
  const row = await t.deps.db
    .insertInto('appointments')
    .values({ patientId, doctorId, startsAt: start, endsAt: new Date(start.getTime() + 20 * 60_000), status, reason: null, bookedBy: patientId, cancelledBy: null, cancelledAt: null, createdAt: new Date(), updatedAt: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

const appointmentStatus = async (id: string) => (await t.deps.db.selectFrom('appointments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status

/** An active caregiver grant of `access` on `patient`'s locker (the invitation API is another feature's). */
async function caregiverOf(patient: TestUser, access: 'read' | 'manage'): Promise<{ user: TestUser; grantId: string }> {
  const user = await registerUser(t)
  const row = await t.deps.db
    .insertInto('caregivers')
    .values({ patientId: patient.id, caregiverId: user.id, email: user.email, access, status: 'active', acceptedAt: new Date(), createdAt: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { user, grantId: row.id }
}

const countEncounters = async (patientId: string) =>
  Number((await t.deps.db.selectFrom('encounters').select((eb) => eb.fn.countAll().as('n')).where('patientId', '=', patientId).executeTakeFirstOrThrow()).n)

const eventsAbout = (patientId: string, action: string) =>
  t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind', 'actorId', 'resourceType', 'resourceId']).where('patientId', '=', patientId).where('action', '=', action).orderBy('id').execute()

describe('encounters (SPEC §10)', () => {
  it('a consenting doctor records a visit; the patient lists it and reads it; both are audited', async () => {
    const { patient, doctor } = await careTeam()
    const e = await record(doctor, patient.id, {
      ...VISIT,
      reason: 'Chest pain on exertion',
      diagnoses: [{ code: { system: 'http://snomed.info/sct', code: '194828000', display: 'Angina' }, text: 'Stable angina' }, { text: 'Hypertension' }],
      summary: 'Stress test ordered.\nReview in two weeks.',
    })
    expect(e).toEqual({
      id: expect.any(String),
      patientId: patient.id,
      doctor: { id: doctor.id, name: 'Test doctor', specialty: 'Cardiology' },
      appointmentId: null,
      start: VISIT.start,
      end: VISIT.end,
      type: 'in_person',
      reason: 'Chest pain on exertion',
      diagnoses: [{ code: { system: 'http://snomed.info/sct', code: '194828000', display: 'Angina' }, text: 'Stable angina' }, { text: 'Hypertension' }],
      summary: 'Stress test ordered.\nReview in two weeks.',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    const minimal = await record(doctor, patient.id, { start: '2026-11-21T10:00:00+01:00', type: 'phone' })
    expect(minimal).toMatchObject({ start: '2026-11-21T09:00:00.000Z', end: null, reason: null, diagnoses: [], summary: null })

    for (const pid of ['me', patient.id]) {
      const list = await call(patient, 'GET', `/patients/${pid}/encounters`)
      expect(list.statusCode, list.body).toBe(200)
      expect(list.json()).toEqual({ items: [minimal, e], nextCursor: null })
    }
    const one = await call(patient, 'GET', `/patients/me/encounters/${e.id}`)
    expect(one.statusCode, one.body).toBe(200)
    expect(one.json()).toEqual({ ...e, notes: [], vitals: [], prescriptions: [] })

    expect(await eventsAbout(patient.id, 'encounter.created')).toEqual([
      { action: 'encounter.created', actorKind: 'doctor', actorId: doctor.id, resourceType: 'encounter', resourceId: e.id },
      { action: 'encounter.created', actorKind: 'doctor', actorId: doctor.id, resourceType: 'encounter', resourceId: minimal.id },
    ])
    // The patient's own reads are not logged; the doctor's are.
    expect(await eventsAbout(patient.id, 'encounter.viewed')).toEqual([])
    expect((await call(doctor, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(200)
    expect((await call(doctor, 'GET', `/patients/${patient.id}/encounters/${e.id}`)).statusCode).toBe(200)
    expect(await eventsAbout(patient.id, 'encounter.viewed')).toEqual([
      { action: 'encounter.viewed', actorKind: 'doctor', actorId: doctor.id, resourceType: 'encounters', resourceId: patient.id },
      { action: 'encounter.viewed', actorKind: 'doctor', actorId: doctor.id, resourceType: 'encounter', resourceId: e.id },
    ])
  })

  it('pages newest first by start with a keyset cursor; a cursor it did not issue is 400', async () => {
    const { patient, doctor } = await careTeam()
    const starts = ['2026-01-05T08:00:00.000Z', '2026-03-01T08:00:00.000Z', '2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z', '2025-12-31T23:00:00.000Z']
    for (const start of starts) await record(doctor, patient.id, { start, type: 'video' })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(patient, 'GET', `/patients/me/encounters?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      const p = res.json() as { items: EncounterDto[]; nextCursor: string | null }
      seen.push(...p.items.map((e) => e.start))
      cursor = p.nextCursor
    } while (cursor)
    expect(seen).toEqual([...starts].sort().reverse())
    for (const bad of ['nope', Buffer.from('["x","y"]').toString('base64url')]) {
      const res = await call(patient, 'GET', `/patients/me/encounters?cursor=${bad}`)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
  })

  it('recording the visit of a booked appointment completes it in the same transaction; another patient’s or doctor’s is 404, one not booked 409', async () => {
    const { patient, doctor } = await careTeam()
    const booked = await appointment(patient.id, doctor.id)
    const e = await record(doctor, patient.id, { ...VISIT, appointmentId: booked })
    expect(e.appointmentId).toBe(booked)
    expect(await appointmentStatus(booked)).toBe('completed')

    // Recorded once only: the appointment is no longer booked.
    const again = await call(doctor, 'POST', `/patients/${patient.id}/encounters`, { ...VISIT, appointmentId: booked })
    expect(again.statusCode, again.body).toBe(409)
    expect(again.json().type).toBe('https://carelocker.dev/problems/appointment-not-booked')
    for (const status of ['cancelled', 'noshow'] as const) {
      const res = await call(doctor, 'POST', `/patients/${patient.id}/encounters`, { ...VISIT, appointmentId: await appointment(patient.id, doctor.id, status) })
      expect(res.statusCode, res.body).toBe(409)
    }
    const otherPatient = await registerUser(t)
    const otherDoctor = await registerVerified(t, 'doctor', admin)
    const notTheirs = [await appointment(otherPatient.id, doctor.id), await appointment(patient.id, otherDoctor.id), '00000000-0000-4000-8000-000000000000']
    for (const appointmentId of notTheirs) {
      const res = await call(doctor, 'POST', `/patients/${patient.id}/encounters`, { ...VISIT, appointmentId })
      expect(res.statusCode, res.body).toBe(404)
    }
    expect(await appointmentStatus(notTheirs[0]!)).toBe('booked')
    expect(await appointmentStatus(notTheirs[1]!)).toBe('booked')
    expect(await countEncounters(patient.id)).toBe(1)
  })

  it('bad input is a 400 problem and records nothing: end before start, wrong types, unknown fields, bad instants, control characters', async () => {
    const { patient, doctor } = await careTeam()
    const bad: object[] = [
      { ...VISIT, end: '2026-11-20T08:59:59.999Z' },
      { ...VISIT, type: 'house_call' },
      { ...VISIT, start: '20/11/2026' },
      { ...VISIT, start: '0000-01-01T00:00:00Z' },
      { type: 'phone' },
      { ...VISIT, mood: 'fine' },
      { ...VISIT, diagnoses: [{ code: { code: 'X' } }] },
      { ...VISIT, diagnoses: [{ text: 'ok', extra: 1 }] },
      { ...VISIT, diagnoses: 'angina' },
      { ...VISIT, reason: 42 },
      { ...VISIT, appointmentId: 'not-a-uuid' },
      { ...VISIT, diagnoses: [{ text: 'bad\u0000text' }] },
    ]
    for (const body of bad) {
      const res = await call(doctor, 'POST', `/patients/${patient.id}/encounters`, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    const endFirst = await call(doctor, 'POST', `/patients/${patient.id}/encounters`, { ...VISIT, end: '2026-11-20T08:00:00.000Z' })
    expect(endFirst.json().errors).toEqual([expect.objectContaining({ path: '/end' })])
    expect(await countEncounters(patient.id)).toBe(0)
    expect((await call(patient, 'GET', '/patients/me/encounters/not-a-uuid')).statusCode).toBe(400)
  })

  it('who is refused: other doctors and patients 404, patients and pharmacists 403 on recording, anonymous 401; ending the consultation removes access', async () => {
    const { patient, doctor, consultationId } = await careTeam()
    const e = await record(doctor, patient.id)
    const stranger = await registerVerified(t, 'doctor', admin)
    const otherPatient = await registerUser(t)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const u of [stranger, otherPatient]) {
      expect((await call(u, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(404)
      expect((await call(u, 'GET', `/patients/${patient.id}/encounters/${e.id}`)).statusCode).toBe(404)
    }
    expect((await call(stranger, 'POST', `/patients/${patient.id}/encounters`, VISIT)).statusCode).toBe(404)
    for (const u of [patient, otherPatient, pharmacist, admin]) expect((await call(u, 'POST', `/patients/${patient.id}/encounters`, VISIT)).statusCode).toBe(403)
    expect((await call(pharmacist, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(403)
    expect((await call(null, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(401)
    // Another patient's visit under this patient's id is absent.
    const other = await careTeam()
    const theirs = await record(other.doctor, other.patient.id)
    expect((await call(patient, 'GET', `/patients/me/encounters/${theirs.id}`)).statusCode).toBe(404)
    expect((await call(other.doctor, 'GET', `/patients/${other.patient.id}/encounters/${e.id}`)).statusCode).toBe(404)

    expect((await call(patient, 'POST', `/consultations/${consultationId}/end`)).statusCode).toBe(200)
    expect((await call(doctor, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(404)
    expect((await call(doctor, 'POST', `/patients/${patient.id}/encounters`, VISIT)).statusCode).toBe(404)
    expect(await countEncounters(patient.id)).toBe(1)
    expect((await eventsAbout(patient.id, 'encounter.denied')).length).toBeGreaterThan(0)
  })

  it('a caregiver of either level reads the visits, audited as a caregiver; a revoked one gets 404 at once', async () => {
    const { patient, doctor } = await careTeam()
    const e = await record(doctor, patient.id)
    await call(doctor, 'POST', `/patients/${patient.id}/notes`, { body: 'Shared at the visit.', sharedWithPatient: true, encounterId: e.id })
    for (const access of ['read', 'manage'] as const) {
      const { user, grantId } = await caregiverOf(patient, access)
      const list = await call(user, 'GET', `/patients/${patient.id}/encounters`)
      expect(list.statusCode, list.body).toBe(200)
      expect(list.json().items.map((x: EncounterDto) => x.id)).toEqual([e.id])
      const one = await call(user, 'GET', `/patients/${patient.id}/encounters/${e.id}`)
      expect(one.statusCode, one.body).toBe(200)
      expect((one.json() as DetailDto).notes.map((n) => n.body)).toEqual(['Shared at the visit.'])
      expect((await call(user, 'POST', `/patients/${patient.id}/encounters`, VISIT)).statusCode).toBe(403)
      const viewed = (await eventsAbout(patient.id, 'encounter.viewed')).filter((v) => v.actorId === user.id)
      expect(viewed.map((v) => v.actorKind)).toEqual(['caregiver', 'caregiver'])

      await t.deps.db.updateTable('caregivers').set({ status: 'revoked', revokedAt: new Date() }).where('id', '=', grantId).execute()
      expect((await call(user, 'GET', `/patients/${patient.id}/encounters`)).statusCode).toBe(404)
      expect((await call(user, 'GET', `/patients/${patient.id}/encounters/${e.id}`)).statusCode).toBe(404)
    }
  })

  it('notes, vitals and prescriptions carry encounterId; the visit shows them to whom may see them', async () => {
    const { patient, doctor } = await careTeam()
    const e = await record(doctor, patient.id)
    const post = async (u: TestUser, url: string, body: object, status = 201) => {
      const res = await call(u, 'POST', url, body)
      expect(res.statusCode, res.body).toBe(status)
      return res.json()
    }
    const shared = await post(doctor, `/patients/${patient.id}/notes`, { body: 'Shared', sharedWithPatient: true, encounterId: e.id })
    const own = await post(doctor, `/patients/${patient.id}/notes`, { body: 'Private', encounterId: e.id })
    const loose = await post(doctor, `/patients/${patient.id}/notes`, { body: 'No visit', sharedWithPatient: true })
    expect([shared.encounterId, own.encounterId, loose.encounterId]).toEqual([e.id, e.id, null])
    const byDoctor = await post(doctor, `/patients/${patient.id}/vitals`, { type: 'heart_rate', value: 64, encounterId: e.id })
    const byPatient = await post(patient, '/patients/me/vitals', { type: 'body_weight', value: 70, encounterId: e.id })
    const plain = await post(patient, '/patients/me/vitals', { type: 'body_weight', value: 71 })
    expect([byDoctor.encounterId, byPatient.encounterId, plain.encounterId]).toEqual([e.id, e.id, null])
    const rx = await post(doctor, '/prescriptions', { patientId: patient.id, diagnosis: 'Sinusitis', items: [AMOXICILLIN], encounterId: e.id })
    expect(rx.encounterId).toBe(e.id)
    const rxList = await call(patient, 'GET', '/prescriptions')
    expect(rxList.json().items[0].encounterId).toBe(e.id)

    const detail = async (u: TestUser) => {
      const res = await call(u, 'GET', `/patients/${patient.id}/encounters/${e.id}`)
      expect(res.statusCode, res.body).toBe(200)
      return res.json() as DetailDto
    }
    const mine = await detail(patient)
    expect(mine.notes.map((n) => n.body)).toEqual(['Shared'])
    expect(mine.vitals.map((v) => v.id).sort()).toEqual([byDoctor.id, byPatient.id].sort())
    expect(mine.prescriptions.map((p) => p.id)).toEqual([rx.id])
    const theDoctors = await detail(doctor)
    expect(theDoctors.notes.map((n) => n.body)).toEqual(['Shared', 'Private'])

    // A second consenting doctor sees the shared note but not the other's private note or prescription, and links nothing to the other's visit.
    const second = await registerVerified(t, 'doctor', admin)
    await consent(patient, second)
    const seen = await detail(second)
    expect(seen.notes.map((n) => n.body)).toEqual(['Shared'])
    expect(seen.prescriptions).toEqual([])
    const mismatch = await call(second, 'POST', `/patients/${patient.id}/notes`, { body: 'x', encounterId: e.id })
    expect(mismatch.statusCode, mismatch.body).toBe(409)
    expect(mismatch.json().type).toBe('https://carelocker.dev/problems/encounter-mismatch')
    const rxMismatch = await call(second, 'POST', '/prescriptions', { patientId: patient.id, diagnosis: 'x', items: [AMOXICILLIN], encounterId: e.id })
    expect(rxMismatch.statusCode, rxMismatch.body).toBe(409)
    // …but a vital may point to any visit of the patient.
    await post(second, `/patients/${patient.id}/vitals`, { type: 'heart_rate', value: 70, encounterId: e.id })

    // Another patient's visit, or none at all: 404, nothing written.
    const other = await careTeam()
    const theirs = await record(other.doctor, other.patient.id)
    await consent(other.patient, doctor)
    const before = (await detail(patient)).vitals.length
    for (const encounterId of [theirs.id, '00000000-0000-4000-8000-000000000000']) {
      await post(doctor, `/patients/${patient.id}/notes`, { body: 'x', encounterId }, 404)
      await post(doctor, `/patients/${patient.id}/vitals`, { type: 'heart_rate', value: 70, encounterId }, 404)
      await post(patient, '/patients/me/vitals', { type: 'heart_rate', value: 70, encounterId }, 404)
      await post(doctor, '/prescriptions', { patientId: patient.id, diagnosis: 'x', items: [AMOXICILLIN], encounterId }, 404)
    }
    await post(doctor, `/patients/${patient.id}/vitals`, { type: 'heart_rate', value: 70, encounterId: 'nope' }, 400)
    expect((await detail(patient)).vitals.length).toBe(before)
  })

  it("erasing the locker deletes the patient's visits; a prescription kept from one loses its link", async () => {
    const { patient, doctor } = await careTeam()
    const e = await record(doctor, patient.id)
    const rx = await call(doctor, 'POST', '/prescriptions', { patientId: patient.id, diagnosis: 'Sinusitis', items: [AMOXICILLIN], encounterId: e.id })
    expect(rx.statusCode, rx.body).toBe(201)
    const erased = await call(patient, 'DELETE', '/patients/me', { password: patient.password })
    expect(erased.statusCode, erased.body).toBe(204)
    expect(await countEncounters(patient.id)).toBe(0)
    const kept = await t.deps.db.selectFrom('prescriptions').select('encounterId').where('id', '=', rx.json().id).executeTakeFirstOrThrow()
    expect(kept.encounterId).toBeNull()
  })
})
