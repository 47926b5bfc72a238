/**
 * Appointments over HTTP (SPEC §10): availability, exceptions, free slots (DST-correct), booking
 * (consultation required, slot checks, one winner of a race), lists, cancel and reschedule,
 * caregivers, emails with `.ics`, reminders (email, SMS, in-app) and the audit trail.
 *
 * The app's clock (`deps.now()`) is fixed on Friday 20 March 2026, before the Paris spring
 * change (Sunday 29 March 2026, 02:00 → 03:00): the week of 23 March is UTC+1, the next UTC+2.
 * Reminder jobs are due at start − 24 h of that clock, which is in the real past: they run at once.
 */
import { randomUUID } from 'node:crypto'
import type * as fhir4 from 'fhir/r4.js'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { consent } from '../../../test/helpers/prescriptions.js'
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { fhirValidator } from '../../../test/helpers/fhir-schema.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { startTwilioStub, type TwilioStub } from '../../../test/helpers/twilio-stub.js'
import { waitUntil } from '../../../test/helpers/wait.js'

const NOW = new Date('2026-03-20T00:00:00.000Z')
let t: TestApp
let smtp: SmtpSink
let twilio: TwilioStub
let admin: TestUser

beforeAll(async () => {
  smtp = await startSmtpSink()
  twilio = await startTwilioStub()
  t = await startTestApp({ SMTP_URL: smtp.url, ...twilio.env }, { now: () => NOW })
  admin = await createAdmin(t)
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
  await twilio?.close()
})

const inject = (u: TestUser | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u ? u.headers : {}, ...(payload !== undefined ? { payload: payload as object } : {}) })
const get = (u: TestUser, url: string) => inject(u, 'GET', url)
const post = (u: TestUser, url: string, payload?: unknown) => inject(u, 'POST', url, payload)

/** Every day, 09:00–12:00 Paris, 30-minute slots. */
const EVERY_MORNING = { timeZone: 'Europe/Paris', slotMinutes: 30, weekly: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '12:00' })) }
/** Monday 23 March 2026, 09:00 Paris (UTC+1). */
const MON_0900 = '2026-03-23T08:00:00.000Z'
const MON_0930 = '2026-03-23T08:30:00.000Z'
const MON_1000 = '2026-03-23T09:00:00.000Z'

