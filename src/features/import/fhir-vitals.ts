/**
 * Observations of a FHIR bundle → vital signs (SPEC §4.4, §4.8): those whose LOINC is in the
 * vitals catalogue (any category: Synthea files glucose as laboratory), in canonical units
 * through the vitals feature's own `normalizeVital`; a blood-pressure panel (85354-9 or legacy
 * 55284-4) is one vital. A value that fails the catalogue's checks is skipped, not thrown.
 */
import { ValidationError } from '../../app/errors.js'
import {
  DIASTOLIC_LOINC,
  SYSTOLIC_LOINC,
  normalizeVital,
  unitConverter,
  vitalTypeForLoinc,
  type NormalizedVital,
  type VitalInput,
  type VitalType,
} from '../vitals/vital-types.js'
import { LOINC, codings, num, obj, objs, str, toInstant, type Json } from './fhir-json.js'
import { SKIP_REASON } from './skip-reasons.js'

/** A vital as the catalogue normalizes it (canonical unit, flag; a legacy 55284-4 panel's LOINC is 85354-9), with its FHIR id and time. */
export type ImportedVital = NormalizedVital & {
  fhirId: string
  /** ISO instant (UTC). */
  measuredAt: string
}

function observationVitalType(r: Json): VitalType | undefined {
  for (const c of codings(r.code)) {
    const system = str(c.system)
    const code = str(c.code)
    if (code && (system === undefined || system === LOINC)) {
      const t = vitalTypeForLoinc(code)
      if (t) return t
    }
  }
  return undefined
}

function quantityOf(x: unknown): { value: number; unit?: string } | undefined {
  const q = obj(x)
  const value = num(q?.value)
  if (value === undefined) return undefined
  // UCUM `code` is the machine unit; `unit` is display text (often the same).
  const unit = str(q?.code) ?? str(q?.unit)
  return unit ? { value, unit } : { value }
}

function componentQuantity(r: Json, loinc: string): { value: number; unit?: string } | undefined {
  const component = objs(r.component).find((c) => codings(c.code).some((x) => x.code === loinc))
  return component ? quantityOf(component.valueQuantity) : undefined
}

/** One Observation → a vital, or why it was skipped. */
export function mapVital(r: Json, fhirId: string): ImportedVital | string {
  const type = observationVitalType(r)
  if (!type) return SKIP_REASON.otherObservation
  const measuredAt =
    toInstant(r.effectiveDateTime) ?? toInstant(r.effectiveInstant) ?? toInstant(obj(r.effectivePeriod)?.start) ?? toInstant(r.issued)
  if (!measuredAt) return SKIP_REASON.noTime

  const input: VitalInput = { type }
  if (type === 'blood_pressure') {
    const systolic = componentQuantity(r, SYSTOLIC_LOINC)
    const diastolic = componentQuantity(r, DIASTOLIC_LOINC)
    if (!systolic || !diastolic) return SKIP_REASON.noValue
    if (diastolic.unit && !unitConverter('blood_pressure', diastolic.unit)) return SKIP_REASON.badUnit
    input.systolic = systolic.value
    input.diastolic = diastolic.value
    if (systolic.unit) input.unit = systolic.unit
  } else {
    const q = quantityOf(r.valueQuantity)
    if (!q) return SKIP_REASON.noValue
    input.value = q.value
    if (q.unit) input.unit = q.unit
  }

  try {
    const v = normalizeVital(input)
    return { fhirId, ...v, measuredAt }
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return err.errors?.some((e) => e.path === '/unit') ? SKIP_REASON.badUnit : SKIP_REASON.implausible
  }
}
