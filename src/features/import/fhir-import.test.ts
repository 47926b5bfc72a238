import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { FIXTURES_URL, fixturePath } from '../../../test/helpers/fixtures.js'
import { recordHelpers } from '../../../test/helpers/records.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const SYNTHEA = new URL('synthea/', FIXTURES_URL)
const MODERN = 'Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json'
const LEGACY = 'legacy-Dennis_Durgan_78f005f3-7b33-4a5b-84d9-28417b36dbab.json'
const BOBBIE = 'Bobbie849_Brekke496_60739794-1d06-debc-7835-30f2f8e4314c.json'
const readBundle = (name: string) => readFileSync(new URL(name, SYNTHEA), 'utf8')

type Resource = {
  resourceType: string
  code?: { coding?: { system?: string; code?: string }[] }
  category?: { coding?: { code?: string }[] }[]
  valueQuantity?: unknown
  valueCodeableConcept?: unknown
  valueString?: unknown
  content?: { attachment?: { data?: string } }[]
}
const VITAL_LOINC = new Set(['85354-9', '55284-4', '8867-4', '2339-0', '29463-7', '8302-2', '8310-5', '59408-5', '2708-6', '9279-1'])

/** Counts computed straight from the bundle JSON, independently of the importer. */
function expectedCounts(json: string) {
  const resources = (JSON.parse(json) as { entry: { resource: Resource }[] }).entry.map((e) => e.resource)
  const of = (type: string) => resources.filter((r) => r.resourceType === type)
  return {
    allergies: of('AllergyIntolerance').length,
    conditions: of('Condition').length,
    medications: of('MedicationRequest').length + of('MedicationStatement').length,
    vitals: of('Observation').filter((o) => o.code?.coding?.some((c) => c.system === 'http://loinc.org' && VITAL_LOINC.has(c.code ?? ''))).length,
    labs: of('Observation').filter(
      (o) =>
        o.category?.some((c) => c.coding?.some((x) => x.code === 'laboratory')) &&
        !o.code?.coding?.some((c) => c.system === 'http://loinc.org' && VITAL_LOINC.has(c.code ?? '')) &&
        (o.valueQuantity || o.valueCodeableConcept || o.valueString),
    ).length,
    records: of('DocumentReference').filter((d) => d.content?.some((c) => c.attachment?.data)).length,
  }
}

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ MAX_IMPORT_MB: '3' })
})
afterAll(async () => t.close())
const { blobFiles } = recordHelpers(() => t)