async function doctorWithAvailability(body: object = EVERY_MORNING): Promise<TestUser> {
  const d = await registerVerified(t, 'doctor', admin)
  const res = await inject(d, 'PUT', '/doctor/availability', body)
  expect(res.statusCode, res.body).toBe(200)
  return d
}
async function consentingPatient(doctor: TestUser, fields: Record<string, string> = {}): Promise<TestUser> {
  const p = await registerUser(t, 'patient', fields)
  await consent(t, p.id, doctor.id)
  return p
}
async function book(u: TestUser, body: object) {
  const res = await post(u, '/appointments', body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json() as { id: string; start: string; end: string; status: string; patient: { id: string; name: string }; doctor: { id: string; name: string; specialty: string } }
}
/** A patient account managing `patient`'s locker as an active caregiver with `access`. */
async function caregiverOf(patient: TestUser, access: 'read' | 'manage'): Promise<TestUser> {
  const c = await registerUser(t, 'patient')
  await t.deps.db.insertInto('caregivers').values({ patientId: patient.id, caregiverId: c.id, email: c.email, access, status: 'active', createdAt: new Date(), acceptedAt: new Date() }).execute()
  return c
}
const auditActions = async (patientId: string) =>
  (await t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind', 'actorId']).where('patientId', '=', patientId).orderBy('id').execute())
const problemType = (res: { json: () => unknown }) => (res.json() as { type: string }).type.replace('https://carelocker.dev/problems/', '')

/** The text/calendar part of a mail, unfolded (RFC 5545 §3.1) into `NAME → value` (first of each). */
function calendarOf(mail: ReceivedMail): Record<string, string> {
  const part = mail.parts.find((p) => p.contentType.startsWith('text/calendar'))
  expect(part, 'a text/calendar part').toBeDefined()
  const text = part!.content.toString('utf8').replace(/\r?\n[ \t]/g, '')
  const lines = text.split(/\r?\n/).filter(Boolean)
  expect(lines[0]).toBe('BEGIN:VCALENDAR')
  expect(lines.at(-1)).toBe('END:VCALENDAR')
  expect(lines).toContain('BEGIN:VEVENT')
  const out: Record<string, string> = {}
  for (const line of lines) {
    const m = /^([A-Z-]+)(?:;[^:]*)?:(.*)$/.exec(line)
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!
  }
  return out
}
const icsInstant = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '')

describe('availability (FHIR Schedule)', () => {
  it('a verified doctor publishes and reads their weekly availability; a patient or a pending doctor gets 403', async () => {
    const d = await registerVerified(t, 'doctor', admin)
    expect((await get(d, '/doctor/availability')).statusCode).toBe(404)
    const res = await inject(d, 'PUT', '/doctor/availability', { timeZone: 'Europe/Paris', slotMinutes: 20, weekly: [{ weekday: 3, start: '14:00', end: '18:00' }, { weekday: 1, start: '09:00', end: '12:00' }] })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ timeZone: 'Europe/Paris', slotMinutes: 20, weekly: [{ weekday: 1, start: '09:00', end: '12:00' }, { weekday: 3, start: '14:00', end: '18:00' }] })
    expect((await get(d, '/doctor/availability')).json()).toEqual(res.json())
    const patient = await registerUser(t)
    expect((await inject(patient, 'PUT', '/doctor/availability', EVERY_MORNING)).statusCode).toBe(403)
    const pending = await registerUser(t, 'doctor')
    expect((await inject(pending, 'PUT', '/doctor/availability', EVERY_MORNING)).statusCode).toBe(403)
    expect((await inject(null, 'GET', '/doctor/availability')).statusCode).toBe(401)
  })

  it.each([
    ['a time zone that does not exist', { ...EVERY_MORNING, timeZone: 'Europe/Atlantis' }, '/timeZone'],
    ['start equal to end', { ...EVERY_MORNING, weekly: [{ weekday: 1, start: '10:00', end: '10:00' }] }, '/weekly/0/end'],
    ['start after end', { ...EVERY_MORNING, weekly: [{ weekday: 1, start: '12:00', end: '09:00' }] }, '/weekly/0/end'],
    ['overlapping windows', { ...EVERY_MORNING, weekly: [{ weekday: 2, start: '09:00', end: '12:00' }, { weekday: 2, start: '11:30', end: '13:00' }] }, '/weekly/1'],
    ['weekday 0', { ...EVERY_MORNING, weekly: [{ weekday: 0, start: '09:00', end: '12:00' }] }, '/weekly/0/weekday'],
    ['a time that is not HH:MM', { ...EVERY_MORNING, weekly: [{ weekday: 1, start: '9:00', end: '12:00' }] }, '/weekly/0/start'],
    ['5-minute slots', { ...EVERY_MORNING, slotMinutes: 5 }, '/slotMinutes'],
    ['slotMinutes as a string', { ...EVERY_MORNING, slotMinutes: '30' }, '/slotMinutes'],
    ['an unknown field', { ...EVERY_MORNING, colour: 'blue' }, ''],
  ])('%s → 400 naming the field, and nothing changes', async (_what, body, path) => {
    const d = await doctorWithAvailability()
    const res = await inject(d, 'PUT', '/doctor/availability', body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    if (path) expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(path)
    expect((await get(d, '/doctor/availability')).json()).toMatchObject({ timeZone: 'Europe/Paris', slotMinutes: 30 })
  })

  it('exceptions: created (201), listed, deleted (204) by their doctor only; from ≥ to is 400', async () => {
    const d = await doctorWithAvailability()
    const other = await registerVerified(t, 'doctor', admin)
    const res = await post(d, '/doctor/availability/exceptions', { from: MON_0900, to: MON_1000, reason: 'Conference' })
    expect(res.statusCode, res.body).toBe(201)
    const ex = res.json() as { id: string }
    expect(res.json()).toMatchObject({ from: MON_0900, to: MON_1000, reason: 'Conference' })
    const list = (await get(d, '/doctor/availability/exceptions')).json() as { items: { id: string }[]; nextCursor: string | null }
    expect(list.items.map((e) => e.id)).toEqual([ex.id])
    expect((await get(other, '/doctor/availability/exceptions')).json()).toEqual({ items: [], nextCursor: null })
    expect((await post(d, '/doctor/availability/exceptions', { from: MON_1000, to: MON_0900 })).statusCode).toBe(400)
    expect((await post(d, '/doctor/availability/exceptions', { from: 'monday', to: MON_0900 })).statusCode).toBe(400)
    expect((await inject(other, 'DELETE', `/doctor/availability/exceptions/${ex.id}`)).statusCode).toBe(404)
    expect((await inject(d, 'DELETE', `/doctor/availability/exceptions/${ex.id}`)).statusCode).toBe(204)
    expect((await inject(d, 'DELETE', `/doctor/availability/exceptions/${ex.id}`)).statusCode).toBe(404)
  })
})

