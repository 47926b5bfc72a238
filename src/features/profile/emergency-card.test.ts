import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DOMENICA_CARD_CONDITIONS, DOMENICA_FILE, fixturePath } from '../../../test/helpers/fixtures.js'
import { emergencyCardSelection, showsConditionByDefault, snomedSemanticTag } from './emergency-card.js'

interface FhirCondition {
  resourceType: 'Condition'
  clinicalStatus?: { coding?: { code?: string }[] }
  code: { text?: string; coding: { system: string; code: string; display?: string }[] }
}

/** The distinct Conditions of a Synthea fixture, as the import stores them: name, status, SNOMED coding. */
function syntheaConditions(file: string) {
  const bundle = JSON.parse(readFileSync(fixturePath(`synthea/${file}`), 'utf8')) as { entry: { resource: { resourceType: string } }[] }
  const byCode = new Map<string, { name: string; status: 'active' | 'resolved'; code: { system: string; code: string; display?: string } }>()
  for (const { resource } of bundle.entry) {
    if (resource.resourceType !== 'Condition') continue
    const c = resource as FhirCondition
    const coding = c.code.coding[0]!
    const status = c.clinicalStatus?.coding?.[0]?.code === 'active' ? 'active' : 'resolved'
    byCode.set(coding.code, { name: c.code.text ?? coding.display ?? coding.code, status, code: coding })
  }
  return [...byCode.values()]
}

const shownNames = (file: string) => syntheaConditions(file).filter(showsConditionByDefault).map((c) => c.name).sort()

describe('snomedSemanticTag', () => {
  it('reads the parenthesised semantic tag at the end of a SNOMED CT display', () => {
    expect(snomedSemanticTag('Housing unsatisfactory (finding)')).toBe('finding')
    expect(snomedSemanticTag('Diabetes mellitus type 2 (disorder)')).toBe('disorder')
    expect(snomedSemanticTag('Refugee (social concept)')).toBe('social concept')
    expect(snomedSemanticTag('Hypertension')).toBeUndefined()
    expect(snomedSemanticTag('Body mass index 30+ - obesity (finding) ')).toBe('finding')
  })
})

describe('showsConditionByDefault on real Synthea conditions (SPEC §4.6)', () => {
  it("Domenica436's card keeps her active disorders and past history, not her employment, education, criminal record or medication review", () => {
    expect(shownNames(DOMENICA_FILE)).toEqual(DOMENICA_CARD_CONDITIONS)
  })

  it("Bobbie849's card leaves out stress, full-time employment, education and BMI findings and the resolved infections", () => {
    expect(shownNames('Bobbie849_Brekke496_60739794-1d06-debc-7835-30f2f8e4314c.json')).toEqual(['Hyperlipidemia (disorder)'])
  })

  it('a condition of older Synthea output without a semantic tag stays, a "(situation)" that is not personal history does not', () => {
    expect(shownNames('legacy-Dennis_Durgan_78f005f3-7b33-4a5b-84d9-28417b36dbab.json')).toEqual([
      'Cardiac Arrest',
      'Chronic congestive heart failure (disorder)',
      'Chronic sinusitis (disorder)',
      'History of cardiac arrest (situation)',
      'Hypertension',
      'Osteoarthritis of hip',
      'Perennial allergic rhinitis with seasonal variation',
    ])
    expect(showsConditionByDefault({ name: 'Medication review due (situation)', status: 'active' })).toBe(false)
    expect(showsConditionByDefault({ name: 'Family history of cardiovascular disease (situation)', status: 'active' })).toBe(false)
  })

  it('decides by the coded display when the name was edited, and a missing status counts as active', () => {
    expect(showsConditionByDefault({ name: 'Social isolation', code: { system: 'http://snomed.info/sct', code: '422650009', display: 'Social isolation (finding)' } })).toBe(false)
    expect(showsConditionByDefault({ name: 'Asthma' })).toBe(true)
    expect(showsConditionByDefault({ name: 'Asthma', status: 'resolved' })).toBe(false)
  })
})

describe('emergencyCardSelection', () => {
  const profile = {
    conditions: [
      { id: 'c1', name: 'Diabetes mellitus type 2 (disorder)', status: 'active' as const },
      { id: 'c2', name: 'Stress (finding)', status: 'active' as const },
      { id: 'c3', name: 'Acute bronchitis (disorder)', status: 'resolved' as const },
    ],
    medications: [{ id: 'm1', name: 'Metformin' }, { id: 'm2', name: 'Simvastatin' }],
  }

  it('null lists take the default: active conditions without findings, every medication', () => {
    expect(emergencyCardSelection(profile, { conditionIds: null, medicationIds: null })).toEqual({ conditionIds: ['c1'], medicationIds: ['m1', 'm2'] })
  })

  it('a chosen list shows exactly the chosen entries in profile order, a finding or resolved one included, and may be empty', () => {
    expect(emergencyCardSelection(profile, { conditionIds: ['c3', 'c2'], medicationIds: [] })).toEqual({ conditionIds: ['c2', 'c3'], medicationIds: [] })
  })
})
