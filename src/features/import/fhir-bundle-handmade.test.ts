/** Unit tests of the FHIR bundle mapping on hand-made bundles (SPEC §4.4): refusals, ids, units, times, references, negations, junk. */
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../app/errors.js'
import { parseFhirBundle } from './fhir-bundle.js'
import { SKIP_REASON } from './skip-reasons.js'

type Json = Record<string, any>

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