describe('free slots (FHIR Slot)', () => {
  it('expands the grid in the doctor’s zone across the DST change: 09:00 Paris is 08:00Z on Saturday 28 March, 07:00Z on Monday 30 March', async () => {
    const d = await doctorWithAvailability({ timeZone: 'Europe/Paris', slotMinutes: 60, weekly: [6, 7, 1].map((weekday) => ({ weekday, start: '09:00', end: '11:00' })) })
    const p = await registerUser(t)
    const res = await get(p, `/doctors/${d.id}/slots?from=2026-03-28&to=2026-03-30`)
    expect(res.statusCode, res.body).toBe(200)
    expect((res.json() as { items: { start: string; end: string }[] }).items).toEqual([
      { start: '2026-03-28T08:00:00.000Z', end: '2026-03-28T09:00:00.000Z' },
      { start: '2026-03-28T09:00:00.000Z', end: '2026-03-28T10:00:00.000Z' },
      { start: '2026-03-29T07:00:00.000Z', end: '2026-03-29T08:00:00.000Z' },
      { start: '2026-03-29T08:00:00.000Z', end: '2026-03-29T09:00:00.000Z' },
      { start: '2026-03-30T07:00:00.000Z', end: '2026-03-30T08:00:00.000Z' },
      { start: '2026-03-30T08:00:00.000Z', end: '2026-03-30T09:00:00.000Z' },
    ])
  })

  it('leaves out exceptions, booked slots and the past; a doctor may look too', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    await post(d, '/doctor/availability/exceptions', { from: MON_0930, to: MON_1000 })
    await book(p, { doctorId: d.id, start: MON_0900 })
    const slots = (await get(d, `/doctors/${d.id}/slots?from=${MON_0900}&to=2026-03-23T11:00:00.000Z`)).json() as { items: { start: string }[] }
    expect(slots.items.map((s) => s.start)).toEqual(['2026-03-23T09:00:00.000Z', '2026-03-23T09:30:00.000Z', '2026-03-23T10:00:00.000Z', '2026-03-23T10:30:00.000Z'])
    const past = (await get(p, `/doctors/${d.id}/slots?from=2026-03-19&to=2026-03-19`)).json() as { items: unknown[] }
    expect(past.items).toEqual([])
  })

  it.each([
    ['more than 31 days', 'from=2026-04-01&to=2026-05-02'],
    ['from after to', 'from=2026-04-02&to=2026-04-01'],
    ['from equal to to (instants)', `from=${MON_0900}&to=${MON_0900}`],
    ['no to', 'from=2026-04-01'],
    ['a date that does not exist', 'from=2026-02-30&to=2026-03-02'],
    ['an unknown parameter', 'from=2026-04-01&to=2026-04-02&zone=UTC'],
  ])('%s → 400', async (_what, qs) => {
    const d = await doctorWithAvailability()
    const p = await registerUser(t)
    const res = await get(p, `/doctors/${d.id}/slots?${qs}`)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
  })

  it('31 days is allowed; an unknown or unverified doctor is 404; a pharmacist 403; a doctor without availability has no slots', async () => {
    const d = await doctorWithAvailability()
    const p = await registerUser(t)
    expect((await get(p, `/doctors/${d.id}/slots?from=2026-04-01&to=2026-05-01`)).statusCode).toBe(200)
    expect((await get(p, `/doctors/${randomUUID()}/slots?from=2026-04-01&to=2026-04-02`)).statusCode).toBe(404)
    const pending = await registerUser(t, 'doctor')
    expect((await get(p, `/doctors/${pending.id}/slots?from=2026-04-01&to=2026-04-02`)).statusCode).toBe(404)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    expect((await get(pharmacist, `/doctors/${d.id}/slots?from=2026-04-01&to=2026-04-02`)).statusCode).toBe(403)
    const bare = await registerVerified(t, 'doctor', admin)
    expect((await get(p, `/doctors/${bare.id}/slots?from=2026-04-01&to=2026-04-02`)).json()).toEqual({ items: [] })
  })
})

