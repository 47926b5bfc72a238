/**
 * The FHIR R4 API through HTTP (SPEC §9): every route, the same policy as /api/v1 (patient:
 * self; doctor: approved consultation; others refused), OperationOutcome errors, strict
 * search parameters, keyset `next` links, date/code/category filters, Binary bytes, and every
 * resource kind validated against the official R4 JSON schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as fhir4 from 'fhir/r4.js'
import { addImportedLabs } from '../labs/lab-results.js'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fhirValidator } from '../../../test/helpers/fhir-schema.js'
import { consent, issue } from '../../../test/helpers/prescriptions.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'

let t: TestApp
let validate: (r: unknown) => string[]
let owner: TestUser
let other: TestUser
let docC: TestUser
let docN: TestUser
let pharm: TestUser
let admin: TestUser
let recordId: string
let prescriptionId: string
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

const get = (u: TestUser | undefined, url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: { ...(u?.headers ?? {}), ...headers } })

/** A 200 FHIR answer, checked for media type, no-store and schema validity. */
async function fhirOk<T = fhir4.Bundle>(u: TestUser | undefined, url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await get(u, url, headers)
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8')
  expect(res.headers['cache-control']).toBe('no-store')
  const body = res.json()
  expect(validate(body)).toEqual([])
  return body as T
}

/** A refused or invalid request: its status, and an OperationOutcome with that issue code. */
async function outcome(u: TestUser | undefined, url: string, status: number, code: string, headers: Record<string, string> = {}) {
  const res = await get(u, url, headers)
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8')
  const body = res.json() as fhir4.OperationOutcome
  expect(body.resourceType).toBe('OperationOutcome')
  expect(validate(body)).toEqual([])
  expect(body.issue[0]?.code).toBe(code)
  return body
}

const resources = <T extends fhir4.FhirResource>(b: fhir4.Bundle) => (b.entry ?? []).map((e) => e.resource as T)
const nextOf = (b: fhir4.Bundle) => b.link?.find((l) => l.relation === 'next')?.url

/** Follows `next` links from `url`, returning every resource and the number of pages. */
async function allPages(u: TestUser, url: string): Promise<{ items: fhir4.FhirResource[]; pages: number }> {
  const items: fhir4.FhirResource[] = []
  let pages = 0
  let next: string | undefined = url
  while (next) {
    const b: fhir4.Bundle = await fhirOk(u, next.replace(/^https?:\/\/[^/]+\/fhir\/R4/, ''))
    items.push(...resources(b))
    pages++
    next = nextOf(b)
  }
  return { items, pages }
}

const lastAudit = async (patientId: string) =>
  t.deps.db.selectFrom('auditEvents').select(['action', 'resourceType', 'actorId']).where('patientId', '=', patientId).orderBy('id', 'desc').executeTakeFirst()

async function vital(u: TestUser, body: Record<string, unknown>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: u.headers, payload: body })
  expect(res.statusCode, res.body).toBe(201)
}

