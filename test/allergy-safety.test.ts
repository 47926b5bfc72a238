/**
 * Allergy safety of prescriptions, end to end over HTTP (SPEC §4.9, issue 10): the prescriber
 * meets the pharmacy's allergy rule when issuing (409 `allergy-warning` unless overridden with
 * a reason), the override travels with the prescription to every scan, lookup and validate,
 * and the pharmacist must acknowledge the warnings before dispensing (409
 * `warnings-not-acknowledged`), the acknowledgement kept on the dispensation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerVerified, type TestUser } from './helpers/factories.js'
import { AMOXICILLIN, IBUPROFEN, OVERRIDE, consent, issue, patientWithProfile } from './helpers/prescriptions.js'
import { startTestApp, type TestApp } from './helpers/test-app.js'

const PROBLEMS = 'https://carelocker.dev/problems/'
const SEVERE_PENICILLIN = [{ substance: 'Penicillin', severity: 'severe', reaction: 'Anaphylaxis' }]

let t: TestApp
let doctor: TestUser
let pharmacist: TestUser

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  doctor = await registerVerified(t, 'doctor', admin)
  pharmacist = await registerVerified(t, 'pharmacist', admin)
})
afterAll(async () => t?.close())

const post = (u: TestUser, url: string, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: u.headers, ...(payload !== undefined ? { payload } : {}) })

/** A consenting patient with a severe penicillin allergy (and a date of birth for lookups). */
async function allergicPatient() {
  const patient = await patientWithProfile(t, { allergies: SEVERE_PENICILLIN })
  await consent(t, patient.id, doctor.id)
  return patient
}

const countOf = async (table: 'prescriptions' | 'dispensations', column: 'patientId' | 'prescriptionId', id: string) =>
  Number((await t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where(column, '=', id).executeTakeFirstOrThrow()).n)

const actionsAbout = async (patientId: string) =>
  (await t.deps.db.selectFrom('auditEvents').select('action').where('patientId', '=', patientId).orderBy('id').execute()).map((e) => e.action)

