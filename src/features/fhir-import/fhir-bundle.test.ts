import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FIXTURES_URL } from '../../../test/helpers/fixtures.js'
import { ValidationError } from '../../app/errors.js'
import { SKIP_REASON, parseFhirBundle, type ImportPlan } from './fhir-bundle.js'

const SYNTHEA = new URL('synthea/', FIXTURES_URL)
const IPS = new URL('ips/', FIXTURES_URL)

type Json = Record<string, any>

const cache = new Map<string, { bundle: Json; plan: ImportPlan }>()
/** Reads and parses a fixture once per file (the large ones are a few MB). */
function load(dir: URL, name: string): { bundle: Json; plan: ImportPlan } {
  const key = new URL(name, dir).href
  let hit = cache.get(key)
  if (!hit) {
    const bundle = JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Json
    hit = { bundle, plan: parseFhirBundle(bundle) }
    cache.set(key, hit)
  }
  return hit
}
const fixture = (dir: URL, prefix: string): string => {
  const name = readdirSync(fileURLToPath(dir)).find((f) => f.startsWith(prefix) && f.endsWith('.json'))
  if (!name) throw new Error(`no fixture ${prefix}* in ${dir.href}`)
  return name
}
const syntheaFiles = readdirSync(fileURLToPath(SYNTHEA)).filter((f) => f.endsWith('.json'))
const ipsFiles = readdirSync(fileURLToPath(IPS)).filter((f) => f.endsWith('.json'))

// Expected values computed from the raw JSON, independently of the parser.
const resourcesOf = (bundle: Json): Json[] => bundle.entry.map((e: Json) => e.resource)
const ofType = (bundle: Json, type: string) => resourcesOf(bundle).filter((r) => r.resourceType === type)
const loincs = (r: Json): string[] => (r.code?.coding ?? []).map((c: Json) => c.code)

/** SPEC §4.8 codes by type, plus the legacy BP panel and the R4 vital-signs SpO2 code. */
const VITAL_CODES: Record<string, string[]> = {
  blood_pressure: ['85354-9', '55284-4'],
  heart_rate: ['8867-4'],
  blood_glucose: ['2339-0'],
  body_weight: ['29463-7'],
  body_height: ['8302-2'],
  body_temperature: ['8310-5'],
  oxygen_saturation: ['59408-5', '2708-6'],
  respiratory_rate: ['9279-1'],
}
function expectedVitalsByType(bundle: Json): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const obs of ofType(bundle, 'Observation')) {
    const type = Object.keys(VITAL_CODES).find((t) => loincs(obs).some((c) => VITAL_CODES[t]!.includes(c)))
    if (type) counts[type] = (counts[type] ?? 0) + 1
  }
  return counts
}
function vitalsByType(plan: ImportPlan): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const v of plan.vitals) counts[v.type] = (counts[v.type] ?? 0) + 1
  return counts
}
const skippedCount = (plan: ImportPlan, resourceType: string, reason?: string) =>
  plan.skipped
    .filter((s) => s.resourceType === resourceType && (reason === undefined || s.reason === reason))
    .reduce((n, s) => n + s.count, 0)