beforeAll(async () => {
  t = await startTestApp()
  validate = fhirValidator()
  admin = await createAdmin(t)
  owner = await registerUser(t, 'patient', { name: 'Ada Lovelace' })
  other = await registerUser(t, 'patient', { name: 'Other Patient' })
  docC = await registerVerified(t, 'doctor', admin)
  docN = await registerVerified(t, 'doctor', admin)
  pharm = await registerVerified(t, 'pharmacist', admin)
  await consent(t, owner.id, docC.id)

  const profile = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: owner.headers,
    payload: {
      fullName: 'Ada Lovelace',
      dateOfBirth: '1815-12-10',
      sex: 'female',
      allergies: [
        { substance: 'Penicillin', reaction: 'Hives', severity: 'severe', code: { system: 'http://snomed.info/sct', code: '764146007', display: 'Penicillin' } },
        { substance: 'Peanut' },
        { substance: 'Latex', reaction: 'Rash', severity: 'mild' },
      ],
      conditions: [{ name: 'Asthma', status: 'active', since: '2001-03-04', code: { system: 'http://snomed.info/sct', code: '195967001' } }],
      medications: [{ name: 'Salbutamol', dosage: '100 mcg', frequency: 'as needed', code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '435', display: 'albuterol' } }],
    },
  })
  expect(profile.statusCode, profile.body).toBe(200)

  await vital(owner, { type: 'blood_pressure', systolic: 128, diastolic: 82, measuredAt: '2024-01-10T08:00:00.000Z' })
  await vital(owner, { type: 'heart_rate', value: 64, measuredAt: '2024-03-10T08:00:00.000Z' })
  await vital(owner, { type: 'heart_rate', value: 70, measuredAt: '2024-06-10T08:00:00.000Z' })
  await vital(owner, { type: 'body_weight', value: 61.5, measuredAt: '2024-06-11T08:00:00.000Z' })
  await t.deps.db.transaction().execute((trx) =>
    addImportedLabs(trx, owner.id, owner.id, [
      { fhirId: 'a1c', sourceRef: 'test:a1c', loinc: '4548-4', display: 'Hemoglobin A1c', value: 6.8, valueText: null, unit: '%', referenceRange: { high: 5.7 }, interpretation: 'H', effectiveAt: '2024-05-01T09:00:00.000Z' },
      { fhirId: 'k', sourceRef: 'test:k', loinc: '6298-4', display: 'Potassium', value: 4.1, valueText: null, unit: 'mmol/L', referenceRange: { low: 3.5, high: 5.1, text: '3.5-5.1' }, interpretation: 'N', effectiveAt: '2024-05-01T09:00:00.000Z' },
      { fhirId: 'ua', sourceRef: 'test:ua', loinc: '5778-6', display: 'Color of Urine', value: null, valueText: 'Yellow', unit: null, referenceRange: null, interpretation: null, effectiveAt: '2023-02-01T09:00:00.000Z' },
    ], new Date()),
  )
  recordId = (await uploadRecord(t, owner, { name: 'report.pdf', bytes: PDF }, { category: 'lab_report', title: 'Blood panel', recordDate: '2024-05-02' })).id
  await uploadRecord(t, owner, { name: 'note.pdf', bytes: PDF }, { category: 'clinical_note', title: 'Visit note', recordDate: '2024-05-03' })

  const rx = await issue(t, docC, owner.id, { items: [{ medicineName: 'Metformin', dosage: '500 mg', frequency: 'twice a day', quantity: 21 }, { medicineName: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed', quantity: 20 }] })
  prescriptionId = rx.id
  const scan = await t.app.inject({ method: 'POST', url: '/api/v1/pharmacy/scan', headers: pharm.headers, payload: { qrData: rx.qr.data } })
  expect(scan.statusCode, scan.body).toBe(200)
  const dispensed = await t.app.inject({
    method: 'POST',
    url: `/api/v1/pharmacy/prescriptions/${rx.id}/dispense`,
    headers: pharm.headers,
    payload: { items: [{ itemId: rx.items[0].id, quantity: 21, batchNumber: 'B-42' }] },
  })
  expect(dispensed.statusCode, dispensed.body).toBe(200)
}, 120_000)
afterAll(async () => t.close())

describe('metadata (CapabilityStatement)', () => {
  it('is public, valid, and lists exactly the supported searches and operations', async () => {
    const cs = await fhirOk<fhir4.CapabilityStatement>(undefined, '/metadata')
    expect(cs.resourceType).toBe('CapabilityStatement')
    expect(cs.fhirVersion).toBe('4.0.1')
    const types = cs.rest?.[0]?.resource?.map((r) => r.type)
    expect(types).toEqual(['Patient', 'AllergyIntolerance', 'Condition', 'MedicationStatement', 'MedicationRequest', 'MedicationDispense', 'Observation', 'DocumentReference', 'Encounter', 'Appointment', 'Binary'])
    expect(cs.rest?.[0]?.resource?.[0]?.operation?.map((o) => o.name)).toEqual(['everything', 'summary'])
  })

  it('answers 405 with an OperationOutcome to another method, and 404 to an unknown resource type', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/fhir/R4/metadata', payload: {} })
    expect(res.statusCode).toBe(405)
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] })
    const del = await t.app.inject({ method: 'DELETE', url: `/fhir/R4/Patient/${owner.id}`, headers: owner.headers })
    expect(del.statusCode).toBe(405)
    await outcome(owner, `/Practitioner?patient=${owner.id}`, 404, 'not-found')
  })
})