describe('booking', () => {
  it('a patient with an approved consultation books a free slot → 201 Appointment; the slot is no longer free; audited appointment.booked', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d, { name: 'Ada Patient' })
    const a = await book(p, { doctorId: d.id, start: MON_0900, reason: 'Follow-up' })
    expect(a).toMatchObject({ patient: { id: p.id, name: 'Ada Patient' }, doctor: { id: d.id, name: 'Test doctor', specialty: 'Cardiology' }, start: MON_0900, end: MON_0930, status: 'booked', reason: 'Follow-up' })
    expect(typeof (a as unknown as { createdAt: string }).createdAt).toBe('string')
    const slots = (await get(p, `/doctors/${d.id}/slots?from=2026-03-23&to=2026-03-23`)).json() as { items: { start: string }[] }
    expect(slots.items.map((s) => s.start)).not.toContain(MON_0900)
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.booked', actorKind: 'patient', actorId: p.id })
  })

  it('without an approved consultation → 409 no-consultation (ended consultations too); nothing is booked', async () => {
    const d = await doctorWithAvailability()
    const p = await registerUser(t)
    const res = await post(p, '/appointments', { doctorId: d.id, start: MON_0900 })
    expect(res.statusCode).toBe(409)
    expect(problemType(res)).toBe('no-consultation')
    await t.deps.db.insertInto('consultations').values({ patientId: p.id, doctorId: d.id, status: 'ended', createdAt: new Date() }).execute()
    expect(problemType(await post(p, '/appointments', { doctorId: d.id, start: MON_0900 }))).toBe('no-consultation')
    expect(await t.deps.db.selectFrom('appointments').select('id').where('patientId', '=', p.id).execute()).toEqual([])
  })

  it.each([
    ['outside availability (13:00 Paris)', '2026-03-23T12:00:00.000Z'],
    ['not on the grid (09:10 Paris)', '2026-03-23T08:10:00.000Z'],
    ['in the past', '2026-03-19T08:00:00.000Z'],
    ['during an exception', MON_0930],
  ])('a start %s → 409 slot-unavailable', async (_what, start) => {
    const d = await doctorWithAvailability()
    await post(d, '/doctor/availability/exceptions', { from: MON_0930, to: MON_1000 })
    const p = await consentingPatient(d)
    const res = await post(p, '/appointments', { doctorId: d.id, start })
    expect(res.statusCode, res.body).toBe(409)
    expect(problemType(res)).toBe('slot-unavailable')
  })

  it('a taken slot → 409 slot-taken; a doctor with no availability → slot-unavailable', async () => {
    const d = await doctorWithAvailability()
    const [p1, p2] = [await consentingPatient(d), await consentingPatient(d)]
    await book(p1, { doctorId: d.id, start: MON_0900 })
    const res = await post(p2, '/appointments', { doctorId: d.id, start: MON_0900 })
    expect(res.statusCode).toBe(409)
    expect(problemType(res)).toBe('slot-taken')
    const bare = await registerVerified(t, 'doctor', admin)
    await consent(t, p1.id, bare.id)
    expect(problemType(await post(p1, '/appointments', { doctorId: bare.id, start: MON_0900 }))).toBe('slot-unavailable')
  })

  it.each([
    ['an unknown field', (d: string) => ({ doctorId: d, start: MON_0900, priority: 'high' })],
    ['a start that is not an instant', (d: string) => ({ doctorId: d, start: 'Monday 9am' })],
    ['a doctorId that is not a uuid', () => ({ doctorId: 'dr-who', start: MON_0900 })],
    ['no start', (d: string) => ({ doctorId: d })],
    ['a reason with a control character', (d: string) => ({ doctorId: d, start: MON_0900, reason: 'a\u0000b' })],
  ])('%s → 400', async (_what, body) => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const res = await post(p, '/appointments', body(d.id))
    expect(res.statusCode, res.body).toBe(400)
  })

  it('an unknown doctor is 404; a doctor or pharmacist cannot book (403); another patient’s id is 404 and logged appointment.denied', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    expect((await post(p, '/appointments', { doctorId: randomUUID(), start: MON_0900 })).statusCode).toBe(404)
    expect((await post(d, '/appointments', { doctorId: d.id, start: MON_0900 })).statusCode).toBe(403)
    const stranger = await registerUser(t)
    const res = await post(stranger, '/appointments', { doctorId: d.id, start: MON_0900, patientId: p.id })
    expect(res.statusCode).toBe(404)
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.denied', actorKind: 'patient', actorId: stranger.id })
  })

  it('of 20 concurrent bookings of one slot by 20 consenting patients exactly one wins (201) and 19 get 409 slot-taken', async () => {
    const d = await doctorWithAvailability()
    const patients = await Promise.all(Array.from({ length: 20 }, () => consentingPatient(d)))
    const results = await Promise.all(patients.map((p) => post(p, '/appointments', { doctorId: d.id, start: MON_1000 })))
    const codes = results.map((r) => r.statusCode).sort()
    expect(codes.filter((c) => c === 201)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(19)
    for (const r of results.filter((r) => r.statusCode === 409)) expect(problemType(r)).toBe('slot-taken')
    const rows = await t.deps.db.selectFrom('appointments').select('id').where('doctorId', '=', d.id).where('status', '=', 'booked').execute()
    expect(rows).toHaveLength(1)
  })
})