describe('allergy check when prescribing (SPEC §4.9)', () => {
  it('amoxicillin for a severe penicillin allergy is 409 allergy-warning with the item index, and nothing is created', async () => {
    const patient = await allergicPatient()
    const res = await post(doctor, '/prescriptions', { patientId: patient.id, diagnosis: 'Otitis media', items: [IBUPROFEN, AMOXICILLIN] })
    expect(res.statusCode, res.body).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    const body = res.json()
    expect(body.type).toBe(`${PROBLEMS}allergy-warning`)
    expect(body.warnings).toHaveLength(1)
    expect(body.warnings[0]).toMatchObject({ code: 'allergy', itemIndex: 1, substance: 'Penicillin' })
    expect(body.warnings[0].message).toContain('Amoxicillin')
    expect(body.warnings[0].message).toContain('Penicillin')
    expect(await countOf('prescriptions', 'patientId', patient.id)).toBe(0)
    // The refusal told the doctor of the patient's allergy: the patient's log says so.
    expect(await actionsAbout(patient.id)).toContain('prescription.allergy_warned')
  })

  it('an override reason shorter than 10 characters is 400, and nothing is created', async () => {
    const patient = await allergicPatient()
    for (const reason of ['too short', '   brief    ', '']) {
      const res = await post(doctor, '/prescriptions', { patientId: patient.id, diagnosis: 'Otitis media', items: [AMOXICILLIN], allergyOverride: { reason } })
      expect(res.statusCode, reason).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('/allergyOverride/reason')
    }
    // The override is strict: no other fields.
    const extra = await post(doctor, '/prescriptions', { patientId: patient.id, diagnosis: 'x', items: [AMOXICILLIN], allergyOverride: { reason: OVERRIDE.reason, force: true } })
    expect(extra.statusCode).toBe(400)
    expect(await countOf('prescriptions', 'patientId', patient.id)).toBe(0)
  })

  it('with a reason it is 201 and the prescription carries prescriberWarnings, stored and read back', async () => {
    const patient = await allergicPatient()
    const rx = await issue(t, doctor, patient.id, { items: [IBUPROFEN, AMOXICILLIN], allergyOverride: OVERRIDE })
    expect(rx.prescriberWarnings).toMatchObject({ reason: OVERRIDE.reason, warnings: [{ code: 'allergy', itemIndex: 1, itemId: rx.items[1].id, substance: 'Penicillin' }] })
    const stored = await t.deps.db.selectFrom('prescriptions').select('prescriberWarnings').where('id', '=', rx.id).executeTakeFirstOrThrow()
    expect(stored.prescriberWarnings).toMatchObject({ reason: OVERRIDE.reason, warnings: [{ itemIndex: 1, substance: 'Penicillin' }] })
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/prescriptions/${rx.id}`, headers: patient.headers })
    expect(read.json().prescriberWarnings).toEqual(rx.prescriberWarnings)
    expect(await actionsAbout(patient.id)).toEqual(expect.arrayContaining(['prescription.created', 'prescription.allergy_overridden']))
  })

  it('a prescription without a match needs no override and carries prescriberWarnings: null', async () => {
    const patient = await allergicPatient()
    const rx = await issue(t, doctor, patient.id, { items: [IBUPROFEN] })
    expect(rx.prescriberWarnings).toBeNull()
  })
})

describe('the OpenAPI document (SPEC §2)', () => {
  it('lists allergyOverride (strict) in the create body, prescriberWarnings on Prescription and warningsAcknowledged in the dispense body', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json()
    const schemaOf = (p: string) => doc.paths[p].post.requestBody.content['application/json'].schema
    const override = schemaOf('/api/v1/prescriptions').properties.allergyOverride
    expect(override).toMatchObject({ type: 'object', additionalProperties: false, required: ['reason'] })
    expect(override.properties.reason).toMatchObject({ minLength: 10 })
    expect(doc.paths['/api/v1/prescriptions'].post.responses['201'].content['application/json'].schema.properties).toHaveProperty('prescriberWarnings')
    expect(doc.paths['/api/v1/prescriptions'].post.responses).toHaveProperty('409')
    expect(schemaOf('/api/v1/pharmacy/prescriptions/{id}/dispense').properties.warningsAcknowledged).toMatchObject({ type: 'boolean' })
  })
})

describe('warnings the pharmacist must acknowledge (SPEC §4.9)', () => {
  it("the prescriber's override is on every scan, lookup and validate, with the reason", async () => {
    const patient = await allergicPatient()
    const rx = await issue(t, doctor, patient.id, { items: [AMOXICILLIN], allergyOverride: OVERRIDE })
    const answers = [
      await post(pharmacist, '/pharmacy/scan', { qrData: rx.qr.data }),
      await post(pharmacist, '/pharmacy/lookup', { referenceNumber: rx.referenceNumber, patientDateOfBirth: patient.dateOfBirth }),
      await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`),
    ]
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      expect(body.warnings.map((w: { code: string }) => w.code)).toEqual(['allergy', 'prescriber_override'])
      const override = body.warnings[1]
      expect(override.message).toContain(OVERRIDE.reason)
      expect(override.message).toContain('Amoxicillin')
      expect(override.message).toContain('Penicillin')
      expect(body.prescription.prescriberWarnings.reason).toBe(OVERRIDE.reason)
    }
  })

  it('a dispense without warningsAcknowledged is 409 warnings-not-acknowledged and changes nothing; with it, 200 and recorded', async () => {
    const patient = await allergicPatient()
    const rx = await issue(t, doctor, patient.id, { items: [AMOXICILLIN], allergyOverride: OVERRIDE })
    expect((await post(pharmacist, '/pharmacy/scan', { qrData: rx.qr.data })).statusCode).toBe(200)
    const items = [{ itemId: rx.items[0].id, quantity: 21, batchNumber: 'AMX-7' }]
    for (const ack of [undefined, false]) {
      const res = await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/dispense`, { items, ...(ack === undefined ? {} : { warningsAcknowledged: ack }) })
      expect(res.statusCode, res.body).toBe(409)
      expect(res.json().type).toBe(`${PROBLEMS}warnings-not-acknowledged`)
      expect(res.json().warnings.map((w: { code: string }) => w.code)).toEqual(['allergy', 'prescriber_override'])
    }
    expect(await countOf('dispensations', 'prescriptionId', rx.id)).toBe(0)
    const item = await t.deps.db.selectFrom('prescriptionItems').select('dispensedQuantity').where('id', '=', rx.items[0].id).executeTakeFirstOrThrow()
    expect(item.dispensedQuantity).toBe(0)

    const res = await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/dispense`, { items, warningsAcknowledged: true })
    expect(res.statusCode, res.body).toBe(200)
    const [dispensation] = res.json().dispensations
    expect(res.json().status).toBe('dispensed')
    expect(dispensation.warningsAcknowledged).toBe(true)
    expect(dispensation.acknowledgedWarnings.map((w: { code: string }) => w.code)).toEqual(['allergy', 'prescriber_override'])
    expect(dispensation.acknowledgedWarnings[1].message).toContain(OVERRIDE.reason)
    const stored = await t.deps.db.selectFrom('dispensations').select('acknowledgedWarnings').where('prescriptionId', '=', rx.id).executeTakeFirstOrThrow()
    expect(stored.acknowledgedWarnings).toHaveLength(2)
  })

  it('an allergy recorded after issuing is a warning too; a prescription without warnings dispenses without acknowledgement', async () => {
    const patient = await patientWithProfile(t)
    await consent(t, patient.id, doctor.id)
    const clean = await issue(t, doctor, patient.id, { items: [IBUPROFEN] })
    const later = await issue(t, doctor, patient.id, { items: [AMOXICILLIN] })
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Pat Example', dateOfBirth: patient.dateOfBirth, allergies: SEVERE_PENICILLIN } })
    expect(put.statusCode, put.body).toBe(200)

    expect((await post(pharmacist, '/pharmacy/scan', { qrData: clean.qr.data })).json().warnings).toEqual([])
    const ok = await post(pharmacist, `/pharmacy/prescriptions/${clean.id}/dispense`, { items: [{ itemId: clean.items[0].id, quantity: 20, batchNumber: 'IBU-1' }] })
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().dispensations[0]).toMatchObject({ warningsAcknowledged: false, acknowledgedWarnings: [] })

    const scanned = (await post(pharmacist, '/pharmacy/scan', { qrData: later.qr.data })).json()
    expect(scanned.prescription.prescriberWarnings).toBeNull()
    expect(scanned.warnings.map((w: { code: string }) => w.code)).toEqual(['allergy'])
    const refused = await post(pharmacist, `/pharmacy/prescriptions/${later.id}/dispense`, { items: [{ itemId: later.items[0].id, quantity: 1, batchNumber: 'AMX-1' }] })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().type).toBe(`${PROBLEMS}warnings-not-acknowledged`)
  })
})