describe('Patient read and who may read', () => {
  it('gives the patient their own Patient (name, birth date, gender)', async () => {
    const p = await fhirOk<fhir4.Patient>(owner, `/Patient/${owner.id}`)
    expect(p).toMatchObject({ resourceType: 'Patient', id: owner.id, gender: 'female', birthDate: '1815-12-10', name: [{ text: 'Ada Lovelace', family: 'Lovelace', given: ['Ada'] }] })
  })

  it('lets a doctor with an approved consultation read, audited as profile.viewed', async () => {
    await fhirOk(docC, `/Patient/${owner.id}`)
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'profile.viewed', resourceType: 'profile', actorId: docC.id })
  })

  it('answers 404 to another patient and a doctor without consent (logged as profile.denied), 403 to pharmacist and admin, 401 without a token', async () => {
    await outcome(other, `/Patient/${owner.id}`, 404, 'not-found')
    await outcome(docN, `/Patient/${owner.id}`, 404, 'not-found')
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'profile.denied', actorId: docN.id })
    await outcome(pharm, `/Patient/${owner.id}`, 403, 'forbidden')
    await outcome(admin, `/Patient/${owner.id}`, 403, 'forbidden')
    await outcome(undefined, `/Patient/${owner.id}`, 401, 'login')
    await outcome(owner, '/Patient/not-a-uuid', 404, 'not-found')
    await outcome(owner, `/Patient/${crypto.randomUUID()}`, 404, 'not-found')
  })

  it('refuses every search for another patient (404) and for pharmacists (403)', async () => {
    for (const type of ['AllergyIntolerance', 'Condition', 'MedicationStatement', 'MedicationRequest', 'MedicationDispense', 'Observation', 'DocumentReference', 'Encounter', 'Appointment']) {
      await outcome(other, `/${type}?patient=${owner.id}`, 404, 'not-found')
      await outcome(docN, `/${type}?patient=Patient/${owner.id}`, 404, 'not-found')
      await outcome(pharm, `/${type}?patient=${owner.id}`, 403, 'forbidden')
    }
  })
})

describe('search parameters (strict by default)', () => {
  it('refuses unknown parameters with 400, and ignores them with Prefer: handling=lenient', async () => {
    const bad = await outcome(owner, `/Condition?patient=${owner.id}&clinical-status=active`, 400, 'invalid')
    expect(bad.issue.map((i) => i.diagnostics).join(' ')).toContain('clinical-status')
    const b = await fhirOk(owner, `/Condition?patient=${owner.id}&clinical-status=active`, { prefer: 'handling=lenient' })
    expect(resources(b)).toHaveLength(1)
  })

  it('requires patient, and refuses a bad patient, _count outside 1–100 or not a number', async () => {
    await outcome(owner, '/Condition', 400, 'invalid')
    await outcome(owner, '/Condition?patient=Practitioner/1', 400, 'invalid')
    for (const count of ['0', '101', 'abc', '2.5']) await outcome(owner, `/Condition?patient=${owner.id}&_count=${count}`, 400, 'invalid')
    await outcome(owner, `/Condition?patient=${owner.id}&patient=${owner.id}`, 400, 'invalid')
  })

  it('refuses a tampered or foreign cursor with 400, never 500', async () => {
    const first = await fhirOk(owner, `/Observation?patient=${owner.id}&_count=2`)
    const next = nextOf(first) as string
    const cursor = new URL(next).searchParams.get('_cursor') as string
    const tampered = [cursor.slice(0, -2), `${cursor}x`, Buffer.from('["2024-01-01T00:00:00.000Z","nope"]').toString('base64url'), Buffer.from('[1]').toString('base64url'), 'x'.repeat(600)]
    for (const c of tampered) {
      const o = await outcome(owner, `/Observation?patient=${owner.id}&_cursor=${encodeURIComponent(c)}`, 400, 'invalid')
      expect(o.issue.some((i) => i.expression?.[0] === '_cursor')).toBe(true)
    }
    // An Observation cursor is not a profile-list cursor.
    await outcome(owner, `/AllergyIntolerance?patient=${owner.id}&_cursor=${cursor}`, 400, 'invalid')
  })
})

