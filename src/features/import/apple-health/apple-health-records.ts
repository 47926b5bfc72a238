/**
 * Apple Health `export.xml` elements → CareLocker data (SPEC §9): `Record` attributes
 * (type, unit, value, startDate, endDate, sourceName) → a normalized vital of the SPEC §4.8
 * catalogue, blood-pressure `Correlation`s → one blood_pressure vital, `Me` → demographics.
 * Pure: no I/O. Unit strings are Apple's HKUnit spellings as the export writes them.
 */
import { createHash } from 'node:crypto'
import { ValidationError } from '../../../app/errors.js'
import type { ProfileRow } from '../../../db/schema.js'
import { normalizeVital, type VitalInput, type VitalType } from '../../vitals/vital-types.js'
import type { ImportedVitalInput } from '../../vitals/vitals.service.js'

/** Why an Apple Health element was not imported: stable strings (the import summary groups by them). */
export const APPLE_SKIP_REASON = {
  notVital: 'not one of the tracked vital signs',
  badUnit: 'vital sign in a unit that does not fit its type',
  implausible: 'vital sign value outside the plausible range',
  noValue: 'vital sign without a numeric value',
  noTime: 'vital sign without a readable start date',
  loneBloodPressure: 'systolic or diastolic alone: blood pressure is taken from its correlation',
  incompleteBloodPressure: 'blood-pressure correlation without one systolic and one diastolic value',
} as const

export const BP_CORRELATION = 'HKCorrelationTypeIdentifierBloodPressure'
export const BP_SYSTOLIC = 'HKQuantityTypeIdentifierBloodPressureSystolic'
export const BP_DIASTOLIC = 'HKQuantityTypeIdentifierBloodPressureDiastolic'

/** A value in an Apple unit → the value and a unit the vitals catalogue accepts. */
type AppleUnit = (v: number) => { value: number; unit: string }
const as = (unit: string, scale = 1): AppleUnit => (v) => ({ value: v * scale, unit })

/**
 * Apple quantity types kept as vitals, with the units the export writes (HKUnit strings).
 * Heights in ft are converted here (30.48 cm, international foot); body mass in stones
 * (6.35029318 kg); oxygen saturation is a fraction 0–1 with unit `%` in HealthKit, so ×100.
 * Blood glucose `mmol<180.1558800000541>/L` is HKUnit's molar unit with glucose's molar mass.
 */
const APPLE_VITALS: Readonly<Record<string, { type: VitalType; units: Readonly<Record<string, AppleUnit>> }>> = {
  HKQuantityTypeIdentifierHeartRate: { type: 'heart_rate', units: { 'count/min': as('/min') } },
  HKQuantityTypeIdentifierRespiratoryRate: { type: 'respiratory_rate', units: { 'count/min': as('/min') } },
  HKQuantityTypeIdentifierBodyMass: { type: 'body_weight', units: { kg: as('kg'), g: as('g'), lb: as('lb'), st: as('kg', 6.35029318) } },
  HKQuantityTypeIdentifierHeight: { type: 'body_height', units: { cm: as('cm'), m: as('m'), mm: as('mm'), in: as('in'), ft: as('cm', 30.48) } },
  HKQuantityTypeIdentifierBloodGlucose: { type: 'blood_glucose', units: { 'mg/dL': as('mg/dL'), 'mmol<180.1558800000541>/L': as('mmol/L'), 'mmol/L': as('mmol/L') } },
  HKQuantityTypeIdentifierOxygenSaturation: { type: 'oxygen_saturation', units: { '%': as('%', 100) } },
  HKQuantityTypeIdentifierBodyTemperature: { type: 'body_temperature', units: { degC: as('degC'), degF: as('degF') } },
}

/** The attributes of an Apple `Record` (or `Correlation`) that the import reads. */
export interface AppleRecord {
  type: string
  unit?: string | undefined
  value?: string | undefined
  startDate?: string | undefined
  endDate?: string | undefined
  sourceName?: string | undefined
}

/** A vital to insert, or the reason it is skipped (grouped under `type` in the summary). */
export type AppleOutcome = { vital: ImportedVitalInput } | { skip: string }

