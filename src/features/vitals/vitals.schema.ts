/** Request and response schemas of vital signs (SPEC §4.8), and the Vital mapper. */
import { z } from 'zod'
import { DateOrInstant, ListQuery, PatientIdParam, Uuid, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import { GLUCOSE_CONTEXTS, VITAL_FLAGS, VITAL_TYPES, type GlucoseContext, type VitalFlag, type VitalType } from './vital-types.js'
import type { TrendRow, VitalView } from './vitals.queries.js'

export const VitalTypeSchema = z.enum(VITAL_TYPES)
export const TREND_BUCKETS = ['day', 'week', 'month'] as const
export type TrendBucket = (typeof TREND_BUCKETS)[number]

/** A note on a vital, in characters. */
export const NOTE_MAX = 1000

export const VitalsParams = z.object({ pid: PatientIdParam }).strict()

/**
 * `POST /patients/{pid}/vitals` (SPEC §4.8). Units, ranges and which fields go with which type
 * are checked by `normalizeVital` (400 with the field's path); unknown fields are 400 here.
 */
export const VitalBody = z
  .object({
    type: VitalTypeSchema,
    value: z.number().optional().describe('Every type but blood_pressure.'),
    systolic: z.number().optional().describe('blood_pressure only, mmHg.'),
    diastolic: z.number().optional().describe('blood_pressure only, mmHg; below systolic.'),
    unit: singleLine(32).min(1).optional().describe("Default: the type's canonical unit (mmHg, /min, mg/dL, kg, cm, Cel, %)."),
    context: z.enum(GLUCOSE_CONTEXTS).optional().describe('blood_glucose only.'),
    measuredAt: z.iso.datetime({ offset: true }).optional().describe('Default now; at most 5 minutes in the future.'),
    note: multiLine(NOTE_MAX).optional(),
    encounterId: Uuid.optional().describe('A visit of this patient (SPEC §10) it was taken at.'),
  })
  .strict()
export type VitalBodyInput = z.infer<typeof VitalBody>

export const VitalListQuery = z
  .object({
    type: VitalTypeSchema.optional(),
    from: DateOrInstant.optional().describe('Inclusive: a date (from its start, UTC) or an instant.'),
    to: DateOrInstant.optional().describe('Inclusive: a date (to its end, UTC) or an instant.'),
    ...ListQuery,
  })
  .strict()
export type VitalListInput = z.infer<typeof VitalListQuery>

export const TrendQuery = z
  .object({
    type: VitalTypeSchema,
    from: DateOrInstant.optional().describe('Inclusive; default 90 days before `to`.'),
    to: DateOrInstant.optional().describe('Inclusive; default now.'),
    bucket: z.enum(TREND_BUCKETS).default('week').describe('UTC calendar buckets (date_trunc); weeks start on Monday.'),
  })
  .strict()
export type TrendInput = z.infer<typeof TrendQuery>

const Role = z.enum(['patient', 'doctor', 'pharmacist', 'admin'])

export const Vital = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  type: VitalTypeSchema,
  loinc: z.string(),
  value: z.number().optional(),
  systolic: z.number().optional(),
  diastolic: z.number().optional(),
  unit: z.string().describe('The canonical unit (UCUM).'),
  context: z.enum(GLUCOSE_CONTEXTS).optional(),
  measuredAt: z.string(),
  recordedBy: z.object({ id: z.uuid(), role: Role, name: z.string() }).nullable(),
  source: z.enum(['manual', 'import']),
  note: z.string().optional(),
  flag: z.enum(VITAL_FLAGS),
  /** The visit it was taken at (SPEC §10), or null. */
  encounterId: z.uuid().nullable(),
})
export type VitalDto = z.infer<typeof Vital>

export const VitalPage = z.object({ items: z.array(Vital), nextCursor: z.string().nullable() })

const Stats = z.object({ min: z.number(), max: z.number(), mean: z.number() })
const ValueBucket = z.object({ bucketStart: z.string(), count: z.number().int(), min: z.number(), max: z.number(), mean: z.number() })
const PressureBucket = z.object({ bucketStart: z.string(), count: z.number().int(), systolic: Stats, diastolic: Stats })

export const Trend = z.object({
  type: VitalTypeSchema,
  unit: z.string(),
  bucket: z.enum(TREND_BUCKETS),
  from: z.string().describe('The window used (inclusive).'),
  to: z.string().describe('The window used (inclusive).'),
  items: z.array(z.union([ValueBucket, PressureBucket])).describe('Buckets with at least one reading, oldest first; mean rounded to 2 decimals.'),
})
export type TrendDto = z.infer<typeof Trend>

/** A vitals row with its recorder → `Vital` (SPEC §4.8). Absent optional fields are left out. */
export function toVitalDto(v: VitalView): VitalDto {
  const dto: VitalDto = {
    id: v.id,
    patientId: v.patientId,
    type: v.type as VitalType,
    loinc: v.loinc,
    unit: v.unit,
    measuredAt: toInstant(v.measuredAt),
    recordedBy: v.recordedBy && v.recorderRole && v.recorderName !== null ? { id: v.recordedBy, role: v.recorderRole, name: v.recorderName } : null,
    source: v.source,
    flag: v.flag as VitalFlag,
    encounterId: v.encounterId,
  }
  if (v.value !== null) dto.value = v.value
  if (v.systolic !== null) dto.systolic = v.systolic
  if (v.diastolic !== null) dto.diastolic = v.diastolic
  if (v.context !== null) dto.context = v.context as GlucoseContext
  if (v.note !== null) dto.note = v.note
  return dto
}

/** A bucket row of the trends query → one trend item (blood pressure: systolic and diastolic stats). */
export function toTrendItem(type: VitalType, r: TrendRow): TrendDto['items'][number] {
  const bucketStart = toInstant(r.bucketStart)
  const count = Number(r.count)
  if (type === 'blood_pressure') {
    return {
      bucketStart,
      count,
      systolic: { min: Number(r.minSystolic), max: Number(r.maxSystolic), mean: Number(r.meanSystolic) },
      diastolic: { min: Number(r.minDiastolic), max: Number(r.maxDiastolic), mean: Number(r.meanDiastolic) },
    }
  }
  return { bucketStart, count, min: Number(r.minValue), max: Number(r.maxValue), mean: Number(r.meanValue) }
}