describe('no overlap after a grid change (security review M4)', () => {
  it('10:00 booked with 30-minute slots, then 20-minute slots: booking or moving onto 10:20 → 409 slot-taken, one booked row each', async () => {
    const d = await doctorWithAvailability()
    const [p1, p2] = [await consentingPatient(d), await consentingPatient(d)]
    const first = await book(p1, { doctorId: d.id, start: MON_1000 })
    expect(first.end).toBe('2026-03-23T09:30:00.000Z')
    expect((await inject(d, 'PUT', '/doctor/availability', { ...EVERY_MORNING, slotMinutes: 20 })).statusCode).toBe(200)
    const MON_1020 = '2026-03-23T09:20:00.000Z'
    const res = await post(p2, '/appointments', { doctorId: d.id, start: MON_1020 })
    expect(res.statusCode, res.body).toBe(409)
    expect(problemType(res)).toBe('slot-taken')
    const other = await book(p2, { doctorId: d.id, start: '2026-03-23T09:40:00.000Z' })
    const moved = await post(p2, `/appointments/${other.id}/reschedule`, { start: MON_1020 })
    expect(moved.statusCode, moved.body).toBe(409)
    expect(problemType(moved)).toBe('slot-taken')
    const rows = await t.deps.db.selectFrom('appointments').select(['id', 'startsAt']).where('doctorId', '=', d.id).where('status', '=', 'booked').orderBy('startsAt').execute()
    expect(rows.map((r) => [r.id, r.startsAt.toISOString()])).toEqual([[first.id, MON_1000], [other.id, '2026-03-23T09:40:00.000Z']])
  })
})

describe('caregivers', () => {
  it('a manage caregiver books, cancels and moves for the patient (actor kind caregiver); a read caregiver lists and reads but gets 403 changing', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const manager = await caregiverOf(p, 'manage')
    const reader = await caregiverOf(p, 'read')
    const a = await book(manager, { doctorId: d.id, start: MON_0900, patientId: p.id })
    expect(a.patient.id).toBe(p.id)
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.booked', actorKind: 'caregiver', actorId: manager.id })
    expect((await post(reader, '/appointments', { doctorId: d.id, start: MON_0930, patientId: p.id })).statusCode).toBe(403)
    const list = await get(reader, `/patients/${p.id}/appointments`)
    expect(list.statusCode).toBe(200)
    expect((list.json() as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([a.id])
    expect((await get(reader, `/appointments/${a.id}`)).statusCode).toBe(200)
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.viewed', actorKind: 'caregiver', actorId: reader.id })
    expect((await post(reader, `/appointments/${a.id}/cancel`)).statusCode).toBe(403)
    expect((await post(reader, `/appointments/${a.id}/reschedule`, { start: MON_1000 })).statusCode).toBe(403)
    const moved = await post(manager, `/appointments/${a.id}/reschedule`, { start: MON_1000 })
    expect(moved.statusCode, moved.body).toBe(200)
    expect((await post(manager, `/appointments/${a.id}/cancel`, {})).json()).toMatchObject({ status: 'cancelled' })
    const kinds = (await auditActions(p.id)).filter((e) => e.actorId === manager.id).map((e) => `${e.action}/${e.actorKind}`)
    expect(kinds).toEqual(expect.arrayContaining(['appointment.rescheduled/caregiver', 'appointment.cancelled/caregiver']))
    // A caregiver of another locker, or a revoked one, reaches nothing.
    await t.deps.db.updateTable('caregivers').set({ status: 'revoked', revokedAt: new Date() }).where('caregiverId', '=', reader.id).execute()
    expect((await get(reader, `/patients/${p.id}/appointments`)).statusCode).toBe(404)
    expect((await get(reader, `/appointments/${a.id}`)).statusCode).toBe(404)
  })

  it('a revoked manage caregiver cannot cancel or move (404) and nothing changes (security review L3)', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const manager = await caregiverOf(p, 'manage')
    const a = await book(manager, { doctorId: d.id, start: MON_0900, patientId: p.id })
    await t.deps.db.updateTable('caregivers').set({ status: 'revoked', revokedAt: new Date() }).where('caregiverId', '=', manager.id).execute()
    expect((await post(manager, `/appointments/${a.id}/cancel`, {})).statusCode).toBe(404)
    expect((await post(manager, `/appointments/${a.id}/reschedule`, { start: MON_1000 })).statusCode).toBe(404)
    expect((await get(p, `/appointments/${a.id}`)).json()).toMatchObject({ status: 'booked', start: MON_0900 })
    const changes = (await auditActions(p.id)).filter((e) => e.actorId === manager.id).map((e) => e.action)
    expect(changes).not.toContain('appointment.cancelled')
    expect(changes).not.toContain('appointment.rescheduled')
  })
})

