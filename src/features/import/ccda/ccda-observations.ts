/**
 * Measured observations of a C-CDA R2.1 document (SPEC §4.8, §4.8b, §9):
 * - Vital Sign Observations (22.4.27, in a Vital Signs Organizer 22.4.26) whose LOINC is in
 *   the vitals catalogue → vitals in canonical units through the catalogue's own
 *   `normalizeVital`; systolic 8480-6 and diastolic 8462-4 of one organizer are ONE
 *   blood-pressure vital (keyed by the systolic observation).
 * - Result Observations (22.4.2, in a Result Organizer 22.4.1) → lab results: LOINC code, a PQ
 *   value and UCUM unit or a text/coded value, the first reference range, the interpretation
 *   code (HL7 ObservationInterpretation, folded into L/N/H/LL/HH/A).
 * A time missing on the observation is taken from its organizer. Never throws on content.
 */
import { ValidationError } from '../../../app/errors.js'
import type { ImportedLab } from '../../labs/lab-results.js'
import { DIASTOLIC_LOINC, SYSTOLIC_LOINC, normalizeVital, vitalTypeForLoinc, type VitalInput } from '../../vitals/vital-types.js'
import { LOINC } from '../fhir-json.js'
import { toLabInterpretation } from '../fhir-labs.js'
import type { ImportedVital } from '../fhir-vitals.js'
import { SKIP_REASON } from '../skip-reasons.js'
import { CCDA_SKIP, TEMPLATE } from './ccda-clinical.js'
import { codeText, codingsOf, instantOf, isNegated, isNull, quantityOf } from './ccda-values.js'
import { attr, hasTemplate, kid, kids, textOf, type XNode } from './ccda-xml.js'

/** One observation with the dedup key the document walker gave it. */
export interface KeyedObservation {
  obs: XNode
  key: string
}

type Outcome<T> = { item: T } | { skipped: string; resourceType: string }

const loincOf = (obs: XNode): string | undefined => codingsOf(kid(obs, 'code')).find((c) => c.system === LOINC)?.code

/** The component observations of an organizer carrying `oid`. */
export const organizerObservations = (organizer: XNode, oid: string): XNode[] =>
  kids(organizer, 'component').flatMap((c) => kids(c, 'observation')).filter((o) => hasTemplate(o, oid))

function normalized(input: VitalInput, key: string, measuredAt: string): ImportedVital | string {
  try {
    return { fhirId: key, ...normalizeVital(input), measuredAt }
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return err.errors?.some((e) => e.path === '/unit') ? SKIP_REASON.badUnit : SKIP_REASON.implausible
  }
}

/**
 * The vital signs of one Vital Signs Organizer (its observations already keyed). Systolic and
 * diastolic pressures are paired into one blood-pressure vital; one without the other is skipped.
 */
export function mapVitalSigns(organizer: XNode | undefined, observations: KeyedObservation[]): Outcome<ImportedVital>[] {
  const resourceType = 'VitalSignObservation'
  const organizerTime = instantOf(kid(organizer, 'effectiveTime'))
  const out: Outcome<ImportedVital>[] = []
  const skip = (reason: string) => out.push({ skipped: reason, resourceType })
  const pressure: { systolic?: KeyedObservation; diastolic?: KeyedObservation } = {}
  for (const k of observations) {
    const { obs } = k
    if (isNegated(obs)) {
      skip(SKIP_REASON.negation)
      continue
    }
    const loinc = loincOf(obs)
    if (loinc === SYSTOLIC_LOINC || loinc === DIASTOLIC_LOINC) {
      const side = loinc === SYSTOLIC_LOINC ? 'systolic' : 'diastolic'
      if (pressure[side]) skip(CCDA_SKIP.halfBloodPressure)
      else pressure[side] = k
      continue
    }
    const type = loinc ? vitalTypeForLoinc(loinc) : undefined
    if (!type || type === 'blood_pressure') {
      skip(SKIP_REASON.otherObservation)
      continue
    }
    const q = quantityOf(kid(obs, 'value'))
    const at = instantOf(kid(obs, 'effectiveTime')) ?? organizerTime
    if (!q) skip(SKIP_REASON.noValue)
    else if (!at) skip(SKIP_REASON.noTime)
    else {
      const v = normalized(q.unit ? { type, value: q.value, unit: q.unit } : { type, value: q.value }, k.key, at)
      out.push(typeof v === 'string' ? { skipped: v, resourceType } : { item: v })
    }
  }
  const { systolic, diastolic } = pressure
  if (systolic && diastolic) {
    const s = quantityOf(kid(systolic.obs, 'value'))
    const d = quantityOf(kid(diastolic.obs, 'value'))
    const at = instantOf(kid(systolic.obs, 'effectiveTime')) ?? instantOf(kid(diastolic.obs, 'effectiveTime')) ?? organizerTime
    if (!s || !d) skip(SKIP_REASON.noValue)
    else if (!at) skip(SKIP_REASON.noTime)
    else if (d.unit && s.unit && d.unit.toLowerCase() !== s.unit.toLowerCase()) skip(SKIP_REASON.badUnit)
    else {
      const input: VitalInput = { type: 'blood_pressure', systolic: s.value, diastolic: d.value }
      if (s.unit) input.unit = s.unit
      const v = normalized(input, systolic.key, at)
      out.push(typeof v === 'string' ? { skipped: v, resourceType } : { item: v })
    }
  } else if (systolic || diastolic) skip(CCDA_SKIP.halfBloodPressure)
  return out
}

