/**
 * What a treating doctor sees through the FHIR R4 API (SPEC §3, §9; review finding M1), through
 * HTTP: the same as /api/v1 — prescriptions (MedicationRequest), their dispensations
 * (MedicationDispense) and consultations (Consent in `$everything`) only where the doctor is a
 * party (`prescription.read`, `consultation.read`), while the patient sees them all; lab
 * Observations are authorized and audited as `labs.read` / `labs.viewed`, vitals as
 * `vitals.read` / `vitals.viewed`, each only for the part a search reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as fhir4 from 'fhir/r4.js'
import { addImportedLabs } from '../labs/lab-results.js'
import { can, readableConsultations, readablePrescriptions, type Actor, type PatientScope } from '../../policy/index.js'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { consent, issue } from '../../../test/helpers/prescriptions.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let patient: TestUser
let docA: TestUser
let docB: TestUser
let pharm: TestUser

const bundle = async (u: TestUser, url: string): Promise<fhir4.Bundle> => {
  const res = await t.app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: u.headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as fhir4.Bundle
}
const ofType = <T extends fhir4.FhirResource>(b: fhir4.Bundle, type: string) => (b.entry ?? []).map((e) => e.resource as T).filter((r) => r.resourceType === type)
const medicines = (b: fhir4.Bundle) => ofType<fhir4.MedicationRequest>(b, 'MedicationRequest').map((r) => r.medicationCodeableConcept?.text).sort()
const dispensed = (b: fhir4.Bundle) => ofType<fhir4.MedicationDispense>(b, 'MedicationDispense').map((r) => r.medicationCodeableConcept?.text).sort()
const consentedTo = (b: fhir4.Bundle) => ofType<fhir4.Consent>(b, 'Consent').map((c) => c.provision?.actor?.[0]?.reference?.display).sort()

/** The audit events about the patient written after event id `since`, oldest first. */
const eventsSince = async (since: number) =>
  (await t.deps.db.selectFrom('auditEvents').select(['id', 'action', 'actorId', 'resourceType']).where('patientId', '=', patient.id).where('id', '>', since).orderBy('id').execute()).map((e) => [e.action, e.actorId, e.resourceType])