describe('lists, cancel and reschedule', () => {
  it('each side lists its own (earliest first, keyset pages, status and from/to filters); strangers get 404 for one appointment', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const a1 = await book(p, { doctorId: d.id, start: MON_1000 })
    const a2 = await book(p, { doctorId: d.id, start: MON_0900 })
    const mine = (await get(p, '/appointments?limit=1')).json() as { items: { id: string }[]; nextCursor: string }
    expect(mine.items.map((i) => i.id)).toEqual([a2.id])
    const next = (await get(p, `/appointments?limit=1&cursor=${mine.nextCursor}`)).json() as { items: { id: string }[]; nextCursor: string | null }
    expect(next.items.map((i) => i.id)).toEqual([a1.id])
    const docs = (await get(d, '/appointments')).json() as { items: { id: string }[] }
    expect(docs.items.map((i) => i.id)).toEqual([a2.id, a1.id])
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.viewed', actorKind: 'doctor', actorId: d.id })
    expect(((await get(p, `/appointments?from=${MON_0930}`)).json() as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([a1.id])
    expect(((await get(p, '/appointments?to=2026-03-22')).json() as { items: unknown[] }).items).toEqual([])
    expect(((await get(p, '/appointments?status=cancelled')).json() as { items: unknown[] }).items).toEqual([])
    expect((await get(p, '/appointments?status=maybe')).statusCode).toBe(400)
    expect((await get(p, '/appointments?cursor=nope')).statusCode).toBe(400)
    const stranger = await registerUser(t)
    const otherDoctor = await registerVerified(t, 'doctor', admin)
    expect((await get(stranger, `/appointments/${a1.id}`)).statusCode).toBe(404)
    expect((await get(otherDoctor, `/appointments/${a1.id}`)).statusCode).toBe(404)
    expect((await get(stranger, `/patients/${p.id}/appointments`)).statusCode).toBe(404)
    expect((await get(d, `/patients/${p.id}/appointments`)).statusCode).toBe(403)
    expect((await get(p, `/appointments/${randomUUID()}`)).statusCode).toBe(404)
    expect((await get(p, '/patients/me/appointments')).json()).toMatchObject({ items: [{ id: a2.id }, { id: a1.id }] })
  })

  it('either side cancels (200, the slot frees); cancelling again is 409; strangers 404', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const a = await book(p, { doctorId: d.id, start: MON_0900 })
    const stranger = await registerUser(t)
    expect((await post(stranger, `/appointments/${a.id}/cancel`)).statusCode).toBe(404)
    const res = await post(d, `/appointments/${a.id}/cancel`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id: a.id, status: 'cancelled' })
    const again = await post(p, `/appointments/${a.id}/cancel`)
    expect(again.statusCode).toBe(409)
    expect(problemType(again)).toBe('appointment-not-booked')
    expect((await post(p, `/appointments/${a.id}/reschedule`, { start: MON_1000 })).statusCode).toBe(409)
    // The slot is free again: another booking of it succeeds.
    await book(p, { doctorId: d.id, start: MON_0900 })
    const b = await book(p, { doctorId: d.id, start: MON_1000 })
    expect((await post(p, `/appointments/${b.id}/cancel`, { why: 'x' })).statusCode).toBe(400)
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.cancelled', actorKind: 'doctor', actorId: d.id })
  })

  it('reschedule validates the new slot like a booking: taken → slot-taken, off-grid → slot-unavailable; success moves it and frees the old slot', async () => {
    const d = await doctorWithAvailability()
    const [p1, p2] = [await consentingPatient(d), await consentingPatient(d)]
    const a = await book(p1, { doctorId: d.id, start: MON_0900 })
    await book(p2, { doctorId: d.id, start: MON_1000 })
    const taken = await post(p1, `/appointments/${a.id}/reschedule`, { start: MON_1000 })
    expect(taken.statusCode).toBe(409)
    expect(problemType(taken)).toBe('slot-taken')
    expect(problemType(await post(p1, `/appointments/${a.id}/reschedule`, { start: '2026-03-23T08:05:00.000Z' }))).toBe('slot-unavailable')
    expect((await post(p1, `/appointments/${a.id}/reschedule`, { start: 'soon' })).statusCode).toBe(400)
    const moved = await post(d, `/appointments/${a.id}/reschedule`, { start: MON_0930 })
    expect(moved.statusCode, moved.body).toBe(200)
    expect(moved.json()).toMatchObject({ start: MON_0930, end: MON_1000, status: 'booked' })
    await book(p2, { doctorId: d.id, start: MON_0900 })
  })
})

