import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, registerVerified, type TestUser } from '../../../../test/helpers/factories.js'
import { fixturePath } from '../../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../../test/helpers/test-app.js'

const CCD = readFileSync(fixturePath('ccda/CCD-1.xml'))
const DISCHARGE = readFileSync(fixturePath('ccda/Discharge_Summary.xml'))
const NOTHING = { allergies: 0, conditions: 0, medications: 0, vitals: 0, labs: 0, records: 0 }

// Entry counts by template id, from the shared fixtures' MANIFEST.json (HL7/C-CDA-Examples):
// CCD-1: allergyObservation 2, problemObservation 4, medicationActivity 2, vitalSignObservation 8
// (two organizers, each with one systolic + diastolic pair → one blood-pressure vital), resultObservation 6
// (one with value nullFlavor="NI"). Discharge_Summary: 3, 5, 1, 4 (one pair), 0.
const CCD_COUNTS = { allergies: 2, conditions: 4, medications: 2, vitals: 8 - 2, labs: 6 - 1, records: 1 }
const DISCHARGE_COUNTS = { allergies: 3, conditions: 5, medications: 1, vitals: 4 - 1, labs: 0, records: 1 }

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ MAX_IMPORT_MB: '3' })
})
afterAll(async () => t.close())

const importXml = (u: TestUser, body: Buffer | string, opts: { pid?: string; query?: string; contentType?: string } = {}) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/patients/${opts.pid ?? 'me'}/import${opts.query ?? ''}`,
    headers: { ...u.headers, 'content-type': opts.contentType ?? 'application/xml' },
    payload: body,
  })
const rows = (table: 'vitals' | 'records' | 'labResults' | 'fhirImportedResources', patientId: string) =>
  t.deps.db.selectFrom(table).selectAll().where('patientId', '=', patientId).execute()
const nothingStored = async (patientId: string) => {
  for (const table of ['vitals', 'records', 'labResults', 'fhirImportedResources'] as const) expect(await rows(table, patientId)).toHaveLength(0)
}

/** A small C-CDA with the given namespace prefix and entries (handmade, for cases the fixtures lack). */
function handmade(entries: string, p = 'cda'): string {
  const q = p ? `${p}:` : ''
  return `<?xml version="1.0" encoding="UTF-8"?>
<${q}ClinicalDocument xmlns${p ? `:${p}` : ''}="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <${q}id root="1.2.3.4" extension="doc-${p}"/>
  <${q}code code="34133-9" codeSystem="2.16.840.1.113883.6.1" displayName="Summary of episode note"/>
  <${q}title>Handmade &amp; small</${q}title>
  <${q}effectiveTime value="20240102"/>
  <${q}recordTarget><${q}patientRole><${q}patient>
    <${q}name><${q}given>Eve</${q}given><${q}family>Betterhalf</${q}family></${q}name>
    <${q}administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
    <${q}birthTime value="19750501"/>
  </${q}patient></${q}patientRole></${q}recordTarget>
  <${q}component><${q}structuredBody><${q}component><${q}section>
    <${q}templateId root="2.16.840.1.113883.10.20.22.2.6.1"/><${q}title>Allergies</${q}title>
    ${entries.replaceAll('q:', q)}
  </${q}section></${q}component></${q}structuredBody></${q}component>
