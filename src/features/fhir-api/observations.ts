/**
 * Vitals and lab results as FHIR R4 Observations (SPEC §9, §4.8, §4.8b): category
 * `vital-signs` or `laboratory`, LOINC codes, UCUM quantities (system
 * http://unitsofmeasure.org). Blood pressure is the 85354-9 panel with 8480-6 (systolic) and
 * 8462-4 (diastolic) components (FHIR R4 vital-signs profile). Pure mappers.
 */
import type * as fhir4 from 'fhir/r4.js'
import { DIASTOLIC_LOINC, SYSTOLIC_LOINC, VITAL_CATALOGUE, isVitalType } from '../vitals/vital-types.js'
import type { LabRowOut, VitalRowOut } from './fhir-api.queries.js'
import { INTERPRETATION, LOINC, OBSERVATION_CATEGORY, UCUM, instant, patientRef } from './fhir-codes.js'

/** The UCUM code of a stored unit: the catalogue writes blood pressure as `mmHg`, UCUM as `mm[Hg]`. */
const ucumCode = (unit: string): string => (unit === 'mmHg' ? 'mm[Hg]' : unit)

const quantity = (value: number, unit: string): fhir4.Quantity => ({ value, unit, system: UCUM, code: ucumCode(unit) })

const category = (code: 'vital-signs' | 'laboratory', display: string): fhir4.CodeableConcept[] => [
  { coding: [{ system: OBSERVATION_CATEGORY, code, display }], text: display },
]

/** Vital flags → v3 ObservationInterpretation (`critical` → AA, critical abnormal). */
const VITAL_INTERPRETATION = { low: 'L', normal: 'N', high: 'H', critical: 'AA' } as const

const interpretation = (code: string): fhir4.CodeableConcept[] => [{ coding: [{ system: INTERPRETATION, code }] }]

/** One vitals row → a vital-signs Observation (final; blood pressure as the panel with two components). */
export function vitalObservation(patientId: string, v: VitalRowOut): fhir4.Observation {
  const label = isVitalType(v.type) ? VITAL_CATALOGUE[v.type].label : v.type
  const out: fhir4.Observation = {
    resourceType: 'Observation',
    id: v.id,
    status: 'final',
    category: category('vital-signs', 'Vital Signs'),
    code: { coding: [{ system: LOINC, code: v.loinc, display: label }], text: label },
    subject: patientRef(patientId),
    effectiveDateTime: instant(v.measuredAt),
    interpretation: interpretation(VITAL_INTERPRETATION[v.flag]),
  }
  if (v.type === 'blood_pressure' && v.systolic !== null && v.diastolic !== null) {
    out.component = [
      { code: { coding: [{ system: LOINC, code: SYSTOLIC_LOINC, display: 'Systolic blood pressure' }] }, valueQuantity: quantity(v.systolic, v.unit) },
      { code: { coding: [{ system: LOINC, code: DIASTOLIC_LOINC, display: 'Diastolic blood pressure' }] }, valueQuantity: quantity(v.diastolic, v.unit) },
    ]
  } else if (v.value !== null) {
    out.valueQuantity = quantity(v.value, v.unit)
  }
  if (v.note) out.note = [{ text: v.note }]
  return out
}

/** One lab_results row → a laboratory Observation: a quantity (or the text), the reference range, the interpretation (v3 codes L N H LL HH A). */
export function labObservation(patientId: string, l: LabRowOut): fhir4.Observation {
  const out: fhir4.Observation = {
    resourceType: 'Observation',
    id: l.id,
    status: 'final',
    category: category('laboratory', 'Laboratory'),
    code: { coding: [{ system: LOINC, code: l.loinc, display: l.display }], text: l.display },
    subject: patientRef(patientId),
    effectiveDateTime: instant(l.effectiveAt),
  }
  if (l.value !== null) out.valueQuantity = l.unit ? quantity(l.value, l.unit) : { value: l.value }
  else if (l.valueText !== null) out.valueString = l.valueText
  if (l.referenceLow !== null || l.referenceHigh !== null || l.referenceText !== null) {
    const range: fhir4.ObservationReferenceRange = {}
    const bound = (v: number): fhir4.Quantity => (l.unit ? quantity(v, l.unit) : { value: v })
    if (l.referenceLow !== null) range.low = bound(l.referenceLow)
    if (l.referenceHigh !== null) range.high = bound(l.referenceHigh)
    if (l.referenceText !== null) range.text = l.referenceText
    out.referenceRange = [range]
  }
  if (l.interpretation) out.interpretation = interpretation(l.interpretation)
  return out
}

/** The time an Observation row sorts by (its keyset key). */
export const observationTime = (r: { measuredAt: Date } | { effectiveAt: Date }): Date => ('measuredAt' in r ? r.measuredAt : r.effectiveAt)