describe('messages', () => {
  it('both sides get an email with a text/calendar part: REQUEST with a stable UID and increasing SEQUENCE, then CANCEL', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const a = await book(p, { doctorId: d.id, start: MON_0900 })
    const to = (u: TestUser, subject: string) => (m: ReceivedMail) => m.envelopeTo.includes(u.email) && m.subject.startsWith(subject)
    for (const u of [p, d]) {
      const cal = calendarOf(await smtp.waitFor(to(u, 'Appointment booked'), 15_000))
      expect(cal).toMatchObject({ METHOD: 'REQUEST', UID: `${a.id}@carelocker`, SEQUENCE: '0', DTSTART: icsInstant(MON_0900), DTEND: icsInstant(MON_0930) })
    }
    await post(p, `/appointments/${a.id}/reschedule`, { start: MON_1000 })
    const moved = calendarOf(await smtp.waitFor(to(d, 'Appointment moved'), 15_000))
    expect(moved).toMatchObject({ METHOD: 'REQUEST', UID: `${a.id}@carelocker`, SEQUENCE: '1', DTSTART: icsInstant(MON_1000) })
    await post(d, `/appointments/${a.id}/cancel`)
    const cancelled = calendarOf(await smtp.waitFor(to(p, 'Appointment cancelled'), 15_000))
    expect(cancelled).toMatchObject({ METHOD: 'CANCEL', UID: `${a.id}@carelocker`, SEQUENCE: '2', STATUS: 'CANCELLED' })
    // Queued payloads hold ids and instants only.
    const { rows } = await sql<{ data: string }>`SELECT data::text AS data FROM pgboss.job WHERE name = 'notify.appointment' AND data->>'appointmentId' = ${a.id}`.execute(t.deps.db)
    expect(rows.length).toBeGreaterThanOrEqual(6)
    for (const r of rows) expect(r.data).not.toContain(p.email)
  })

  it('a dependent’s mail goes to its managers; in-app notifications reach the doctor and the locker but not the actor', async () => {
    const d = await doctorWithAvailability()
    const child = await consentingPatient(d)
    await t.deps.db.updateTable('users').set({ isDependent: true }).where('id', '=', child.id).execute()
    const parent = await caregiverOf(child, 'manage')
    const a = await book(parent, { doctorId: d.id, start: MON_0900, patientId: child.id })
    await smtp.waitFor((m) => m.envelopeTo.includes(parent.email) && m.subject.startsWith('Appointment booked'), 15_000)
    expect(smtp.messages.some((m) => m.envelopeTo.includes(child.email) && m.subject.startsWith('Appointment'))).toBe(false)
    const notes = await t.deps.db.selectFrom('notifications').select(['userId', 'type']).where('resourceId', '=', a.id).where('type', '=', 'appointment.booked').execute()
    expect(notes.map((n) => n.userId)).toEqual([d.id])
  })

  it('a reminder (due at once here) emails both sides, texts the profile phone and raises appointment.reminder; a reminder of a moved start sends nothing', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const profile = await inject(p, 'PUT', '/patients/me/profile', { fullName: 'Rita Reminder', phone: '+14155550123' })
    expect(profile.statusCode, profile.body).toBe(200)
    expect(profile.json()).toMatchObject({ phone: '+14155550123' })
    expect((await inject(p, 'PUT', '/patients/me/profile', { fullName: 'Rita Reminder', phone: '555' })).statusCode).toBe(400)
    const a = await book(p, { doctorId: d.id, start: MON_0900 })
    await smtp.waitFor((m) => m.envelopeTo.includes(p.email) && m.subject.startsWith('Appointment reminder'), 20_000)
    await smtp.waitFor((m) => m.envelopeTo.includes(d.email) && m.subject.startsWith('Appointment reminder'), 20_000)
    const sms = await twilio.waitFor((m) => m.to === '+14155550123', 20_000)
    expect(sms.body).toContain('Test doctor')
    expect(sms.body).not.toContain('Rita')
    await waitUntil(async () => (await t.deps.db.selectFrom('notifications').select('userId').where('resourceId', '=', a.id).where('type', '=', 'appointment.reminder').execute()).length === 2, 20_000, 'reminder notifications')
    // The job was due 24 h before the start.
    const { rows } = await sql<{ at: Date }>`SELECT start_after AS at FROM pgboss.job WHERE name = 'appointments.reminder' AND data->>'appointmentId' = ${a.id}`.execute(t.deps.db)
    expect(new Date(rows[0]!.at).toISOString()).toBe('2026-03-22T08:00:00.000Z')
    // A stale reminder (another start) completes without sending anything.
    const reminders = () => t.deps.db.selectFrom('notifications').select('userId').where('resourceId', '=', a.id).where('type', '=', 'appointment.reminder').execute()
    const id = await t.deps.db.transaction().execute((trx) => t.deps.jobs.send(trx, 'appointments.reminder', { appointmentId: a.id, start: MON_1000 }))
    await waitUntil(async () => {
      const r = await sql<{ state: string }>`SELECT state::text AS state FROM pgboss.job WHERE id = ${id}`.execute(t.deps.db.withoutPlugins())
      return r.rows[0]?.state === 'completed'
    }, 20_000, 'the stale reminder')
    expect(await reminders()).toHaveLength(2)
    expect(twilio.messages.filter((m) => m.to === '+14155550123')).toHaveLength(1)
  })
})