describe('parseFhirBundle on the Synthea fixtures', () => {
  it.each(syntheaFiles)('%s: one allergy, condition and medication per resource', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    expect(plan.allergies).toHaveLength(ofType(bundle, 'AllergyIntolerance').length)
    expect(plan.conditions).toHaveLength(ofType(bundle, 'Condition').length)
    expect(plan.medications).toHaveLength(
      ofType(bundle, 'MedicationRequest').length + ofType(bundle, 'MedicationStatement').length,
    )
    expect(plan.medications.filter((m) => m.active)).toHaveLength(
      ofType(bundle, 'MedicationRequest').filter((r) => r.status === 'active').length,
    )
    expect(plan.conditions.filter((c) => c.status === 'active')).toHaveLength(
      ofType(bundle, 'Condition').filter((r) => r.clinicalStatus.coding[0].code === 'active').length,
    )
  })

  it.each(syntheaFiles)('%s: one vital per vital-sign Observation, by LOINC code', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    expect(vitalsByType(plan)).toEqual(expectedVitalsByType(bundle))
    expect(plan.vitals.length).toBeGreaterThan(0)
  })

  it.each(syntheaFiles)('%s: a blood-pressure panel is one vital, systolic over diastolic in mmHg', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    const panels = ofType(bundle, 'Observation').filter((o) => VITAL_CODES.blood_pressure!.some((c) => loincs(o).includes(c)))
    const bps = plan.vitals.filter((v) => v.type === 'blood_pressure')
    expect(bps).toHaveLength(panels.length)
    for (const panel of panels) {
      const component = (code: string) =>
        panel.component.find((c: Json) => c.code.coding.some((x: Json) => x.code === code)).valueQuantity.value as number
      const vital = bps.find((v) => v.fhirId === panel.id)
      expect(vital).toMatchObject({
        loinc: '85354-9',
        unit: 'mmHg',
        systolic: Math.round(component('8480-6') * 100) / 100,
        diastolic: Math.round(component('8462-4') * 100) / 100,
        measuredAt: new Date(panel.effectiveDateTime).toISOString(),
      })
      expect(vital!.systolic!).toBeGreaterThan(vital!.diastolic!)
      expect(vital!.value).toBeUndefined()
    }
  })

  it.each(syntheaFiles)('%s: every vital is in its canonical unit with an ISO instant and a flag', (name) => {
    const { plan } = load(SYNTHEA, name)
    const canonical: Record<string, string> = {
      blood_pressure: 'mmHg', heart_rate: '/min', blood_glucose: 'mg/dL', body_weight: 'kg',
      body_height: 'cm', body_temperature: 'Cel', oxygen_saturation: '%', respiratory_rate: '/min',
    }
    for (const v of plan.vitals) {
      expect(v.unit).toBe(canonical[v.type])
      expect(v.measuredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(['low', 'normal', 'high', 'critical']).toContain(v.flag)
    }
  })

  it.each(syntheaFiles)('%s: attachments are the inline documents, each note once', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    const docs = ofType(bundle, 'DocumentReference').filter((d) => d.content?.some((c: Json) => c.attachment?.data))
    const docData = new Set(docs.flatMap((d) => d.content.map((c: Json) => c.attachment.data)))
    const reports = ofType(bundle, 'DiagnosticReport')
    const withForm = reports.filter((r) => r.presentedForm?.some((p: Json) => p.data))
    const newReports = withForm.filter((r) => !r.presentedForm.every((p: Json) => docData.has(p.data)))

    expect(plan.attachments.filter((a) => a.resourceType === 'DocumentReference')).toHaveLength(docs.length)
    expect(plan.attachments.filter((a) => a.resourceType === 'DiagnosticReport')).toHaveLength(newReports.length)
    expect(skippedCount(plan, 'DiagnosticReport', SKIP_REASON.noAttachment)).toBe(reports.length - withForm.length)
    expect(skippedCount(plan, 'DiagnosticReport', SKIP_REASON.duplicateAttachment)).toBe(withForm.length - newReports.length)
  })

  it.each(syntheaFiles)('%s: every entry is either taken in or counted under skipped', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    const taken =
      (ofType(bundle, 'Patient').length > 0 ? 1 : 0) +
      plan.allergies.length + plan.conditions.length + plan.medications.length +
      plan.vitals.length + plan.attachments.length
    const skipped = plan.skipped.reduce((n, s) => n + s.count, 0)
    expect(taken + skipped).toBe(bundle.entry.length)
    for (const type of ['Encounter', 'Claim', 'ExplanationOfBenefit', 'Procedure', 'Immunization']) {
      expect(skippedCount(plan, type)).toBe(ofType(bundle, type).length)
    }
    const otherObservations = ofType(bundle, 'Observation').length - plan.vitals.length
    expect(skippedCount(plan, 'Observation', SKIP_REASON.otherObservation)).toBe(otherObservations)
  })

  it('reads the Patient: official name with Synthea digits, prefix dropped; every name (maiden too); birth date; sex', () => {
    expect(load(SYNTHEA, fixture(SYNTHEA, 'Domenica436')).plan.demographics).toEqual({
      fullName: 'Domenica436 Brown30',
      names: ['Domenica436 Brown30', 'Domenica436 Beier427'],
      dateOfBirth: '1943-01-29',
      sex: 'female',
    })
    expect(load(SYNTHEA, fixture(SYNTHEA, 'Bobbie849')).plan.demographics).toEqual({
      fullName: 'Bobbie849 Brekke496',
      names: ['Bobbie849 Brekke496'],
      dateOfBirth: '1983-06-16',
      sex: 'male',
    })
    expect(load(SYNTHEA, fixture(SYNTHEA, 'legacy-Dennis_Durgan')).plan.demographics).toEqual({
      fullName: 'Dennis Durgan',
      names: ['Dennis Durgan'],
      dateOfBirth: '1949-04-19',
      sex: 'male',
    })
  })

  it('counts the legacy 55284-4 panels as blood_pressure (Dennis Durgan: 10, Marcos Delagarza: 4)', () => {
    for (const [prefix, panels] of [['legacy-Dennis_Durgan', 10], ['legacy-Marcos_Delagarza', 4]] as const) {
      const { bundle, plan } = load(SYNTHEA, fixture(SYNTHEA, prefix))
      expect(ofType(bundle, 'Observation').filter((o) => loincs(o).includes('55284-4'))).toHaveLength(panels)
      expect(plan.vitals.filter((v) => v.type === 'blood_pressure')).toHaveLength(panels)
      expect(plan.vitals.filter((v) => v.type === 'heart_rate')).toHaveLength(0) // 2019 Synthea has none
      expect(plan.attachments).toHaveLength(0) // and no DocumentReference
    }
  })

  it('decodes DocumentReference attachments to the clinical-note text', () => {
    const { bundle, plan } = load(SYNTHEA, fixture(SYNTHEA, 'Domenica436'))
    const doc = ofType(bundle, 'DocumentReference')[0]!
    const attachment = plan.attachments.find((a) => a.fhirId === doc.id)!
    expect(attachment).toMatchObject({
      resourceType: 'DocumentReference',
      contentType: 'text/plain', // declared "text/plain; charset=utf-8"
      category: 'clinical_note',
      title: 'History and physical note',
      recordDate: doc.date.slice(0, 10),
      doctorName: doc.author[0].display,
    })
    expect(attachment.data.equals(Buffer.from(doc.content[0].attachment.data, 'base64'))).toBe(true)
    const text = attachment.data.toString('utf8')
    expect(text).toContain('# Chief Complaint')
    expect(text).toContain('Domenica436')
  })

  it('keeps RxNorm codes and reads a medication named through a referenced Medication', () => {
    const { bundle, plan } = load(SYNTHEA, fixture(SYNTHEA, 'Domenica436'))
    const byRef = ofType(bundle, 'MedicationRequest').find((r) => r.medicationReference)!
    const med = bundle.entry.find((e: Json) => e.fullUrl === byRef.medicationReference.reference).resource
    expect(plan.medications.find((m) => m.fhirId === byRef.id)).toMatchObject({
      name: med.code.text,
      active: false,
      code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: med.code.coding[0].code },
    })
    for (const m of plan.medications) expect(m.code?.system).toBe('http://www.nlm.nih.gov/research/umls/rxnorm')
  })

  it('reads allergy reactions and severity (Sandee884: latex, anaphylaxis, severe)', () => {
    const { plan } = load(SYNTHEA, fixture(SYNTHEA, 'Sandee884'))
    expect(plan.allergies.find((a) => a.code?.code === '111088007')).toMatchObject({
      substance: 'Latex (substance)',
      reaction: 'Anaphylaxis (disorder)',
      severity: 'severe',
      recordedAt: '2023-10-14T01:33:03.000Z',
      code: { system: 'http://snomed.info/sct', code: '111088007', display: 'Latex (substance)' },
    })
  })

  it('reads condition status and onset date', () => {
    const { bundle, plan } = load(SYNTHEA, fixture(SYNTHEA, 'Domenica436'))
    for (const r of ofType(bundle, 'Condition')) {
      expect(plan.conditions.find((c) => c.fhirId === r.id)).toMatchObject({
        name: r.code.text,
        status: r.clinicalStatus.coding[0].code,
        since: r.onsetDateTime.slice(0, 10),
        code: { system: 'http://snomed.info/sct', code: r.code.coding[0].code },
      })
    }
  })
})