</${q}ClinicalDocument>`
}
const NO_KNOWN_ALLERGIES = `<q:entry><q:act classCode="ACT" moodCode="EVN"><q:templateId root="2.16.840.1.113883.10.20.22.4.30"/><q:id root="aa-1"/>
  <q:entryRelationship typeCode="SUBJ"><q:observation classCode="OBS" moodCode="EVN" negationInd="true">
    <q:templateId root="2.16.840.1.113883.10.20.22.4.7"/><q:id root="aa-2"/>
    <q:value xsi:type="CD" code="419199007" codeSystem="2.16.840.1.113883.6.96"/>
    <q:participant typeCode="CSM"><q:participantRole classCode="MANU"><q:playingEntity classCode="MMAT"><q:code nullFlavor="NA"/></q:playingEntity></q:participantRole></q:participant>
  </q:observation></q:entryRelationship></q:act></q:entry>`
const PEANUT = `<q:entry><q:act classCode="ACT" moodCode="EVN"><q:templateId root="2.16.840.1.113883.10.20.22.4.30"/><q:id root="bb-1"/>
  <q:entryRelationship typeCode="SUBJ"><q:observation classCode="OBS" moodCode="EVN">
    <q:templateId root="2.16.840.1.113883.10.20.22.4.7" extension="2014-06-09"/>
    <q:effectiveTime><q:low value="20200304101500+0100"/></q:effectiveTime>
    <q:value xsi:type="CD" code="419199007" codeSystem="2.16.840.1.113883.6.96"/>
    <q:participant typeCode="CSM"><q:participantRole classCode="MANU"><q:playingEntity classCode="MMAT"><q:code code="256349002" codeSystem="2.16.840.1.113883.6.96" displayName="Peanut &#8211; roasted"/></q:playingEntity></q:participantRole></q:participant>
  </q:observation></q:entryRelationship></q:act></q:entry>`

describe('C-CDA import over HTTP (SPEC §9)', () => {
  it('imports CCD-1 with the counts of its entries, keeps the document as an .xml record, and adds nothing the second time', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const res = await importXml(p, CCD)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(CCD_COUNTS)
    expect(res.json().skipped).toContainEqual({ resourceType: 'ResultObservation', count: 1, reason: 'result without a value' })
    expect(res.json().skipped).toContainEqual({ resourceType: 'IMMUNIZATIONS', count: 5, reason: 'section not imported' })

    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })).json()
    expect(profile).toMatchObject({ dateOfBirth: '1975-05-01', sex: 'female' })
    expect(profile.allergies.map((a: { substance: string }) => a.substance).sort()).toEqual(['Penicillin', 'codeine'])
    expect(profile.medications.map((m: { name: string }) => m.name)).toContain('atenolol 25 MG Oral Tablet')

    const bp = (await rows('vitals', p.id)).filter((v) => v.type === 'blood_pressure').map((v) => [v.systolic, v.diastolic]).sort()
    expect(bp).toEqual([[128, 80], [132, 88]])
    const labs = await rows('labResults', p.id)
    expect(labs.find((l) => l.loinc === '718-7')).toMatchObject({ value: 13.2, unit: 'g/dL', referenceLow: 12, referenceHigh: 15.5, interpretation: 'N', source: 'import' })
    expect(labs.find((l) => l.loinc === '777-3')).toMatchObject({ interpretation: 'L' })

    const [record] = await rows('records', p.id)
    expect(record).toMatchObject({ contentType: 'application/xml', category: 'clinical_note', title: 'Patient Chart Summary', recordDate: '2013-08-15', source: 'import' })
    expect(record?.fileName).toBe('ClinicalNote_2013-08-15.xml')
    const content = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/records/${record?.id}/content`, headers: p.headers })
    expect(content.statusCode).toBe(200)
    expect(content.headers['content-type']).toContain('application/xml')
    expect(createHash('sha256').update(content.rawPayload).digest('hex')).toBe(createHash('sha256').update(CCD).digest('hex'))

    const again = await importXml(p, CCD, { contentType: 'text/xml' })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json().imported).toEqual(NOTHING)
    expect(await rows('records', p.id)).toHaveLength(1)
    expect(await rows('labResults', p.id)).toHaveLength(CCD_COUNTS.labs)
    // A client that cannot name the type: the bytes say C-CDA.
    const octets = await importXml(p, CCD, { contentType: 'application/octet-stream' })
    expect(octets.statusCode, octets.body).toBe(200)
    expect(octets.json().imported).toEqual(NOTHING)
  })

  it('imports the Discharge Summary (entries under discharge diagnoses and discharge medications too) as a discharge_summary record', async () => {
    const p = await registerUser(t, 'patient', { name: 'Isabella Jones' })
    const res = await importXml(p, DISCHARGE)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(DISCHARGE_COUNTS)
    const [record] = await rows('records', p.id)
    expect(record).toMatchObject({ category: 'discharge_summary', contentType: 'application/xml' })
    expect((await importXml(p, DISCHARGE)).json().imported).toEqual(NOTHING)
  })

  it('a different patient in the document is 409 identity-mismatch with nothing imported; ?confirm=identity imports it', async () => {
    const p = await registerUser(t, 'patient', { name: 'Someone Else' })
    const res = await importXml(p, CCD)
    expect(res.statusCode, res.body).toBe(409)
    expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/identity-mismatch' })
    expect(res.json().differences).toContainEqual(expect.objectContaining({ field: 'fullName', source: 'Eve Betterhalf' }))
    await nothingStored(p.id)
    const confirmed = await importXml(p, CCD, { query: '?confirm=identity' })
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    expect(confirmed.json().imported).toEqual(CCD_COUNTS)
  })

  it('malformed XML is 400 naming the line and column, and nothing is imported', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const broken = CCD.toString('utf8').replace('</title>', '</titel>')
    const res = await importXml(p, broken)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().detail).toMatch(/line \d+, column \d+/)
    await nothingStored(p.id)
  })

  it('an entity-expansion bomb (billion laughs) and an external entity are refused with 400 and never expanded', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const lol = ['<!ENTITY lol0 "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`)].join('')
    const bomb = `<?xml version="1.0"?><!DOCTYPE ClinicalDocument [${lol}]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol9;</title></ClinicalDocument>`
    const res = await importXml(p, bomb)
    expect(res.statusCode, res.body).toBe(400)
    const xxe = `<?xml version="1.0"?><!DOCTYPE ClinicalDocument [<!ENTITY x SYSTEM "file:///etc/passwd">]><ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>`
    expect((await importXml(p, xxe)).statusCode).toBe(400)
    await nothingStored(p.id)
  })

  it('a DTD internal subset behind a prolog comment or a processing instruction holding `<x` is still refused with 400 (review L2)', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const subset = '[<!ENTITY e "Injected">]'
    const body = '<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&e;</title></ClinicalDocument>'
    for (const doc of [
      `<!-- <x --><!DOCTYPE ClinicalDocument ${subset}>${body}`,
      `<?xml version="1.0"?>\n<?pi <y ?><!-- a --><!DOCTYPE ClinicalDocument SYSTEM "about:blank" ${subset}>${body}`,
    ]) {
      const res = await importXml(p, doc)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().detail).toMatch(/DTD internal subset/)
    }
    await nothingStored(p.id)
  })

  it('a ClinicalDocument outside the HL7 V3 namespace is 400; XML that is neither C-CDA nor Apple Health is 415', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const wrongNs = await importXml(p, '<ClinicalDocument xmlns="urn:example:other"><title>x</title></ClinicalDocument>')
    expect(wrongNs.statusCode, wrongNs.body).toBe(400)
    const other = await importXml(p, '<?xml version="1.0"?><note><to>Tove</to></note>')
    expect(other.statusCode, other.body).toBe(415)
    await nothingStored(p.id)
  })

  it('reads any namespace prefix, decodes character references, and skips a "no known allergies" entry with a reason', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const res = await importXml(p, handmade(NO_KNOWN_ALLERGIES + PEANUT, 'cda'))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual({ ...NOTHING, allergies: 1, records: 1 })
    expect(res.json().skipped).toContainEqual({ resourceType: 'AllergyObservation', count: 1, reason: 'states an absence (no known allergies, problems or medications)' })
    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })).json()
    expect(profile.allergies).toEqual([expect.objectContaining({ substance: 'Peanut – roasted' })])
    const [record] = await rows('records', p.id)
    expect(record?.title).toBe('Handmade & small')
    // The same document with the default namespace: the same entries (the allergy without an id is keyed by its content).
    const plain = await importXml(p, handmade(NO_KNOWN_ALLERGIES + PEANUT, ''))
    expect(plain.statusCode, plain.body).toBe(200)
    expect(plain.json().imported).toEqual({ ...NOTHING, records: 1 })
  })

  it('only the patient imports: another patient and an unconsented doctor 404, a consented doctor 403 — before the body is read', async () => {
    const owner = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const other = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    // A malformed body: had it been read, the answer would be 400.
    const garbage = '<ClinicalDocument xmlns="urn:hl7-org:v3"><oops>'
    expect((await importXml(other, garbage, { pid: owner.id })).statusCode).toBe(404)
    expect((await importXml(doctor, garbage, { pid: owner.id })).statusCode).toBe(404)
    await t.deps.db.insertInto('consultations').values({ patientId: owner.id, doctorId: doctor.id, status: 'approved', createdAt: new Date() }).execute()
    expect((await importXml(doctor, CCD, { pid: owner.id })).statusCode).toBe(403)
    await nothingStored(owner.id)
  })

  it('a document over MAX_IMPORT_MB is 413 and nothing is imported', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const padded = CCD.toString('utf8').replace('</ClinicalDocument>', `<!-- ${'x'.repeat(3.2 * 1024 * 1024)} --></ClinicalDocument>`)
    const res = await importXml(p, padded)
    expect(res.statusCode, res.body).toBe(413)
    await nothingStored(p.id)
  })

  it('a JSON {shlink} body goes to the SMART Health Link receiver, not to the FHIR Bundle parser', async () => {
    const p = await registerUser(t)
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...p.headers, 'content-type': 'application/json' }, payload: { shlink: 'shlink:/not-a-real-link' } })
    expect(res.statusCode).not.toBe(200)
    // The FHIR parser would have answered 400 with /resourceType.
    expect(res.json().errors?.[0]?.path).not.toBe('/resourceType')
  })
})
