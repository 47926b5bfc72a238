/** Request and response schemas of lab results (SPEC §4.8b), and the LabResult mapper. */
import { z } from 'zod'
import { DateOrInstant, ListQuery, PatientIdParam, toInstant } from '../../app/schemas.js'
import type { LabInterpretation } from '../../db/schema.js'
import type { LabView } from './labs.queries.js'

/** A LOINC code: 1–7 digits, a hyphen, the check digit (e.g. `4548-4`). */
export const LoincCode = z.string().regex(/^\d{1,7}-\d$/, 'A LOINC code such as 4548-4.')

export const LabsParams = z.object({ pid: PatientIdParam }).strict()

const from = DateOrInstant.optional().describe('Inclusive: a date (from its start, UTC) or an instant.')
const to = DateOrInstant.optional().describe('Inclusive: a date (to its end, UTC) or an instant.')

export const LabListQuery = z.object({ code: LoincCode.optional(), from, to, ...ListQuery }).strict()
export type LabListInput = z.infer<typeof LabListQuery>

export const LabTrendQuery = z.object({ code: LoincCode, from, to }).strict()
export type LabTrendInput = z.infer<typeof LabTrendQuery>

const Interpretation = z
  .enum(['L', 'N', 'H', 'LL', 'HH', 'A'])
  .describe('FHIR v3-ObservationInterpretation: low, normal, high, critically low, critically high, abnormal.')
const ReferenceRange = z.object({ low: z.number().optional(), high: z.number().optional(), text: z.string().optional() })
const Role = z.enum(['patient', 'doctor', 'pharmacist', 'admin'])

export const LabResult = z.object({
  id: z.uuid(),
  loinc: z.string(),
  display: z.string(),
  value: z.number().optional().describe('A numeric result; otherwise `valueText`.'),
  valueText: z.string().optional().describe('A coded or textual result, or a bound such as "< 5 mg/L".'),
  unit: z.string().nullable().describe('UCUM; null when unitless.'),
  referenceRange: ReferenceRange.optional(),
  interpretation: Interpretation.optional().describe(
    "The source's; when it gave none, derived from a numeric value and the range: below low → L, above high → H, else N.",
  ),
  effectiveAt: z.string(),
  source: z.enum(['manual', 'import']),
  recordedBy: z.object({ id: z.uuid(), role: Role, name: z.string() }).optional(),
})
export type LabResultDto = z.infer<typeof LabResult>

export const LabPage = z.object({ items: z.array(LabResult), nextCursor: z.string().nullable() })

export const LabTrend = z.object({
  code: z.string(),
  display: z.string().nullable().describe('Of the latest numeric result; null when there is none.'),
  unit: z.string().nullable().describe('Of the latest numeric result; only results in this unit are points.'),
  points: z.array(z.object({ effectiveAt: z.string(), value: z.number(), interpretation: Interpretation.nullable() })).describe('Oldest first.'),
  referenceRange: ReferenceRange.nullable().describe('Of the latest numeric result.'),
})
export type LabTrendDto = z.infer<typeof LabTrend>

/** The columns a reference range and an interpretation are read from. */
type RangeColumns = Pick<LabView, 'value' | 'referenceLow' | 'referenceHigh' | 'referenceText' | 'interpretation'>

/** `{low?, high?, text?}` of a row, or undefined when it has none. */
export function referenceRangeOf(r: RangeColumns): LabResultDto['referenceRange'] {
  const range: NonNullable<LabResultDto['referenceRange']> = {}
  if (r.referenceLow !== null) range.low = r.referenceLow
  if (r.referenceHigh !== null) range.high = r.referenceHigh
  if (r.referenceText !== null) range.text = r.referenceText
  return Object.keys(range).length > 0 ? range : undefined
}

/**
 * The interpretation shown (SPEC §4.8b): the source's when it gave one; else, for a numeric
 * value with a numeric low and/or high bound, value < low → L, value > high → H, otherwise N
 * (bounds inclusive, as FHIR `referenceRange` low/high are). Else none.
 */
export function interpretationOf(r: RangeColumns): LabInterpretation | undefined {
  if (r.interpretation !== null) return r.interpretation
  if (r.value === null || (r.referenceLow === null && r.referenceHigh === null)) return undefined
  if (r.referenceLow !== null && r.value < r.referenceLow) return 'L'
  if (r.referenceHigh !== null && r.value > r.referenceHigh) return 'H'
  return 'N'
}

/** A lab row with its recorder → `LabResult` (SPEC §4.8b). Absent optional fields are left out. */
export function toLabDto(r: LabView): LabResultDto {
  const dto: LabResultDto = {
    id: r.id,
    loinc: r.loinc,
    display: r.display,
    unit: r.unit,
    effectiveAt: toInstant(r.effectiveAt),
    source: r.source,
  }
  if (r.value !== null) dto.value = r.value
  if (r.valueText !== null) dto.valueText = r.valueText
  const range = referenceRangeOf(r)
  if (range) dto.referenceRange = range
  const interpretation = interpretationOf(r)
  if (interpretation) dto.interpretation = interpretation
  if (r.recordedBy && r.recorderRole && r.recorderName !== null) dto.recordedBy = { id: r.recordedBy, role: r.recorderRole, name: r.recorderName }
  return dto
}
