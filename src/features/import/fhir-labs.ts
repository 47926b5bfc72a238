/**
 * Observations of a FHIR bundle → lab results (SPEC §4.8b). An Observation is a lab result
 * when one of its categories has the code `laboratory` (FHIR observation-category) or `LAB`
 * (HL7 v2-0074, as C-CDA-derived bundles write it) and its LOINC is not in the vitals
 * catalogue (glucose 2339-0 stays a vital; `fhir-vitals.ts` is asked first).
 *
 * What is kept:
 * - value: `valueQuantity` (unit: the UCUM `code`, else `unit`), `valueInteger`; a quantity with a
 *   `comparator` (`<5`) is not a point on a curve, so it is kept as `valueText` ("< 5 mg/L");
 *   `valueCodeableConcept` (its text or first display), `valueString`, `valueBoolean` → `valueText`.
 * - referenceRange: the first one; `low`/`high` only when their unit is absent or the value's
 *   unit (a range in another unit cannot be compared), `text` always.
 * - interpretation: see {@link toLabInterpretation}.
 * - time: `effectiveDateTime`, `effectiveInstant`, `effectivePeriod.start`, else `issued`.
 *
 * Skipped with a reason: a panel (components and no value of its own: its members come as
 * their own Observations), no value, no time, no LOINC code.
 */
import type { LabInterpretation } from '../../db/schema.js'
import type { ImportedLab } from '../labs/lab-results.js'
import { LOINC, codings, conceptText, num, obj, objs, str, toInstant, type Json } from './fhir-json.js'

/** Why a laboratory Observation was not imported (stable strings: the import summary shows them). */
export const LAB_SKIP_REASON = {
  panel: 'laboratory panel: components only, no value of its own',
  noValue: 'laboratory result without a value',
  noTime: 'laboratory result without a time',
  noLoinc: 'laboratory result without a LOINC code',
} as const

/** Category codes that mark a laboratory result: FHIR observation-category and HL7 v2-0074. */
const LAB_CATEGORIES = new Set(['laboratory', 'LAB'])

/** True when one of the Observation's categories is laboratory. */
export function isLaboratory(r: Json): boolean {
  return objs(r.category).some((c) => codings(c).some((x) => LAB_CATEGORIES.has(str(x.code) ?? '')))
}

/**
 * FHIR v3-ObservationInterpretation (also HL7 v2-0078, same codes) → the kept subset.
 * L, N, H, LL, HH, A as they are; close codes folded into the nearest kept one:
 * `AA` (critically abnormal) → A; `HU`/`LU` (significantly high/low: not critical) → H/L;
 * `HX`/`LX` (above high / below low threshold) → H/L; `>`/`<` (off scale high/low) → H/L. Any other code (POS, NEG, S, R, W, …) is dropped.
 */
const INTERPRETATIONS: Readonly<Record<string, LabInterpretation>> = {
  L: 'L',
  N: 'N',
  H: 'H',
  LL: 'LL',
  HH: 'HH',
  A: 'A',
  AA: 'A',
  HU: 'H',
  LU: 'L',
  HX: 'H',
  LX: 'L',
  '>': 'H',
  '<': 'L',
}

/** One v3-ObservationInterpretation / v2-0078 code → the kept subset (see INTERPRETATIONS), or null; for every importer (C-CDA too). */
export function toLabInterpretation(code: string | undefined): LabInterpretation | null {
  return (code !== undefined && Object.hasOwn(INTERPRETATIONS, code) ? INTERPRETATIONS[code] : undefined) ?? null
}

/** The first interpretation coding of an Observation this subset knows, or null. */
function observationInterpretation(r: Json): LabInterpretation | null {
  for (const concept of objs(r.interpretation)) {
    for (const c of codings(concept)) {
      const hit = toLabInterpretation(str(c.code))
      if (hit) return hit
    }
  }
  return null
}

function loincOf(r: Json): { code: string; display?: string } | undefined {
  for (const c of codings(r.code)) {
    const code = str(c.code)
    if (code && str(c.system) === LOINC) {
      const display = str(c.display)
      return display ? { code, display } : { code }
    }
  }
  return undefined
}

const unitOf = (q: Json | undefined) => str(q?.code) ?? str(q?.unit)

function valueOf(r: Json): { value: number | null; valueText: string | null; unit: string | null } | undefined {
  const q = obj(r.valueQuantity)
  const qv = num(q?.value)
  if (q && qv !== undefined) {
    const unit = unitOf(q) ?? null
    const comparator = str(q.comparator)
    if (comparator) return { value: null, valueText: `${comparator} ${qv}${unit ? ` ${unit}` : ''}`, unit }
    return { value: qv, valueText: null, unit }
  }
  const integer = num(r.valueInteger)
  if (integer !== undefined) return { value: integer, valueText: null, unit: null }
  const text = conceptText(r.valueCodeableConcept) ?? str(r.valueString)
  if (text) return { value: null, valueText: text, unit: null }
  if (typeof r.valueBoolean === 'boolean') return { value: null, valueText: r.valueBoolean ? 'true' : 'false', unit: null }
  return undefined
}

function referenceRangeOf(r: Json, unit: string | null): ImportedLab['referenceRange'] {
  const range = objs(r.referenceRange)[0]
  if (!range) return null
  const out: NonNullable<ImportedLab['referenceRange']> = {}
  for (const side of ['low', 'high'] as const) {
    const q = obj(range[side])
    const v = num(q?.value)
    const u = unitOf(q)
    if (v !== undefined && (u === undefined || u === unit)) out[side] = v
  }
  const text = str(range.text)
  if (text) out.text = text
  return Object.keys(out).length > 0 ? out : null
}

/** One laboratory Observation (already known to be laboratory and not a vital) → a lab result, or why it was skipped. */
export function mapLab(r: Json, fhirId: string): ImportedLab | string {
  const loinc = loincOf(r)
  if (!loinc) return LAB_SKIP_REASON.noLoinc
  const value = valueOf(r)
  if (!value) return objs(r.component).length > 0 ? LAB_SKIP_REASON.panel : LAB_SKIP_REASON.noValue
  const effectiveAt =
    toInstant(r.effectiveDateTime) ?? toInstant(r.effectiveInstant) ?? toInstant(obj(r.effectivePeriod)?.start) ?? toInstant(r.issued)
  if (!effectiveAt) return LAB_SKIP_REASON.noTime
  return {
    fhirId,
    loinc: loinc.code,
    display: str(obj(r.code)?.text) ?? loinc.display ?? loinc.code,
    ...value,
    referenceRange: referenceRangeOf(r, value.unit),
    interpretation: observationInterpretation(r),
    effectiveAt,
  }
}