describe('profile lists', () => {
  it('pages allergies by _count with next links, every one valid, codes as entered', async () => {
    const { items, pages } = await allPages(owner, `/AllergyIntolerance?patient=${owner.id}&_count=2`)
    expect(pages).toBe(2)
    expect(items.map((a) => (a as fhir4.AllergyIntolerance).code?.text).sort()).toEqual(['Latex', 'Peanut', 'Penicillin'])
    const penicillin = items.find((a) => (a as fhir4.AllergyIntolerance).code?.text === 'Penicillin') as fhir4.AllergyIntolerance
    expect(penicillin).toMatchObject({ criticality: 'high', code: { coding: [{ system: 'http://snomed.info/sct', code: '764146007' }] }, reaction: [{ severity: 'severe', manifestation: [{ text: 'Hives' }] }] })
  })

  it('maps conditions and medications (SNOMED CT, RxNorm as entered)', async () => {
    const [c] = resources<fhir4.Condition>(await fhirOk(docC, `/Condition?patient=Patient/${owner.id}`))
    expect(c).toMatchObject({ onsetDateTime: '2001-03-04', clinicalStatus: { coding: [{ code: 'active' }] }, code: { text: 'Asthma', coding: [{ code: '195967001' }] } })
    const [m] = resources<fhir4.MedicationStatement>(await fhirOk(owner, `/MedicationStatement?patient=${owner.id}`))
    expect(m).toMatchObject({ status: 'active', medicationCodeableConcept: { text: 'Salbutamol', coding: [{ code: '435' }] }, dosage: [{ text: '100 mcg', timing: { code: { text: 'as needed' } } }] })
  })
})