/** `2019-08-10 14:10:00 +0200` (Apple's export format) → `2019-08-10T12:10:00.000Z`; undefined when it is not that shape or not a real date. */
export function appleDateToIso(text: string | undefined): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text?.trim() ?? '')
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3]}${m[4]}:${m[5]}`)
  // A fresh string, in UTC: one made of slices of the parser's chunk would keep the whole chunk alive with the batch.
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/**
 * The import key of a reading (SPEC §4.4 idempotence): `apple:` + sha256 of its type, dates,
 * value(s), unit and source, so the same export imported twice adds nothing.
 */
export function appleSourceRef(parts: (string | undefined)[]): string {
  return `apple:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`
}

/** normalizeVital, its 400 turned into a skip reason (a bad reading in an export is reported, not fatal). */
function normalized(input: VitalInput, measuredAt: string, sourceRef: string): AppleOutcome {
  try {
    const v = normalizeVital(input)
    // A literal of one fixed shape (no spread): the batch holds hundreds of these while the parser reads on.
    const vital: ImportedVitalInput = { type: v.type, loinc: v.loinc, unit: v.unit, flag: v.flag, measuredAt, sourceRef }
    if (v.value !== undefined) vital.value = v.value
    if (v.systolic !== undefined) vital.systolic = v.systolic
    if (v.diastolic !== undefined) vital.diastolic = v.diastolic
    return { vital }
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    return { skip: err.errors?.some((e) => e.path === '/unit') ? APPLE_SKIP_REASON.badUnit : APPLE_SKIP_REASON.implausible }
  }
}

const numberOf = (text: string | undefined): number | undefined => {
  if (text === undefined || text.trim() === '') return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

/** One `Record` outside any correlation → a vital, or why not (a lone systolic/diastolic never is: see {@link mapBloodPressure}). */
export function mapAppleRecord(r: AppleRecord): AppleOutcome {
  if (r.type === BP_SYSTOLIC || r.type === BP_DIASTOLIC) return { skip: APPLE_SKIP_REASON.loneBloodPressure }
  const def = APPLE_VITALS[r.type]
  if (!def) return { skip: APPLE_SKIP_REASON.notVital }
  const measuredAt = appleDateToIso(r.startDate)
  if (!measuredAt) return { skip: APPLE_SKIP_REASON.noTime }
  const raw = numberOf(r.value)
  if (raw === undefined) return { skip: APPLE_SKIP_REASON.noValue }
  const convert = def.units[r.unit ?? '']
  if (!convert) return { skip: APPLE_SKIP_REASON.badUnit }
  const { value, unit } = convert(raw)
  return normalized({ type: def.type, value, unit }, measuredAt, appleSourceRef([r.type, r.startDate, r.endDate, r.value, r.unit, r.sourceName]))
}

/**
 * A `Correlation type="HKCorrelationTypeIdentifierBloodPressure"` and the Records inside it →
 * ONE blood_pressure vital (SPEC §4.4: a panel is one vital). Needs exactly one systolic and
 * one diastolic in mmHg.
 */
export function mapBloodPressure(correlation: AppleRecord, inner: AppleRecord[]): AppleOutcome {
  const measuredAt = appleDateToIso(correlation.startDate)
  if (!measuredAt) return { skip: APPLE_SKIP_REASON.noTime }
  const systolic = inner.filter((r) => r.type === BP_SYSTOLIC)
  const diastolic = inner.filter((r) => r.type === BP_DIASTOLIC)
  if (systolic.length !== 1 || diastolic.length !== 1) return { skip: APPLE_SKIP_REASON.incompleteBloodPressure }
  const [s, d] = [systolic[0]!, diastolic[0]!]
  const sv = numberOf(s.value)
  const dv = numberOf(d.value)
  if (sv === undefined || dv === undefined) return { skip: APPLE_SKIP_REASON.noValue }
  if (s.unit !== d.unit) return { skip: APPLE_SKIP_REASON.badUnit }
  const ref = appleSourceRef([correlation.type, correlation.startDate, correlation.endDate, s.value, d.value, s.unit, correlation.sourceName])
  return normalized({ type: 'blood_pressure', systolic: sv, diastolic: dv, unit: s.unit ?? '' }, measuredAt, ref)
}

/** What `Me` says about the patient, in the profile's terms (absent when "not set"). */
export interface AppleDemographics {
  dateOfBirth?: string | undefined
  sex?: NonNullable<ProfileRow['sex']> | undefined
  bloodGroup?: string | undefined
}

const SEXES: Readonly<Record<string, NonNullable<ProfileRow['sex']>>> = {
  HKBiologicalSexFemale: 'female',
  HKBiologicalSexMale: 'male',
  HKBiologicalSexOther: 'other',
}

const BLOOD_TYPES: Readonly<Record<string, string>> = {
  HKBloodTypeAPositive: 'A+', HKBloodTypeANegative: 'A-',
  HKBloodTypeBPositive: 'B+', HKBloodTypeBNegative: 'B-',
  HKBloodTypeABPositive: 'AB+', HKBloodTypeABNegative: 'AB-',
  HKBloodTypeOPositive: 'O+', HKBloodTypeONegative: 'O-',
}

/**
 * The `Me` element's attributes (HKCharacteristicTypeIdentifierDateOfBirth `YYYY-MM-DD`,
 * …BiologicalSex `HKBiologicalSexMale`…, …BloodType `HKBloodTypeANegative`…) → demographics.
 * "NotSet" values, empty strings and unknown spellings give nothing. Apple has no name.
 */
export function mapAppleMe(attributes: Readonly<Record<string, string>>): AppleDemographics {
  const dob = attributes.HKCharacteristicTypeIdentifierDateOfBirth?.trim()
  const validDob = dob && /^\d{4}-\d{2}-\d{2}$/.test(dob) && !Number.isNaN(Date.parse(`${dob}T00:00:00Z`)) ? dob : undefined
  return {
    dateOfBirth: validDob,
    sex: SEXES[attributes.HKCharacteristicTypeIdentifierBiologicalSex ?? ''],
    bloodGroup: BLOOD_TYPES[attributes.HKCharacteristicTypeIdentifierBloodType ?? ''],
  }
}