const importJson = (u: TestUser, body: string, pid = 'me', contentType = 'application/json') =>
  t.app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/import`, headers: { ...u.headers, 'content-type': contentType }, payload: body })
const listAll = async (u: TestUser, path: string) => {
  const items: Record<string, unknown>[] = []
  let cursor: string | null = null
  do {
    const res: { statusCode: number; body: string; json: () => { items: Record<string, unknown>[]; nextCursor: string | null } } = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/${path}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: u.headers })
    expect(res.statusCode, res.body).toBe(200)
    items.push(...res.json().items)
    cursor = res.json().nextCursor
  } while (cursor)
  return items
}

describe('FHIR import (SPEC §4.4)', () => {
  it('imports a modern Synthea bundle with counts matching the bundle, then adds nothing the second time', async () => {
    const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const json = readBundle(MODERN)
    const res = await importJson(p, json)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.imported).toEqual(expectedCounts(json))
    expect(body.skipped).toContainEqual(expect.objectContaining({ resourceType: 'DiagnosticReport', reason: 'no attachment' }))
    expect(body.skipped).toContainEqual(expect.objectContaining({ resourceType: 'Encounter' }))

    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })).json()
    expect(profile).toMatchObject({ fullName: 'Domenica Brown', dateOfBirth: '1943-01-29', sex: 'female' })
    const distinctConditionCodes = new Set(profile.conditions.map((c: { code: { code: string } }) => c.code.code))
    expect(profile.conditions).toHaveLength(distinctConditionCodes.size)
    expect(profile.conditions.some((c: { name: string }) => /diabetes/i.test(c.name))).toBe(true)

    const again = await importJson(p, json)
    expect(again.statusCode).toBe(200)
    expect(again.json().imported).toEqual({ allergies: 0, conditions: 0, medications: 0, vitals: 0, labs: 0, records: 0 })
    const profileAfter = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })).json()
    expect(profileAfter.conditions).toEqual(profile.conditions)
    expect(await listAll(p, 'records')).toHaveLength(body.imported.records)
  })

  it('stores imported documents as records with source "import" whose bytes match the bundle', async () => {
    const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const json = readBundle(MODERN)
    await importJson(p, json)
    const docs = (JSON.parse(json) as { entry: { resource: Resource }[] }).entry
      .map((e) => e.resource)
      .filter((r) => r.resourceType === 'DocumentReference')
    const expectedHashes = new Set(docs.map((d) => createHash('sha256').update(Buffer.from(d.content?.[0]?.attachment?.data ?? '', 'base64')).digest('hex')))
    const records = await listAll(p, 'records')
    expect(records.every((r) => r.source === 'import' && r.contentType === 'text/plain')).toBe(true)
    const first = records[0] as { id: string; sha256: string }
    expect(expectedHashes.has(first.sha256)).toBe(true)
    const content = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/records/${first.id}/content`, headers: p.headers })
    expect(content.statusCode).toBe(200)
    expect(createHash('sha256').update(content.rawPayload).digest('hex')).toBe(first.sha256)
  })

  it('imports a legacy (2019) Synthea bundle: blood-pressure panels 55284-4 count as blood_pressure vitals', async () => {
    const p = await registerUser(t, 'patient', { name: 'Dennis Durgan' })
    const json = readBundle(LEGACY)
    const res = await importJson(p, json, 'me', 'application/fhir+json')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(expectedCounts(json))
    const bp = await t.deps.db.selectFrom('vitals').selectAll().where('patientId', '=', p.id).where('type', '=', 'blood_pressure').execute()
    const panels = (JSON.parse(json) as { entry: { resource: Resource }[] }).entry.filter((e) => e.resource.code?.coding?.some((c) => c.code === '55284-4'))
    expect(bp).toHaveLength(panels.length)
    for (const v of bp) {
      expect(v.unit).toBe('mmHg')
      expect(v.systolic).toBeGreaterThan(v.diastolic as number)
      expect(v.source).toBe('import')
    }
  })

  it('rejects malformed JSON, a non-Bundle and an oversized body, importing nothing', async () => {
    const p = await registerUser(t)
    const malformed = await importJson(p, readBundle(LEGACY).slice(0, 5000))
    expect(malformed.statusCode).toBe(400)
    expect(malformed.headers['content-type']).toContain('application/problem+json')
    const notBundle = await importJson(p, JSON.stringify({ resourceType: 'Patient', id: 'x' }))
    expect(notBundle.statusCode).toBe(400)
    expect(notBundle.json().errors[0].path).toBe('/resourceType')
    const huge = await importJson(p, JSON.stringify({ resourceType: 'Bundle', entry: [], pad: 'x'.repeat(3.5 * 1024 * 1024) }))
    expect(huge.statusCode).toBe(413)
    expect(await t.deps.db.selectFrom('vitals').select('id').where('patientId', '=', p.id).execute()).toHaveLength(0)
    expect(await t.deps.db.selectFrom('records').select('id').where('patientId', '=', p.id).execute()).toHaveLength(0)
    expect(await t.deps.db.selectFrom('fhirImportedResources').select('fhirId').where('patientId', '=', p.id).execute()).toHaveLength(0)
  })

  it('only the patient imports: another patient or an unconsented doctor 404, a consented doctor 403', async () => {
    const owner = await registerUser(t)
    const other = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] })
    expect((await importJson(other, body, owner.id)).statusCode).toBe(404)
    expect((await importJson(doctor, body, owner.id)).statusCode).toBe(404)
    await t.deps.db.insertInto('consultations').values({ patientId: owner.id, doctorId: doctor.id, status: 'approved', createdAt: new Date() }).execute()
    expect((await importJson(doctor, body, owner.id)).statusCode).toBe(403)
    expect((await importJson(owner, body)).statusCode).toBe(200)
  })
})