describe('Observation', () => {
  it('lists vitals and labs newest first across pages of _count, with nothing repeated or lost', async () => {
    const { items, pages } = await allPages(owner, `/Observation?patient=${owner.id}&_count=2`)
    expect(pages).toBe(4)
    const times = items.map((o) => (o as fhir4.Observation).effectiveDateTime as string)
    expect(times).toEqual([...times].sort().reverse())
    expect(new Set(items.map((o) => o.id)).size).toBe(7)
  })

  it('writes blood pressure as the 85354-9 panel with 8480-6/8462-4 components in UCUM mm[Hg]', async () => {
    const [bp] = resources<fhir4.Observation>(await fhirOk(owner, `/Observation?patient=${owner.id}&code=http://loinc.org|85354-9`))
    expect(bp).toMatchObject({
      category: [{ coding: [{ code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      component: [
        { code: { coding: [{ code: '8480-6' }] }, valueQuantity: { value: 128, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 82, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ],
    })
    expect(bp?.valueQuantity).toBeUndefined()
  })

  it('filters by code (with or without system, comma = or), category and date ge/le', async () => {
    const codes = async (q: string) => resources<fhir4.Observation>(await fhirOk(owner, `/Observation?patient=${owner.id}&${q}`)).map((o) => o.code.coding?.[0]?.code)
    expect(await codes('code=8867-4')).toEqual(['8867-4', '8867-4'])
    expect(await codes('code=http://loinc.org|8867-4,4548-4')).toEqual(['8867-4', '4548-4', '8867-4'])
    expect(await codes('code=http://snomed.info/sct|8867-4')).toEqual([])
    expect((await codes('category=laboratory')).sort()).toEqual(['4548-4', '5778-6', '6298-4'])
    expect((await codes('category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs')).length).toBe(4)
    expect(await codes('date=ge2024-06-01')).toEqual(['29463-7', '8867-4'])
    expect((await codes('date=ge2024-03-10&date=le2024-05-01')).sort()).toEqual(['4548-4', '6298-4', '8867-4'])
    expect(await codes('date=le2023-12-31')).toEqual(['5778-6'])
    expect(await codes('date=2024-06')).toEqual(['29463-7', '8867-4'])
    expect(await codes('date=ge2025-01-01&date=le2024-01-01')).toEqual([])
    expect(await codes('code=8867-4&date=lt2024-06-10T08:00:00Z')).toEqual(['8867-4'])
    for (const bad of ['date=2024-13-01', 'date=ne2024-01-01', 'date=yesterday', 'code=a%20b', 'category=%7C', 'date=ge2024-01-01&date=le2024&date=2024&date=2024&date=2024']) {
      await outcome(owner, `/Observation?patient=${owner.id}&${bad}`, 400, 'invalid')
    }
  })

  it('writes lab results as laboratory Observations with reference range and interpretation', async () => {
    const labs = resources<fhir4.Observation>(await fhirOk(owner, `/Observation?patient=${owner.id}&category=laboratory`))
    expect(labs.find((o) => o.code.coding?.[0]?.code === '6298-4')).toMatchObject({
      valueQuantity: { value: 4.1, system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      referenceRange: [{ low: { value: 3.5 }, high: { value: 5.1 }, text: '3.5-5.1' }],
      interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N' }] }],
    })
    expect(labs.find((o) => o.code.coding?.[0]?.code === '5778-6')).toMatchObject({ valueString: 'Yellow' })
  })

  it('audits a consenting doctor’s search as vitals.viewed', async () => {
    await fhirOk(docC, `/Observation?patient=${owner.id}`)
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'vitals.viewed', actorId: docC.id })
  })
})

describe('DocumentReference and Binary', () => {
  it('describes records with a Binary link, size, hash and date, and Binary serves the bytes', async () => {
    const { items, pages } = await allPages(owner, `/DocumentReference?patient=${owner.id}&_count=1`)
    expect(pages).toBe(2)
    const doc = items.find((d) => d.id === recordId) as fhir4.DocumentReference
    const attachment = doc.content[0]?.attachment
    expect(doc).toMatchObject({ status: 'current', description: 'Blood panel', type: { coding: [{ code: '11502-2' }] } })
    expect(attachment).toMatchObject({ contentType: 'application/pdf', size: PDF.length, title: 'Blood panel', creation: '2024-05-02', url: `http://carelocker.test/fhir/R4/Binary/${recordId}` })
    expect(attachment?.data).toBeUndefined()
    const bytes = await get(docC, `/Binary/${recordId}`)
    expect(bytes.statusCode).toBe(200)
    expect(bytes.rawPayload.equals(PDF)).toBe(true)
    expect(bytes.headers['cache-control']).toBe('no-store')
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'record.downloaded', actorId: docC.id })
    const range = await get(owner, `/Binary/${recordId}`, { range: 'bytes=0-3' })
    expect(range.statusCode).toBe(206)
    expect(range.body).toBe('%PDF')
  })

  it('answers 404 to a Binary of another patient, an unknown id or not a UUID; 403 to a pharmacist', async () => {
    await outcome(other, `/Binary/${recordId}`, 404, 'not-found')
    await outcome(docN, `/Binary/${recordId}`, 404, 'not-found')
    await outcome(owner, `/Binary/${crypto.randomUUID()}`, 404, 'not-found')
    await outcome(owner, '/Binary/..%2F..', 404, 'not-found')
    await outcome(pharm, `/Binary/${recordId}`, 403, 'forbidden')
  })
})

describe('prescriptions and dispensations', () => {
  it('gives one MedicationRequest per prescribed item and one MedicationDispense per item given out', async () => {
    const requests = resources<fhir4.MedicationRequest>(await fhirOk(owner, `/MedicationRequest?patient=${owner.id}`))
    expect(requests.map((r) => r.medicationCodeableConcept?.text).sort()).toEqual(['Ibuprofen', 'Metformin'])
    expect(requests[0]).toMatchObject({ status: 'active', intent: 'order', dispenseRequest: { quantity: {} } })
    const { items, pages } = await allPages(docC, `/MedicationRequest?patient=${owner.id}&_count=1`)
    expect([items.length, pages]).toEqual([2, 2])
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'fhir.viewed', resourceType: 'prescriptions', actorId: docC.id })
    const dispenses = resources<fhir4.MedicationDispense>(await fhirOk(owner, `/MedicationDispense?patient=${owner.id}`))
    const metformin = requests.find((r) => r.medicationCodeableConcept?.text === 'Metformin')
    expect(dispenses).toHaveLength(1)
    expect(dispenses[0]).toMatchObject({ status: 'completed', quantity: { value: 21 }, authorizingPrescription: [{ reference: `MedicationRequest/${metformin?.id}` }] })
    expect(prescriptionId).toBeTruthy()
  })
})

describe('Encounter and Appointment', () => {
  it('answer an empty searchset (none exist yet) and write no audit event', async () => {
    const before = await lastAudit(owner.id)
    for (const type of ['Encounter']) {
      const b = await fhirOk(docC, `/${type}?patient=${owner.id}`)
      expect(b.type).toBe('searchset')
      expect(b.entry ?? []).toEqual([])
    }
    expect(await lastAudit(owner.id)).toEqual(before)
  })
})

describe('$everything and $summary', () => {
  it('$everything holds every resource of the patient, valid, with attachments as Binary links', async () => {
    const b = await fhirOk(owner, `/Patient/${owner.id}/$everything`)
    expect(b.type).toBe('searchset')
    const count = (type: string) => (b.entry ?? []).filter((e) => e.resource?.resourceType === type).length
    expect({
      Patient: count('Patient'), AllergyIntolerance: count('AllergyIntolerance'), Condition: count('Condition'), MedicationStatement: count('MedicationStatement'),
      Observation: count('Observation'), DocumentReference: count('DocumentReference'), MedicationRequest: count('MedicationRequest'), MedicationDispense: count('MedicationDispense'), Consent: count('Consent'),
    }).toEqual({ Patient: 1, AllergyIntolerance: 3, Condition: 1, MedicationStatement: 1, Observation: 7, DocumentReference: 2, MedicationRequest: 2, MedicationDispense: 1, Consent: 1 })
    expect(b.total).toBe(19)
    for (const e of b.entry ?? []) expect(validate(e.resource)).toEqual([])
    expect(b.entry?.[0]?.resource?.resourceType).toBe('Patient')
  })

  it('$summary is an IPS document: Composition 60591-5 first, the required sections with narrative, vital signs and results', async () => {
    const b = await fhirOk(docC, `/Patient/${owner.id}/$summary`)
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'fhir.viewed', resourceType: 'fhir-summary', actorId: docC.id })
    expect(b.type).toBe('document')
    expect(b.identifier?.value).toMatch(/^urn:uuid:/)
    const composition = b.entry?.[0]?.resource as fhir4.Composition
    expect(composition.resourceType).toBe('Composition')
    expect(composition.type.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '60591-5' })
    expect(b.entry?.[1]?.resource?.resourceType).toBe('Patient')
    expect(composition.section?.map((s) => s.code?.coding?.[0]?.code)).toEqual(['11450-4', '48765-2', '10160-0', '8716-3', '30954-2'])
    for (const s of composition.section ?? []) {
      expect(s.text?.div).toMatch(/^<div xmlns="http:\/\/www.w3.org\/1999\/xhtml">/)
      for (const ref of s.entry ?? []) expect(b.entry?.some((e) => e.fullUrl === ref.reference)).toBe(true)
    }
    expect(composition.section?.[1]?.text?.div).toContain('Penicillin')
  })

  it('$summary of an empty locker keeps the three required sections, each with emptyReason and a narrative saying so', async () => {
    const b = await fhirOk(other, `/Patient/${other.id}/$summary`)
    const composition = b.entry?.[0]?.resource as fhir4.Composition
    expect(composition.section?.map((s) => s.code?.coding?.[0]?.code)).toEqual(['11450-4', '48765-2', '10160-0'])
    for (const s of composition.section ?? []) {
      expect(s.emptyReason?.coding?.[0]?.code).toBe('unavailable')
      expect(s.entry).toBeUndefined()
      expect(s.text?.div).toContain('No ')
    }
  })

  it('refuses $everything and $summary of another patient (404) and to a pharmacist (403)', async () => {
    for (const op of ['$everything', '$summary']) {
      await outcome(other, `/Patient/${owner.id}/${op}`, 404, 'not-found')
      await outcome(docN, `/Patient/${owner.id}/${op}`, 404, 'not-found')
      await outcome(pharm, `/Patient/${owner.id}/${op}`, 403, 'forbidden')
    }
    expect(await lastAudit(owner.id)).toMatchObject({ action: 'fhir.denied', actorId: docN.id })
  })
})