describe('FHIR Appointment search (SPEC §9, §10)', () => {
  it('the patient sees every appointment, a consenting doctor only theirs, as valid R4 Appointments; the doctor’s read is audited', async () => {
    const validate = fhirValidator()
    const d1 = await doctorWithAvailability()
    const d2 = await doctorWithAvailability()
    const p = await consentingPatient(d1)
    await consent(t, p.id, d2.id)
    const a1 = await book(p, { doctorId: d1.id, start: MON_0900, reason: 'Chest pain follow-up' })
    const a2 = await book(p, { doctorId: d2.id, start: MON_1000 })
    await post(p, `/appointments/${a2.id}/cancel`)
    const search = async (u: TestUser) => {
      const res = await t.app.inject({ method: 'GET', url: `/fhir/R4/Appointment?patient=${p.id}`, headers: u.headers })
      expect(res.statusCode, res.body).toBe(200)
      return ((res.json() as fhir4.Bundle).entry ?? []).map((e) => e.resource as fhir4.Appointment)
    }
    const mine = await search(p)
    expect(mine.map((r) => [r.id, r.status])).toEqual([[a2.id, 'cancelled'], [a1.id, 'booked']])
    for (const r of mine) expect(validate(r)).toEqual([])
    expect(mine[1]).toMatchObject({
      start: MON_0900,
      end: MON_0930,
      minutesDuration: 30,
      reasonCode: [{ text: 'Chest pain follow-up' }],
      participant: [{ actor: { reference: `Patient/${p.id}` } }, { actor: { reference: `Practitioner/${d1.id}`, display: 'Test doctor' } }],
    })
    expect((await search(d1)).map((r) => r.id)).toEqual([a1.id])
    expect(await auditActions(p.id)).toContainEqual({ action: 'appointment.viewed', actorKind: 'doctor', actorId: d1.id })
    const stranger = await registerVerified(t, 'doctor', admin)
    expect((await t.app.inject({ method: 'GET', url: `/fhir/R4/Appointment?patient=${p.id}`, headers: stranger.headers })).statusCode).toBe(404)
  })
})

describe('account erasure (SPEC §9)', () => {
  it('erasing the locker cancels its future booked appointments (the slot frees, the doctor is told) and forgets every reason', async () => {
    const d = await doctorWithAvailability()
    const p = await consentingPatient(d)
    const a = await book(p, { doctorId: d.id, start: MON_0900, reason: 'Private worry' })
    const res = await inject(p, 'DELETE', '/patients/me', { password: p.password })
    expect(res.statusCode, res.body).toBe(204)
    const row = await t.deps.db.selectFrom('appointments').select(['status', 'reason', 'sequence']).where('id', '=', a.id).executeTakeFirstOrThrow()
    expect(row).toEqual({ status: 'cancelled', reason: null, sequence: 1 })
    const slots = (await get(d, `/doctors/${d.id}/slots?from=${MON_0900}&to=${MON_0930}`)).json() as { items: { start: string }[] }
    expect(slots.items.map((s) => s.start)).toEqual([MON_0900])
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(d.email) && m.subject.startsWith('Appointment cancelled'), 15_000)
    expect(calendarOf(mail)).toMatchObject({ METHOD: 'CANCEL', UID: `${a.id}@carelocker`, SEQUENCE: '1' })
    expect(await t.deps.db.selectFrom('notifications').select('userId').where('resourceId', '=', a.id).where('type', '=', 'appointment.cancelled').execute()).toEqual([{ userId: d.id }])
  })
})