function referenceRangeOf(obs: XNode): ImportedLab['referenceRange'] {
  const ranges = kids(obs, 'referenceRange').flatMap((r) => kids(r, 'observationRange'))
  // The normal range when several are given (C-CDA: interpretationCode N), else the first.
  const range = ranges.find((r) => attr(kid(r, 'interpretationCode'), 'code') === 'N') ?? ranges[0]
  if (!range) return null
  const value = kid(range, 'value')
  const low = quantityOf(kid(value, 'low'))?.value
  const high = quantityOf(kid(value, 'high'))?.value
  const text = kid(range, 'text')?.text.replace(/\s+/g, ' ').trim()
  const out: NonNullable<ImportedLab['referenceRange']> = {}
  if (low !== undefined) out.low = low
  if (high !== undefined) out.high = high
  if (text) out.text = text.slice(0, 200)
  return Object.keys(out).length > 0 ? out : null
}

/** One Result Observation (22.4.2) → a lab result (time from its organizer when it has none), or why it was skipped. */
export function mapResult(organizer: XNode | undefined, { obs, key }: KeyedObservation): Outcome<ImportedLab> {
  const resourceType = 'ResultObservation'
  if (isNegated(obs)) return { skipped: SKIP_REASON.negation, resourceType }
  const loinc = loincOf(obs)
  if (!loinc) return { skipped: CCDA_SKIP.noLoinc, resourceType }
  const value = kid(obs, 'value')
  if (isNull(value)) return { skipped: CCDA_SKIP.noResultValue, resourceType }
  const type = attr(value, 'xsi:type') ?? ''
  let numeric: number | null = null
  let valueText: string | null = null
  let unit: string | null = null
  if (type.endsWith('PQ') || type.endsWith('INT') || type.endsWith('REAL')) {
    const q = quantityOf(value)
    if (!q) return { skipped: CCDA_SKIP.noResultValue, resourceType }
    numeric = q.value
    unit = q.unit ?? null
  } else {
    valueText = (type.endsWith('CD') || type.endsWith('CE') || type.endsWith('CO') ? codeText(value) : textOf(value))?.slice(0, 500) ?? null
    if (!valueText) return { skipped: CCDA_SKIP.noResultValue, resourceType }
  }
  const effectiveAt = instantOf(kid(obs, 'effectiveTime')) ?? instantOf(kid(organizer, 'effectiveTime'))
  if (!effectiveAt) return { skipped: CCDA_SKIP.noResultTime, resourceType }
  const interpretation = toLabInterpretation(attr(kid(obs, 'interpretationCode'), 'code'))
  const code = kid(obs, 'code')
  const display = (attr(code, 'displayName') ?? codeText(code) ?? loinc).slice(0, 200)
  return { item: { fhirId: key, loinc, display, value: numeric, valueText, unit, referenceRange: referenceRangeOf(obs), interpretation, effectiveAt } }
}