describe('parseFhirBundle on IPS documents', () => {
  it.each(ipsFiles)('%s: patient, allergies, problems and medications', (name) => {
    const { bundle, plan } = load(IPS, name)
    expect(plan.demographics).toEqual({ fullName: 'Martha DeLarosa', names: ['Martha DeLarosa'], dateOfBirth: '1972-05-01', sex: 'female' })
    expect(plan.medications).toHaveLength(ofType(bundle, 'MedicationStatement').length)
    for (const m of plan.medications) {
      expect(m.name).not.toBe('')
      expect(m.code?.system).toBe('http://snomed.info/sct')
    }
    expect(plan.conditions).toHaveLength(ofType(bundle, 'Condition').length)
    // "No known food allergy" is a statement of absence, not an allergy.
    expect(plan.allergies.length + skippedCount(plan, 'AllergyIntolerance', SKIP_REASON.negation)).toBe(
      ofType(bundle, 'AllergyIntolerance').length,
    )
    expect(plan.allergies.map((a) => a.substance).join()).toMatch(/penicillin/)
    expect(plan.allergies[0]?.severity).toBe('severe') // criticality high
    expect(plan.vitals).toHaveLength(0)
  })

  it('resolves Medication references by fullUrl and by Type/id', () => {
    const urn = load(IPS, 'ips2.0-Bundle-IPS-examples-Bundle-01.json').plan
    const relative = load(IPS, 'shl-ig-IPS_IG-bundle-01.json').plan
    for (const plan of [urn, relative]) {
      expect(plan.medications.map((m) => m.name)).toEqual([
        'Product containing anastrozole (medicinal product)',
        'Black Cohosh Extract herbal supplement',
      ])
      expect(plan.medications[0]).toMatchObject({ dosage: '1 tablet', frequency: 'once per day', since: '2015-03-01', active: true })
    }
  })
})

