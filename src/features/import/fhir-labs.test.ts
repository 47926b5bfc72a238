/** Unit tests of the laboratory Observation mapping (SPEC §4.8b) on hand-made bundles. */
import { describe, expect, it } from 'vitest'
import { parseFhirBundle } from './fhir-bundle.js'
import { LAB_SKIP_REASON, mapLab } from './fhir-labs.js'

type Json = Record<string, any>

const lab = (over: Json): Json => ({
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma' }] },
  effectiveDateTime: '2024-05-01T10:00:00+02:00',
  valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  ...over,
})
const interpretation = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code }] }]

describe('mapLab', () => {
  it('keeps value, UCUM code, first reference range, interpretation and the instant in UTC', () => {
    const r = lab({ referenceRange: [{ low: { value: 3.5, code: 'mmol/L' }, high: { value: 5.1, code: 'mmol/L' }, text: '3.5–5.1' }, { low: { value: 1 } }], interpretation: interpretation('H') })
    expect(mapLab(r, 'o1')).toEqual({
      fhirId: 'o1',
      loinc: '2823-3',
      display: 'Potassium [Moles/volume] in Serum or Plasma',
      value: 5.4,
      valueText: null,
      unit: 'mmol/L',
      referenceRange: { low: 3.5, high: 5.1, text: '3.5–5.1' },
      interpretation: 'H',
      effectiveAt: '2024-05-01T08:00:00.000Z',
    })
  })

  it('prefers the UCUM code to the unit text, and code.text to the coding display', () => {
    const r = lab({ code: { text: 'K+', coding: [{ system: 'http://loinc.org', code: '2823-3' }] }, valueQuantity: { value: 4, unit: 'millimole per liter', code: 'mmol/L' } })
    expect(mapLab(r, 'o1')).toMatchObject({ display: 'K+', unit: 'mmol/L' })
    expect(mapLab(lab({ valueQuantity: { value: 4, unit: 'mmol/L' } }), 'o1')).toMatchObject({ unit: 'mmol/L' })
  })

  it.each([
    ['L', 'L'], ['N', 'N'], ['H', 'H'], ['LL', 'LL'], ['HH', 'HH'], ['A', 'A'],
    ['AA', 'A'], ['HU', 'H'], ['LU', 'L'], ['>', 'H'], ['<', 'L'], ['POS', null], ['W', null],
  ])('interpretation %s → %s', (code, expected) => {
    expect(mapLab(lab({ interpretation: interpretation(code) }), 'o1')).toMatchObject({ interpretation: expected })
  })

  it('keeps a quantity with a comparator, a coded and a textual result as text', () => {
    expect(mapLab(lab({ valueQuantity: { value: 5, comparator: '<', code: 'mg/L' } }), 'o1')).toMatchObject({ value: null, valueText: '< 5 mg/L', unit: 'mg/L' })
    const coded = lab({ valueQuantity: undefined, valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260385009', display: 'Negative' }] } })
    expect(mapLab(coded, 'o1')).toMatchObject({ value: null, valueText: 'Negative', unit: null })
    expect(mapLab(lab({ valueQuantity: undefined, valueString: 'Clear, yellow' }), 'o1')).toMatchObject({ value: null, valueText: 'Clear, yellow' })
  })

  it('drops range bounds in another unit than the value, keeping its text', () => {
    const r = lab({ referenceRange: [{ low: { value: 14, code: 'mg/dL' }, high: { value: 20, code: 'mg/dL' }, text: 'see lab' }] })
    expect(mapLab(r, 'o1')).toMatchObject({ referenceRange: { text: 'see lab' } })
    expect(mapLab(lab({ referenceRange: [{ low: { value: 'x' } }] }), 'o1')).toMatchObject({ referenceRange: null })
  })

  it('takes effectivePeriod.start, else issued', () => {
    expect(mapLab(lab({ effectiveDateTime: undefined, effectivePeriod: { start: '2024-01-02' } }), 'o1')).toMatchObject({ effectiveAt: '2024-01-02T00:00:00.000Z' })
    expect(mapLab(lab({ effectiveDateTime: undefined, issued: '2024-01-03T04:05:06Z' }), 'o1')).toMatchObject({ effectiveAt: '2024-01-03T04:05:06.000Z' })
  })

  it('skips a panel, a result without value, time or LOINC code, with the reason', () => {
    expect(mapLab(lab({ valueQuantity: undefined, component: [{ code: { coding: [{ code: '2823-3' }] }, valueQuantity: { value: 4 } }] }), 'o1')).toBe(LAB_SKIP_REASON.panel)
    expect(mapLab(lab({ valueQuantity: { value: '4' } }), 'o1')).toBe(LAB_SKIP_REASON.noValue)
    expect(mapLab(lab({ effectiveDateTime: 'yesterday' }), 'o1')).toBe(LAB_SKIP_REASON.noTime)
    expect(mapLab(lab({ code: { coding: [{ system: 'http://snomed.info/sct', code: '123' }] } }), 'o1')).toBe(LAB_SKIP_REASON.noLoinc)
  })
})

describe('parseFhirBundle: laboratory Observations', () => {
  const bundleOf = (...resources: Json[]) => ({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) })

  it('a laboratory glucose stays a vital; other laboratory codes (v2 LAB too) are labs; other categories are skipped', () => {
    const plan = parseFhirBundle(
      bundleOf(
        lab({ id: 'glucose', code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] }, valueQuantity: { value: 95, code: 'mg/dL' } }),
        lab({ id: 'a1c', code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] }, valueQuantity: { value: 7.1, code: '%' } }),
        lab({ id: 'k', category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }] }),
        lab({ id: 'survey', category: [{ coding: [{ code: 'survey' }] }] }),
        lab({ id: 'panel', valueQuantity: undefined, component: [{ code: { coding: [{ code: '2823-3' }] } }] }),
      ),
    )
    expect(plan.vitals.map((v) => v.fhirId)).toEqual(['glucose'])
    expect(plan.labs.map((l) => l.fhirId)).toEqual(['a1c', 'k'])
    expect(plan.skipped).toEqual([
      { resourceType: 'Observation', count: 1, reason: 'not one of the tracked vital signs' },
      { resourceType: 'Observation', count: 1, reason: LAB_SKIP_REASON.panel },
    ])
  })
})
