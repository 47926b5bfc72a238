/** Unit tests of the FHIR bundle mapping on real files (SPEC §4.4): the Synthea and IPS fixtures, counted against their raw JSON. */
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FIXTURES_URL } from '../../../test/helpers/fixtures.js'
import { parseFhirBundle, type ImportPlan } from './fhir-bundle.js'
import { SKIP_REASON } from './skip-reasons.js'

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
      plan.vitals.length + plan.labs.length + plan.attachments.length
    const skipped = plan.skipped.reduce((n, s) => n + s.count, 0)
    expect(taken + skipped).toBe(bundle.entry.length)
    for (const type of ['Encounter', 'Claim', 'ExplanationOfBenefit', 'Procedure', 'Immunization']) {
      expect(skippedCount(plan, type)).toBe(ofType(bundle, type).length)
    }
    const otherObservations = ofType(bundle, 'Observation').length - plan.vitals.length - plan.labs.length
    expect(skippedCount(plan, 'Observation', SKIP_REASON.otherObservation)).toBe(otherObservations)
  })

  it.each(syntheaFiles)('%s: one lab result per laboratory Observation with a value whose LOINC is not a vital', (name) => {
    const { bundle, plan } = load(SYNTHEA, name)
    const vitalCodes = new Set(Object.values(VITAL_CODES).flat())
    const labObservations = ofType(bundle, 'Observation').filter(
      (o) =>
        (o.category ?? []).some((c: Json) => (c.coding ?? []).some((x: Json) => x.code === 'laboratory')) &&
        !loincs(o).some((c) => vitalCodes.has(c)),
    )
    expect(labObservations.length).toBeGreaterThan(0)
    expect(plan.labs.map((l) => l.fhirId).sort()).toEqual(labObservations.filter((o) => o.valueQuantity || o.valueCodeableConcept || o.valueString).map((o) => o.id).sort())
    for (const lab of plan.labs) {
      const o = labObservations.find((x) => x.id === lab.fhirId)!
      expect(lab.loinc).toBe(o.code.coding.find((c: Json) => c.system === 'http://loinc.org').code)
      expect(lab.display).toBe(o.code.text ?? o.code.coding[0].display)
      expect(lab.effectiveAt).toBe(new Date(o.effectiveDateTime ?? o.issued).toISOString())
      if (o.valueQuantity) expect(lab).toMatchObject({ value: o.valueQuantity.value, unit: o.valueQuantity.code ?? o.valueQuantity.unit, valueText: null })
    }
    // Glucose 2339-0 is filed as laboratory by Synthea but stays a vital.
    expect(plan.labs.some((l) => l.loinc === '2339-0')).toBe(false)
  })

  it('keeps the HbA1c results of a diabetic patient (Domenica Brown) as labs in %', () => {
    const { bundle, plan } = load(SYNTHEA, fixture(SYNTHEA, 'Domenica436'))
    const a1c = plan.labs.filter((l) => l.loinc === '4548-4')
    expect(a1c).toHaveLength(ofType(bundle, 'Observation').filter((o) => loincs(o).includes('4548-4')).length)
    expect(a1c.length).toBeGreaterThan(0)
    expect(a1c.every((l) => l.unit === '%' && typeof l.value === 'number')).toBe(true)
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