const lastEventId = async () => Number((await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0)

async function dispense(rx: { id: string; qr: { data: string }; items: { id: string; quantity: number }[] }) {
  const scan = await t.app.inject({ method: 'POST', url: '/api/v1/pharmacy/scan', headers: pharm.headers, payload: { qrData: rx.qr.data } })
  expect(scan.statusCode, scan.body).toBe(200)
  const item = rx.items[0] as { id: string; quantity: number }
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/pharmacy/prescriptions/${rx.id}/dispense`, headers: pharm.headers, payload: { items: [{ itemId: item.id, quantity: item.quantity, batchNumber: 'B-1' }] } })
  expect(res.statusCode, res.body).toBe(200)
}

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  patient = await registerUser(t, 'patient', { name: 'Grace Hopper' })
  docA = await registerVerified(t, 'doctor', admin)
  docB = await registerVerified(t, 'doctor', admin)
  pharm = await registerVerified(t, 'pharmacist', admin)
  await t.deps.db.updateTable('users').set({ name: 'Dr Alpha Prescriber' }).where('id', '=', docA.id).execute()
  await t.deps.db.updateTable('users').set({ name: 'Dr Beta Reader' }).where('id', '=', docB.id).execute()
  await consent(t, patient.id, docA.id)
  await consent(t, patient.id, docB.id)
  await dispense(await issue(t, docA, patient.id, { items: [{ medicineName: 'Warfarin', dosage: '5 mg', frequency: 'once a day', quantity: 30 }] }))
  await dispense(await issue(t, docB, patient.id, { items: [{ medicineName: 'Paracetamol', dosage: '500 mg', frequency: 'as needed', quantity: 10 }] }))
  // Doctor A's consultation ends: B still has an approved one, and A is a stranger now.
  await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('doctorId', '=', docA.id).execute()

  await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: patient.headers, payload: { type: 'heart_rate', value: 61, measuredAt: '2024-03-10T08:00:00.000Z' } })
  await t.deps.db.transaction().execute((trx) =>
    addImportedLabs(trx, patient.id, patient.id, [
      { fhirId: 'k', sourceRef: 'test:k', loinc: '6298-4', display: 'Potassium', value: 4.1, valueText: null, unit: 'mmol/L', referenceRange: null, interpretation: 'N', effectiveAt: '2024-05-01T09:00:00.000Z' },
    ], new Date()),
  )
}, 120_000)
afterAll(async () => t.close())

describe('prescriptions, dispensations and consultations: a doctor sees only their own', () => {
  it("doctor B's MedicationRequest and MedicationDispense searches hold none of doctor A's", async () => {
    expect(medicines(await bundle(docB, `/MedicationRequest?patient=${patient.id}`))).toEqual(['Paracetamol'])
    expect(dispensed(await bundle(docB, `/MedicationDispense?patient=${patient.id}`))).toEqual(['Paracetamol'])
  })

  it("doctor B's $everything holds none of A's prescriptions or dispensations and no Consent naming A", async () => {
    const b = await bundle(docB, `/Patient/${patient.id}/$everything`)
    expect(medicines(b)).toEqual(['Paracetamol'])
    expect(dispensed(b)).toEqual(['Paracetamol'])
    expect(consentedTo(b)).toEqual(['Dr Beta Reader'])
    expect(JSON.stringify(b)).not.toContain('Dr Alpha Prescriber')
    expect(JSON.stringify(b)).not.toContain('Warfarin')
    expect(b.total).toBe(b.entry?.length)
  })

  it('the patient still sees everything', async () => {
    expect(medicines(await bundle(patient, `/MedicationRequest?patient=${patient.id}`))).toEqual(['Paracetamol', 'Warfarin'])
    expect(dispensed(await bundle(patient, `/MedicationDispense?patient=${patient.id}`))).toEqual(['Paracetamol', 'Warfarin'])
    const b = await bundle(patient, `/Patient/${patient.id}/$everything`)
    expect([medicines(b), dispensed(b), consentedTo(b)]).toEqual([['Paracetamol', 'Warfarin'], ['Paracetamol', 'Warfarin'], ['Dr Alpha Prescriber', 'Dr Beta Reader']])
  })

  it('doctor A, whose consultation ended, reads nothing through the FHIR API (404, fhir.denied)', async () => {
    const since = await lastEventId()
    for (const url of [`/MedicationRequest?patient=${patient.id}`, `/Patient/${patient.id}/$everything`]) {
      const res = await t.app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: docA.headers })
      expect(res.statusCode).toBe(404)
    }
    expect((await eventsSince(since)).map((e) => e[0])).toEqual(['fhir.denied', 'fhir.denied'])
  })

  it('the list filters agree with prescription.read and consultation.read for every actor and row', () => {
    const user = (id: string, role: 'patient' | 'doctor' | 'pharmacist' | 'admin', status: 'active' | 'pending' = 'active'): Actor =>
      ({ kind: 'user', id, role, status, name: 'x', sessionId: 's', secondFactor: true, meta: { ip: '', userAgent: '' } })
    const actors: Actor[] = [user('p', 'patient'), user('q', 'patient'), user('d', 'doctor'), user('e', 'doctor'), user('d', 'doctor', 'pending'), user('f', 'pharmacist'), user('a', 'admin'), { kind: 'system' }]
    for (const actor of actors) {
      for (const treating of [true, false]) {
        const scope: PatientScope = { patientId: 'p', actorHasApprovedConsultation: treating }
        const rx = readablePrescriptions(actor, scope)
        const cs = readableConsultations(actor, scope)
        for (const doctorId of ['d', 'e']) {
          const row = { patientId: 'p', doctorId }
          const allows = (f: typeof rx) => f === 'all' || (f !== null && f.doctorId === doctorId)
          expect(allows(rx), JSON.stringify({ actor, doctorId })).toBe(can(actor, 'prescription.read', row))
          expect(allows(cs), JSON.stringify({ actor, doctorId })).toBe(can(actor, 'consultation.read', row))
        }
      }
    }
  })
})

describe('Observation: lab results as labs.read / labs.viewed, vitals as vitals.read / vitals.viewed', () => {
  it('audits a search of both as vitals.viewed and labs.viewed, and one of each category as its own event only', async () => {
    const events = async (url: string) => {
      const since = await lastEventId()
      const b = await bundle(docB, url)
      return { events: (await eventsSince(since)).map(([action, actorId, type]) => [action, actorId === docB.id, type]), n: b.entry?.length }
    }
    expect(await events(`/Observation?patient=${patient.id}`)).toEqual({ n: 2, events: expect.arrayContaining([['labs.viewed', true, 'labs'], ['vitals.viewed', true, 'vitals']]) })
    expect((await events(`/Observation?patient=${patient.id}`)).events).toHaveLength(2)
    expect(await events(`/Observation?patient=${patient.id}&category=laboratory`)).toEqual({ n: 1, events: [['labs.viewed', true, 'labs']] })
    expect(await events(`/Observation?patient=${patient.id}&code=http://loinc.org|6298-4`)).toEqual({ n: 1, events: [['labs.viewed', true, 'labs']] })
    expect(await events(`/Observation?patient=${patient.id}&category=vital-signs`)).toEqual({ n: 1, events: [['vitals.viewed', true, 'vitals']] })
  })

  it("logs a refused lab search as labs.denied; the patient's own searches are not logged", async () => {
    const since = await lastEventId()
    const res = await t.app.inject({ method: 'GET', url: `/fhir/R4/Observation?patient=${patient.id}&category=laboratory`, headers: docA.headers })
    expect(res.statusCode).toBe(404)
    await bundle(patient, `/Observation?patient=${patient.id}`)
    expect(await eventsSince(since)).toEqual([['labs.denied', docA.id, 'labs']])
  })
})