describe('FHIR import of unusual attachments', () => {
  it('skips a document in a format CareLocker does not store, importing the rest', async () => {
    const p = await registerUser(t)
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'DocumentReference', id: 'doc-exe', status: 'current', date: '2024-01-02T00:00:00Z', content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from('MZ\x90\x00\x03\x00\x00\x00this is not a pdf').toString('base64') } }] } },
        { resource: { resourceType: 'DocumentReference', id: 'doc-txt', status: 'current', date: '2024-01-03T00:00:00Z', content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Follow-up in two weeks.').toString('base64') } }] } },
      ],
    }
    const res = await importJson(p, JSON.stringify(bundle))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported.records).toBe(1)
    expect(res.json().skipped).toContainEqual({ resourceType: 'DocumentReference', count: 1, reason: 'attachment type not supported' })
    expect(await listAll(p, 'records')).toHaveLength(1)
  })

  it('a document stored meanwhile under the same source (a concurrent import) is a 409 duplicate-import problem, and nothing of the file is imported', async () => {
    const p = await registerUser(t)
    const doc = { resourceType: 'DocumentReference', id: 'doc-race', status: 'current', date: '2024-01-03T00:00:00Z', content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Follow-up in two weeks.').toString('base64') } }] }
    const allergy = { resourceType: 'AllergyIntolerance', id: 'allergy-race', code: { text: 'Penicillin' } }
    const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: allergy }, { resource: doc }] })
    expect((await importJson(p, bundle)).statusCode).toBe(200)
    // What the loser of two simultaneous imports meets: the document row is there (the winner
    // committed), but this import's check of what was imported ran before it.
    await t.deps.db.deleteFrom('fhirImportedResources').where('patientId', '=', p.id).execute()
    await t.deps.database.cache.settle(t.deps.db)
    const before = await listAll(p, 'records')

    const res = await importJson(p, bundle)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/duplicate-import', status: 409 })
    expect(res.json()).not.toHaveProperty('differences')
    expect(await listAll(p, 'records')).toEqual(before)
    const imported = await t.deps.db.selectFrom('fhirImportedResources').select('fhirId').where('patientId', '=', p.id).execute()
    expect(imported).toEqual([])
    const profile = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })
    expect(profile.json().allergies).toHaveLength(1)
  })

  it('an import that fails after storing a document rolls back and leaves no record and no blob of it', async () => {
    // Documents over MAX_UPLOAD_MB fail the import (413); the first, small one is stored before that.
    const small = await startTestApp({ MAX_UPLOAD_MB: '1', MAX_IMPORT_MB: '3' })
    try {
      const p = await registerUser(small)
      const doc = (id: string, text: string) => ({
        resource: { resourceType: 'DocumentReference', id, status: 'current', date: '2024-01-02T00:00:00Z', content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }] },
      })
      const bundle = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [doc('doc-small', 'A short letter.'), doc('doc-large', 'x'.repeat(1.5 * 1024 * 1024))] })
      const res = await small.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...p.headers, 'content-type': 'application/json' }, payload: bundle })
      expect(res.statusCode, res.body).toBe(413)
      expect(await small.deps.db.selectFrom('records').select('id').where('patientId', '=', p.id).execute()).toEqual([])
      expect(await blobFiles(small)).toEqual([])
    } finally {
      await small.close()
    }
  })
})