describe('parseFhirBundle on hand-made bundles', () => {
  const bundleOf = (...resources: Json[]) => ({
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource, i) => ({ fullUrl: `urn:uuid:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, resource })),
  })
  const obs = (id: string, code: string, valueQuantity: Json) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    effectiveDateTime: '2024-05-01T10:00:00+02:00',
    valueQuantity,
  })

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', 'Bundle'],
    ['a Patient', { resourceType: 'Patient', id: 'p' }],
    ['a Bundle without entry', { resourceType: 'Bundle', type: 'collection' }],
    ['a Bundle whose entry is not an array', { resourceType: 'Bundle', entry: {} }],
  ])('refuses %s with a ValidationError', (_label, json) => {
    expect(() => parseFhirBundle(json)).toThrow(ValidationError)
    expect(() => parseFhirBundle(json)).toThrow(/Expected a FHIR R4 Bundle/)
  })

  it('accepts a Bundle with no Patient (empty demographics) and one with no entries', () => {
    expect(parseFhirBundle(bundleOf()).demographics).toEqual({})
    const plan = parseFhirBundle(bundleOf(obs('hr', '8867-4', { value: 61, code: '/min' })))
    expect(plan.demographics).toEqual({})
    expect(plan.vitals).toEqual([
      { fhirId: 'hr', type: 'heart_rate', loinc: '8867-4', value: 61, unit: '/min', flag: 'normal', measuredAt: '2024-05-01T08:00:00.000Z' },
    ])
  })

  it('uses the fullUrl as fhirId when a resource has no id, and a content hash when neither exists', () => {
    const { id: _id, ...anonymous } = obs('x', '8867-4', { value: 61 })
    const withUrl = parseFhirBundle(bundleOf(anonymous)).vitals[0]
    expect(withUrl?.fhirId).toBe('urn:uuid:00000000-0000-0000-0000-000000000000')
    const bare = { resourceType: 'Bundle', entry: [{ resource: anonymous }] }
    const first = parseFhirBundle(bare).vitals[0]?.fhirId
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(parseFhirBundle(structuredClone(bare)).vitals[0]?.fhirId).toBe(first)
  })

  it('converts units and skips implausible or unconvertible vitals instead of throwing', () => {
    const plan = parseFhirBundle(
      bundleOf(
        obs('w', '29463-7', { value: 154, unit: 'lb', code: '[lb_av]' }),
        obs('t', '8310-5', { value: 101, code: '[degF]' }),
        obs('g', '2339-0', { value: 5.5, code: 'mmol/L' }),
        obs('bad-hr', '8867-4', { value: 900, code: '/min' }),
        obs('bad-unit', '29463-7', { value: 70, code: 'cm' }),
        { ...obs('no-value', '8867-4', {}), valueQuantity: undefined, dataAbsentReason: { text: 'asked' } },
        obs('bmi', '39156-5', { value: 22, code: 'kg/m2' }),
      ),
    )
    expect(plan.vitals.map((v) => [v.fhirId, v.value, v.unit])).toEqual([
      ['w', 69.85, 'kg'],
      ['t', 38.33, 'Cel'],
      ['g', 99.09, 'mg/dL'],
    ])
    expect(plan.skipped).toEqual([
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.implausible },
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.badUnit },
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.noValue },
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.otherObservation },
    ])
  })

  it('turns FHIR times into UTC instants, whatever the server time zone', () => {
    const at = (effectiveDateTime: string) =>
      parseFhirBundle(bundleOf({ ...obs('hr', '8867-4', { value: 61 }), effectiveDateTime })).vitals[0]?.measuredAt
    expect(at('2024-05-01T10:00:00-05:00')).toBe('2024-05-01T15:00:00.000Z')
    expect(at('2024-05-01T10:00:00')).toBe('2024-05-01T10:00:00.000Z') // no offset: read as UTC
    expect(at('2024-05-01')).toBe('2024-05-01T00:00:00.000Z')
    expect(at('2024-02-30')).toBeUndefined() // not a date: skipped
  })

  it('skips a BP panel whose systolic is not above diastolic', () => {
    const panel = (id: string, sys: number, dia: number) => ({
      resourceType: 'Observation',
      id,
      code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
      effectiveDateTime: '2024-05-01',
      component: [
        { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: sys, code: 'mm[Hg]' } },
        { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: dia, code: 'mm[Hg]' } },
      ],
    })
    const mixedUnits = panel('mixed', 120, 70)
    mixedUnits.component[1]!.valueQuantity.code = 'mmHg' // systolic in mm[Hg], diastolic in mmHg: both fine
    const plan = parseFhirBundle(bundleOf(panel('ok', 185, 95), panel('swapped', 70, 110), mixedUnits))
    expect(plan.vitals).toEqual([
      { fhirId: 'ok', type: 'blood_pressure', loinc: '85354-9', systolic: 185, diastolic: 95, unit: 'mmHg', flag: 'critical', measuredAt: '2024-05-01T00:00:00.000Z' },
      { fhirId: 'mixed', type: 'blood_pressure', loinc: '85354-9', systolic: 120, diastolic: 70, unit: 'mmHg', flag: 'normal', measuredAt: '2024-05-01T00:00:00.000Z' },
    ])
    expect(plan.skipped).toEqual([{ resourceType: 'Observation', count: 1, reason: SKIP_REASON.implausible }])
  })

  it('resolves urn:uuid, contained and conditional references leniently', () => {
    const practitioner = {
      resourceType: 'Practitioner',
      id: 'pr1',
      identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '42' }],
      name: [{ prefix: ['Dr.'], given: ['Ada'], family: 'Lovelace' }],
    }
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n')
    const plan = parseFhirBundle(
      bundleOf(
        practitioner,
        {
          resourceType: 'DiagnosticReport',
          id: 'lab',
          category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
          code: { text: 'Lipid panel' },
          effectiveDateTime: '2024-02-03T09:00:00Z',
          performer: [{ reference: 'Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|42' }],
          conclusion: 'LDL high',
          presentedForm: [{ contentType: 'application/pdf', data: pdf.toString('base64') }],
        },
        {
          resourceType: 'DocumentReference',
          id: 'dis',
          type: { coding: [{ system: 'http://loinc.org', code: '18842-5', display: 'Discharge summary' }] },
          date: '2024-03-01T12:00:00Z',
          author: [{ reference: 'urn:uuid:00000000-0000-0000-0000-000000000000' }],
          content: [{ attachment: { contentType: 'text/plain', url: 'http://example.org/not-inline' } }, { attachment: { contentType: 'text/plain;charset=utf-8', data: Buffer.from('hello').toString('base64') } }],
        },
        {
          resourceType: 'MedicationStatement',
          id: 'ms',
          status: 'active',
          contained: [{ resourceType: 'Medication', id: 'm1', code: { text: 'Metformin 500 mg', coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '861007' }] } }],
          medicationReference: { reference: '#m1' },
          effectiveDateTime: '2020',
          dosage: [{ text: 'with meals', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
          informationSource: { reference: 'Practitioner?identifier=nowhere|0' },
        },
        {
          resourceType: 'MedicationRequest',
          id: 'mr',
          status: 'stopped',
          medicationReference: { reference: 'Medication?code=unresolvable', display: 'Lisinopril' },
          authoredOn: '2019-06-01',
        },
      ),
    )
    expect(plan.attachments.map(({ data, ...rest }) => ({ ...rest, text: data.toString('utf8') }))).toEqual([
      {
        fhirId: 'dis', resourceType: 'DocumentReference', contentType: 'text/plain', text: 'hello',
        title: 'Discharge summary', recordDate: '2024-03-01', category: 'discharge_summary', doctorName: 'Ada Lovelace',
      },
      {
        fhirId: 'lab', resourceType: 'DiagnosticReport', contentType: 'application/pdf', text: pdf.toString('utf8'),
        title: 'Lipid panel', recordDate: '2024-02-03', category: 'lab_report', doctorName: 'Ada Lovelace', description: 'LDL high',
      },
    ])
    expect(plan.medications).toEqual([
      {
        fhirId: 'ms', recordedAt: '2020-01-01T00:00:00.000Z', name: 'Metformin 500 mg', active: true,
        dosage: 'with meals', frequency: '2 times per day', since: '2020-01-01',
        code: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '861007' },
      },
      { fhirId: 'mr', recordedAt: '2019-06-01T00:00:00.000Z', name: 'Lisinopril', active: false, since: '2019-06-01' },
    ])
    expect(plan.skipped).toEqual([{ resourceType: 'Practitioner', count: 1, reason: SKIP_REASON.notImported }])
  })

  it('skips entered-in-error and refuted resources and "no known" statements', () => {
    const plan = parseFhirBundle(
      bundleOf(
        { resourceType: 'Condition', id: 'c1', code: { text: 'Asthma' }, verificationStatus: { coding: [{ code: 'entered-in-error' }] } },
        { resourceType: 'AllergyIntolerance', id: 'a1', code: { text: 'Peanut' }, verificationStatus: { coding: [{ code: 'refuted' }] } },
        { resourceType: 'AllergyIntolerance', id: 'a2', code: { coding: [{ system: 'http://snomed.info/sct', code: '716186003', display: 'No known allergy' }] } },
        { resourceType: 'AllergyIntolerance', id: 'a3', code: { text: 'Peanut' }, criticality: 'low', reaction: [{ severity: 'mild' }, { severity: 'moderate', manifestation: [{ text: 'Hives' }] }] },
        { resourceType: 'Condition', id: 'c2', code: { text: 'Otitis' }, abatementDateTime: '2020-01-01' },
        { resourceType: 'MedicationRequest', id: 'm1', status: 'entered-in-error', medicationCodeableConcept: { text: 'X' } },
      ),
    )
    expect(plan.allergies).toEqual([{ fhirId: 'a3', recordedAt: null, substance: 'Peanut', reaction: 'Hives', severity: 'moderate' }])
    expect(plan.conditions).toEqual([{ fhirId: 'c2', recordedAt: null, name: 'Otitis', status: 'resolved' }])
    expect(plan.medications).toEqual([])
    expect(plan.skipped).toEqual([
      { resourceType: 'Condition', count: 1, reason: SKIP_REASON.enteredInError },
      { resourceType: 'AllergyIntolerance', count: 1, reason: SKIP_REASON.enteredInError },
      { resourceType: 'AllergyIntolerance', count: 1, reason: SKIP_REASON.negation },
      { resourceType: 'MedicationRequest', count: 1, reason: SKIP_REASON.enteredInError },
    ])
  })

  it('counts entries without a resource and tolerates junk inside resources', () => {
    const plan = parseFhirBundle({
      resourceType: 'Bundle',
      entry: [
        null,
        { request: { method: 'DELETE', url: 'Patient/1' } },
        { resource: { resourceType: 'Patient', name: 'not-an-array', gender: 'robot', birthDate: '1980' } },
        { resource: { resourceType: 'Observation', code: { coding: 'x' } } },
        { resource: { resourceType: 'Observation', code: { coding: [{ code: '8867-4' }] }, valueQuantity: { value: '70' }, effectiveDateTime: '2020-01-01' } },
        { resource: { resourceType: 'DocumentReference', content: [{ attachment: { data: 42 } }] } },
      ],
    })
    expect(plan.demographics).toEqual({})
    expect(plan.vitals).toEqual([])
    expect(plan.skipped).toEqual([
      { resourceType: 'Unknown', count: 2, reason: SKIP_REASON.noResourceType },
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.otherObservation },
      { resourceType: 'Observation', count: 1, reason: SKIP_REASON.noValue },
      { resourceType: 'DocumentReference', count: 1, reason: SKIP_REASON.noAttachment },
    ])
  })
})