describe('Whose record is it? (SPEC §4.4)', () => {
  const MARIA = { fullName: 'Maria Lopez', dateOfBirth: '1980-03-04', sex: 'female', allergies: [{ substance: 'Penicillin', severity: 'severe' }] }
  const putProfile = async (u: TestUser, profile: object) => {
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: u.headers, payload: profile })
    expect(res.statusCode, res.body).toBe(200)
  }
  const getProfile = async (u: TestUser) => (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: u.headers })).json()
  const importEvents = async (u: TestUser) => {
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?action=import.completed', headers: u.headers })
    expect(res.statusCode, res.body).toBe(200)
    return res.json().items as { action: string; resource: { type: string; id: string } }[]
  }
  const expectNothingImported = async (u: TestUser) => {
    expect(await listAll(u, 'records')).toHaveLength(0)
    expect(await listAll(u, 'vitals')).toHaveLength(0)
    expect(await t.deps.db.selectFrom('fhirImportedResources').select('fhirId').where('patientId', '=', u.id).execute()).toHaveLength(0)
    expect(await importEvents(u)).toEqual([])
  }

  it("another person's bundle is refused with 409 identity-mismatch listing the differences, and nothing is imported", async () => {
    const maria = await registerUser(t, 'patient', { name: 'Maria Lopez' })
    await putProfile(maria, MARIA)
    const before = await getProfile(maria)

    const res = await importJson(maria, readBundle(BOBBIE))
    expect(res.statusCode, res.body).toBe(409)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/identity-mismatch', status: 409 })
    expect(res.json().differences).toEqual([
      { field: 'fullName', locker: 'Maria Lopez', source: 'Bobbie849 Brekke496' },
      { field: 'dateOfBirth', locker: '1980-03-04', source: '1983-06-16' },
      { field: 'sex', locker: 'female', source: 'male' },
    ])
    expect(await getProfile(maria)).toEqual(before)
    await expectNothingImported(maria)
  })

  it('with ?confirm=identity the same bundle is imported, the profile keeps its own fields, and the audit event says it was confirmed', async () => {
    const maria = await registerUser(t, 'patient', { name: 'Maria Lopez' })
    await putProfile(maria, MARIA)
    const json = readBundle(BOBBIE)
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/patients/me/import?confirm=identity',
      headers: { ...maria.headers, 'content-type': 'application/fhir+json' },
      payload: json,
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(expectedCounts(json))
    expect(await getProfile(maria)).toMatchObject({ fullName: 'Maria Lopez', dateOfBirth: '1980-03-04', sex: 'female' })
    expect(await importEvents(maria)).toEqual([
      expect.objectContaining({ action: 'import.completed', resource: { type: 'import-confirmed', id: expect.stringMatching(/^[0-9a-f-]{36}$/) } }),
    ])
  })

  it('a profile with the same name words ("Bobbie Brekke" for "Bobbie849 Brekke496"), birth date and sex imports without confirming', async () => {
    const bobbie = await registerUser(t, 'patient', { name: 'Bob' })
    await putProfile(bobbie, { fullName: 'Bobbie Brekke', dateOfBirth: '1983-06-16', sex: 'male' })
    const res = await importJson(bobbie, readBundle(BOBBIE))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported.conditions).toBeGreaterThan(0)
    expect(await importEvents(bobbie)).toEqual([expect.objectContaining({ resource: { type: 'import', id: expect.any(String) } })])
  })

  it('an empty new profile (the registration name only) imports without confirming and has its empty fields filled', async () => {
    const bobbie = await registerUser(t, 'patient', { name: 'Bobbie Brekke' })
    const res = await importJson(bobbie, readBundle(BOBBIE))
    expect(res.statusCode, res.body).toBe(200)
    expect(await getProfile(bobbie)).toMatchObject({ fullName: 'Bobbie Brekke', dateOfBirth: '1983-06-16', sex: 'male' })
  })

  it("a new account's registration name counts: a stranger's bundle into an empty profile is 409 on the name alone", async () => {
    const maria = await registerUser(t, 'patient', { name: 'Maria Lopez' })
    const res = await importJson(maria, readBundle(BOBBIE))
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().differences).toEqual([{ field: 'fullName', locker: 'Maria Lopez', source: 'Bobbie849 Brekke496' }])
    await expectNothingImported(maria)
    expect(await getProfile(maria)).toMatchObject({ fullName: 'Maria Lopez', dateOfBirth: null, sex: null, conditions: [] })
  })

  it("after one's own Synthea import, an IPS example of another person is refused: the filled birth date and sex are compared too", async () => {
    const bobbie = await registerUser(t, 'patient', { name: 'Bobbie Brekke' })
    expect((await importJson(bobbie, readBundle(BOBBIE))).statusCode).toBe(200)
    const before = await getProfile(bobbie)
    const ips = readFileSync(fixturePath('ips/ips2.0-Bundle-IPS-examples-Bundle-01.json'), 'utf8')
    const res = await importJson(bobbie, ips)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json().differences.map((d: { field: string }) => d.field)).toEqual(['fullName', 'dateOfBirth', 'sex'])
    expect(await getProfile(bobbie)).toEqual(before)
    expect(await importEvents(bobbie)).toHaveLength(1)
  })

  it('OpenAPI documents the confirm parameter and the 409 body with its differences', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json()
    const op = doc.paths['/api/v1/patients/{pid}/import'].post
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'confirm', in: 'query', required: false }))
    // Either the identity check's problem (with its differences) or a plain duplicate-import problem.
    const conflicts: { properties?: { differences?: { items: { properties: { field: { enum: string[] } } } } } }[] = op.responses['409'].content['application/json'].schema.anyOf
    expect(conflicts).toHaveLength(2)
    const identity = conflicts.find((c) => c.properties?.differences)
    expect(identity?.properties?.differences?.items.properties.field.enum).toEqual(['fullName', 'dateOfBirth', 'sex'])
  })

  it('the confirm parameter takes only "identity"; other query parameters are refused', async () => {
    const p = await registerUser(t)
    const body = JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [] })
    for (const qs of ['confirm=yes', 'confirm=', 'force=1']) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/import?${qs}`, headers: { ...p.headers, 'content-type': 'application/json' }, payload: body })
      expect(res.statusCode, `${qs}: ${res.body}`).toBe(400)
    }
  })
})
