/**
 * The deterministic rules behind the health summary (SPEC §4.8). Pure: no database, no clock,
 * no HTTP. The same facts give byte-identical `text` and `highlights`: every list is sorted,
 * numbers have a fixed number of decimals per unit, dates are absolute UTC calendar dates
 * (never "3 days ago"), and the 90-day window starts at a UTC midnight, so it only moves
 * when the date changes.
 *
 * Sources, per rule (adult thresholds):
 * - Blood pressure category: 2017 ACC/AHA High Blood Pressure Guideline (Whelton et al.,
 *   Hypertension 2018;71:e13–e115), plus the customary 90/60 mmHg hypotension limit (AHA).
 * - Glucose: ADA Standards of Care in Diabetes—2025 (Diabetes Care 48, Suppl. 1), section 2
 *   (diagnosis: fasting, 2-h and random plasma glucose) and section 6 (glycemic goals,
 *   hypoglycemia levels; A1C at least twice a year).
 * - SpO₂: BTS guideline for oxygen use in adults (O'Driscoll et al., Thorax 2017) and NEWS2.
 * - Heart rate, temperature, respiratory rate: NEWS2 (Royal College of Physicians 2017) and the
 *   ACC/AHA/HRS brady-/tachycardia limits, via the vitals catalogue's `flagVital`.
 * - Trends: ordinary least squares over the readings of the last 90 days (thresholds below).
 */
import { VITAL_TYPES, flagVital, type GlucoseContext, type VitalFlag, type VitalType } from '../vitals/vital-types.js'

export type Severity = 'info' | 'warning' | 'critical'
export type EvidenceType = 'vital' | 'record' | 'condition' | 'allergy' | 'medication'

export interface Evidence {
  type: EvidenceType
  id: string
}

export interface Highlight {
  severity: Severity
  message: string
  evidence: Evidence[]
}

/** A reading in its canonical unit (SPEC §4.8 table). */
export interface SummaryVital {
  id: string
  type: VitalType
  value: number | null
  systolic: number | null
  diastolic: number | null
  context: GlucoseContext | null
  measuredAt: Date
}

export interface SummaryRecord {
  id: string
  title: string | null
  category: string
  /** `YYYY-MM-DD`. */
  recordDate: string
}

/**
 * Exact sufficient statistics of a least-squares line: `n` points with x in whole seconds
 * since the window start and y in hundredths of the canonical unit, all sums as integers.
 */
export interface LeastSquaresSums {
  n: number
  x: bigint
  y: bigint
  xx: bigint
  xy: bigint
}

/** One type's readings in the 90-day window, summarized for its trend (see `trendSeriesOf`). */
export interface TrendSeries {
  type: VitalType
  count: number
  first: { id: string; measuredAt: Date }
  last: { id: string; measuredAt: Date }
  /** y = the value; for blood pressure, systolic. */
  sums: LeastSquaresSums
  /** Blood pressure only: y = diastolic. */
  diastolic?: LeastSquaresSums | undefined
}

/** What the rules read; profile lists as stored (SPEC §4.2). */
export interface SummaryFacts {
  /** The reference instant; the 90-day window ends at it and starts 90 days before its UTC midnight. */
  asOf: Date
  /** The latest readings of each type at any date (at least GLUCOSE_HISTORY for glucose); order does not matter. */
  vitals: SummaryVital[]
  /** One series per type with readings in the window; order does not matter. */
  trends: TrendSeries[]
  allergies: { id: string; substance: string; reaction?: string | undefined; severity?: 'mild' | 'moderate' | 'severe' | undefined }[]
  conditions: { id: string; name: string; status?: 'active' | 'resolved' | undefined; since?: string | undefined }[]
  medications: { id: string; name: string; dosage?: string | undefined; frequency?: string | undefined }[]
  /** Live records dated within the window (more are ignored). */
  records: SummaryRecord[]
}

export interface RulesSummary {
  text: string
  highlights: Highlight[]
}

// ---------------------------------------------------------------------------------------
// Formatting (fixed, locale-free)

const DAY_MS = 86_400_000
/** The summary's look-back (SPEC §4.8: 90-day trends, records of the last 90 days). */
export const WINDOW_DAYS = 90
/** How many of the most recent glucose readings make the glucose history. */
export const GLUCOSE_HISTORY = 20
/** At most this many records are named in the records highlight (all are cited as evidence). */
const RECORDS_NAMED = 10

const LABEL: Record<VitalType, string> = {
  blood_pressure: 'Blood pressure',
  heart_rate: 'Heart rate',
  blood_glucose: 'Blood glucose',
  body_weight: 'Body weight',
  body_height: 'Body height',
  body_temperature: 'Body temperature',
  oxygen_saturation: 'Oxygen saturation (SpO₂)',
  respiratory_rate: 'Respiratory rate',
}
/** The label inside a sentence (keeps the SpO₂ abbreviation's case). */
const lowerLabel = (t: VitalType) => LABEL[t].charAt(0).toLowerCase() + LABEL[t].slice(1)
const UNIT: Record<VitalType, string> = {
  blood_pressure: 'mmHg',
  heart_rate: '/min',
  blood_glucose: 'mg/dL',
  body_weight: 'kg',
  body_height: 'cm',
  body_temperature: '°C',
  oxygen_saturation: '%',
  respiratory_rate: '/min',
}
/** Decimals shown per type: what the measurement's precision supports. */
const DECIMALS: Record<VitalType, number> = {
  blood_pressure: 0,
  heart_rate: 0,
  blood_glucose: 0,
  body_weight: 1,
  body_height: 1,
  body_temperature: 1,
  oxygen_saturation: 0,
  respiratory_rate: 0,
}

/** `v` with `d` decimals; never "-0". */
export function formatNumber(v: number, d: number): string {
  const s = v.toFixed(d)
  return Number(s) === 0 ? (0).toFixed(d) : s
}
const signed = (v: number, d: number) => {
  const s = formatNumber(v, d)
  return Number(s) > 0 ? `+${s}` : s
}
const amount = (type: VitalType, v: number) => `${formatNumber(v, DECIMALS[type])} ${UNIT[type]}`
const bp = (s: number, d: number) => `${formatNumber(s, 0)}/${formatNumber(d, 0)} mmHg`
const dateOf = (d: Date) => d.toISOString().slice(0, 10)
const byText = (a: string, b: string) => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0
}
const byTime = (a: SummaryVital, b: SummaryVital) => a.measuredAt.getTime() - b.measuredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const vitalEvidence = (vs: SummaryVital[]): Evidence[] => vs.map((v) => ({ type: 'vital', id: v.id }))
const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
const worst = (...s: Severity[]): Severity => s.reduce((a, b) => (RANK[b] < RANK[a] ? b : a), 'info')

/** The first instant of the window: 90 days before the UTC midnight of `asOf`. */
export function windowStart(asOf: Date): Date {
  const midnight = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate())
  return new Date(midnight - WINDOW_DAYS * DAY_MS)
}

// ---------------------------------------------------------------------------------------
// Blood pressure

export type BloodPressureCategory = 'normal' | 'elevated' | 'stage 1 hypertension' | 'stage 2 hypertension' | 'hypertensive crisis' | 'low'

/**
 * ACC/AHA 2017 category of one reading (Whelton et al. 2018, table 6; when systolic and
 * diastolic fall in different categories the higher one counts): crisis systolic > 180 and/or
 * diastolic > 120 → critical; stage 2 ≥ 140 or ≥ 90 and stage 1 130–139 or 80–89 → warning;
 * elevated 120–129 with < 80 and normal < 120 with < 80 → info. Below the hypertension
 * categories, systolic < 90 or diastolic < 60 is low blood pressure (AHA) → warning.
 */
export function bloodPressureCategory(systolic: number, diastolic: number): { category: BloodPressureCategory; severity: Severity; rule: string } {
  if (systolic > 180 || diastolic > 120) return { category: 'hypertensive crisis', severity: 'critical', rule: 'above 180 and/or 120 mmHg' }
  if (systolic >= 140 || diastolic >= 90) return { category: 'stage 2 hypertension', severity: 'warning', rule: '≥ 140 or ≥ 90 mmHg' }
  if (systolic >= 130 || diastolic >= 80) return { category: 'stage 1 hypertension', severity: 'warning', rule: '130–139 or 80–89 mmHg' }
  if (systolic < 90 || diastolic < 60) return { category: 'low', severity: 'warning', rule: 'below 90/60 mmHg' }
  if (systolic >= 120) return { category: 'elevated', severity: 'info', rule: '120–129 and < 80 mmHg' }
  return { category: 'normal', severity: 'info', rule: '< 120 and < 80 mmHg' }
}

function bloodPressureHighlight(latest: SummaryVital | undefined): Highlight | undefined {
  if (!latest || latest.systolic === null || latest.diastolic === null) return undefined
  const c = bloodPressureCategory(latest.systolic, latest.diastolic)
  return {
    severity: c.severity,
    message: `Latest blood pressure ${bp(latest.systolic, latest.diastolic)} on ${dateOf(latest.measuredAt)}: ${c.category} (ACC/AHA 2017: ${c.rule}).`,
    evidence: vitalEvidence([latest]),
  }
}

// ---------------------------------------------------------------------------------------
// Glucose

/**
 * ADA Standards of Care (2025) reading of one plasma glucose in mg/dL. For everyone: < 54
 * level 2 hypoglycemia → critical, < 70 level 1 → warning, ≥ 400 → critical (a common
 * laboratory critical value, as in `flagVital`). Without diabetes (section 2): fasting 100–125
 * impaired fasting glucose, ≥ 126 diabetes range; postprandial (2-h) 140–199 impaired glucose
 * tolerance, ≥ 200 diabetes range; random or unrecorded context ≥ 200 diabetes range (with
 * symptoms) → warning; otherwise info. With diabetes (section 6 goals for many nonpregnant
 * adults): fasting/preprandial 80–130, postprandial peak < 180; with the context unrecorded,
 * ≥ 180 is above both goals → warning, 80–179 info.
 */
export function glucoseAssessment(value: number, context: GlucoseContext | null, diabetes: boolean): { severity: Severity; reading: string } {
  if (value < 54) return { severity: 'critical', reading: 'level 2 hypoglycemia (< 54 mg/dL)' }
  if (value < 70) return { severity: 'warning', reading: 'level 1 hypoglycemia (54–69 mg/dL)' }
  if (value >= 400) return { severity: 'critical', reading: 'severe hyperglycemia (≥ 400 mg/dL)' }
  if (diabetes) {
    if (context === 'fasting') {
      if (value > 130) return { severity: 'warning', reading: 'above the preprandial goal of 80–130 mg/dL' }
      if (value < 80) return { severity: 'warning', reading: 'below the preprandial goal of 80–130 mg/dL' }
      return { severity: 'info', reading: 'within the preprandial goal of 80–130 mg/dL' }
    }
    if (context === 'postprandial') {
      if (value >= 180) return { severity: 'warning', reading: 'above the postprandial goal of < 180 mg/dL' }
      return { severity: 'info', reading: 'within the postprandial goal of < 180 mg/dL' }
    }
    if (value >= 180) return { severity: 'warning', reading: 'above the preprandial (80–130) and postprandial (< 180 mg/dL) goals' }
    if (value > 130) return { severity: 'info', reading: 'within the postprandial goal (< 180 mg/dL), above the preprandial goal (80–130 mg/dL)' }
    if (value < 80) return { severity: 'info', reading: 'below the preprandial goal of 80–130 mg/dL' }
    return { severity: 'info', reading: 'within the preprandial goal of 80–130 mg/dL' }
  }
  if (context === 'fasting') {
    if (value >= 126) return { severity: 'warning', reading: 'in the diabetes range for fasting glucose (≥ 126 mg/dL)' }
    if (value >= 100) return { severity: 'warning', reading: 'impaired fasting glucose (100–125 mg/dL)' }
    return { severity: 'info', reading: 'normal fasting glucose (70–99 mg/dL)' }
  }
  if (context === 'postprandial') {
    if (value >= 200) return { severity: 'warning', reading: 'in the diabetes range for 2-h glucose (≥ 200 mg/dL)' }
    if (value >= 140) return { severity: 'warning', reading: 'impaired glucose tolerance range (140–199 mg/dL)' }
    return { severity: 'info', reading: 'normal postprandial glucose (< 140 mg/dL)' }
  }
  if (value >= 200) return { severity: 'warning', reading: 'in the diabetes range for a random glucose (≥ 200 mg/dL)' }
  return { severity: 'info', reading: 'below the 200 mg/dL random-glucose diagnostic threshold' }
}

/** A condition that means diabetes mellitus (not prediabetes): its name says "diabetes"/"diabetic". */
export const isDiabetesCondition = (name: string): boolean => /\bdiabet/i.test(name)

function glucoseHighlight(readings: SummaryVital[], diabetes: SummaryFacts['conditions']): Highlight | undefined {
  const history = readings.slice(-GLUCOSE_HISTORY)
  const conditionEvidence: Evidence[] = diabetes.map((c) => ({ type: 'condition', id: c.id }))
  const diabetesText = diabetes.length > 0 ? ` Diabetes on the active condition list: ${diabetes.map((c) => c.name).join('; ')}.` : ''
  const a1c = diabetes.length > 0 ? ' No HbA1c results are stored in CareLocker (ADA: A1C at least twice a year).' : ''
  const latest = history[history.length - 1]
  if (!latest || latest.value === null) {
    if (diabetes.length === 0) return undefined
    return {
      severity: 'warning',
      message: `No blood glucose readings are recorded.${diabetesText}${a1c}`,
      evidence: conditionEvidence,
    }
  }
  const values = history.map((v) => v.value ?? 0)
  const assessment = glucoseAssessment(latest.value, latest.context, diabetes.length > 0)
  const outOfRange = history.filter((v) => flagOf(v) !== 'normal').length
  const first = history[0] ?? latest
  const contextText = latest.context ? `${latest.context}` : 'context not recorded'
  const historyText =
    history.length > 1
      ? ` History: ${history.length} readings from ${dateOf(first.measuredAt)} to ${dateOf(latest.measuredAt)}, ` +
        `${amount('blood_glucose', Math.min(...values))} to ${amount('blood_glucose', Math.max(...values))}, ` +
        `mean ${amount('blood_glucose', values.reduce((s, v) => s + v, 0) / values.length)}; ${outOfRange} flagged outside the normal range.`
      : ''
  return {
    // A diabetic patient's glucose is always worth a look: at least a warning.
    severity: worst(assessment.severity, diabetes.length > 0 ? 'warning' : 'info'),
    message:
      `Latest blood glucose ${amount('blood_glucose', latest.value)} on ${dateOf(latest.measuredAt)} (${contextText}): ` +
      `${assessment.reading} (ADA Standards of Care).${historyText}${diabetesText}${a1c}`,
    evidence: [...vitalEvidence([...history].reverse()), ...conditionEvidence],
  }
}

// ---------------------------------------------------------------------------------------
// Other latest readings

const flagOf = (v: SummaryVital): VitalFlag =>
  flagVital({ type: v.type, value: v.value ?? undefined, systolic: v.systolic ?? undefined, diastolic: v.diastolic ?? undefined, context: v.context ?? undefined })

const severityOfFlag = (f: VitalFlag): Severity => (f === 'critical' ? 'critical' : f === 'normal' ? 'info' : 'warning')

/**
 * SpO₂ (BTS 2017: target 94–98 %; NEWS2) → critical < 90 %, warning 90–93 %, info ≥ 94 %.
 * Heart rate (NEWS2 score 3 at ≤ 40 and ≥ 131 /min; ACC/AHA/HRS: tachycardia > 100, bradycardia
 * < 50) → critical, warning, info 50–100 /min. Always reported when there is a reading.
 */
function latestReadingHighlight(type: 'oxygen_saturation' | 'heart_rate', latest: SummaryVital | undefined): Highlight | undefined {
  if (!latest || latest.value === null) return undefined
  const flag = flagOf(latest)
  const reading =
    type === 'oxygen_saturation'
      ? { critical: 'critically low (< 90 %)', low: 'below the BTS target of 94–98 %', high: 'high', normal: 'within the BTS target (≥ 94 %)' }[flag]
      : {
          critical: latest.value <= 40 ? 'critically low (≤ 40 /min, NEWS2)' : 'critically high (≥ 131 /min, NEWS2)',
          low: 'bradycardia (< 50 /min)',
          high: 'tachycardia (> 100 /min)',
          normal: 'normal (50–100 /min)',
        }[flag]
  return {
    severity: severityOfFlag(flag),
    message: `Latest ${lowerLabel(type)} ${amount(type, latest.value)} on ${dateOf(latest.measuredAt)}: ${reading}.`,
    evidence: vitalEvidence([latest]),
  }
}

/** Body temperature and respiratory rate: reported only when the latest reading is flagged (NEWS2 bands, `flagVital`). */
function flaggedReadingHighlight(type: 'body_temperature' | 'respiratory_rate', latest: SummaryVital | undefined): Highlight | undefined {
  if (!latest || latest.value === null) return undefined
  const flag = flagOf(latest)
  if (flag === 'normal') return undefined
  const band =
    type === 'body_temperature'
      ? { critical: '≤ 35.0 or > 40.0 °C', high: '≥ 38.1 °C', low: '≤ 36.0 °C' }[flag]
      : { critical: '≤ 8 or ≥ 25 /min', high: '21–24 /min', low: '9–11 /min' }[flag]
  return {
    severity: severityOfFlag(flag),
    message: `Latest ${lowerLabel(type)} ${amount(type, latest.value)} on ${dateOf(latest.measuredAt)}: ${flag} (NEWS2: ${band}).`,
    evidence: vitalEvidence([latest]),
  }
}

// ---------------------------------------------------------------------------------------
// Trends

/**
 * The change over the window that counts as a direction, in the canonical unit, judged on the
 * fitted line (slope × days between the first and last reading). Below it the trend is
 * "stable". Blood pressure is judged on systolic.
 */
export const TREND_THRESHOLDS: Readonly<Record<VitalType, number>> = {
  blood_pressure: 5,
  heart_rate: 5,
  blood_glucose: 10,
  body_weight: 2,
  body_height: 1,
  body_temperature: 0.5,
  oxygen_saturation: 2,
  respiratory_rate: 3,
}
/** A trend needs at least this many readings on at least two days, this many days apart. */
export const TREND_MIN_READINGS = 3
export const TREND_MIN_SPAN_DAYS = 7

/** Directions that mean "worse" for each type; the other direction, and stable, are info. */
const ADVERSE: Partial<Record<VitalType, 'rising' | 'falling'>> = {
  blood_pressure: 'rising',
  heart_rate: 'rising',
  blood_glucose: 'rising',
  body_temperature: 'rising',
  respiratory_rate: 'rising',
  oxygen_saturation: 'falling',
}

/**
 * Exact sums of integer points `(x, y)` for a least-squares fit (see `slopeOf`). Throws on a
 * non-integer coordinate: callers scale to whole seconds and hundredths first.
 */
export function leastSquaresSums(points: readonly { x: number; y: number }[]): LeastSquaresSums {
  const s: LeastSquaresSums = { n: points.length, x: 0n, y: 0n, xx: 0n, xy: 0n }
  for (const p of points) {
    const x = BigInt(p.x)
    const y = BigInt(p.y)
    s.x += x
    s.y += y
    s.xx += x * x
    s.xy += x * y
  }
  return s
}

/**
 * Ordinary least-squares slope from exact sums: (nΣxy − ΣxΣy) / (nΣx² − (Σx)²), numerator and
 * denominator computed exactly in integers, so the result only depends on the data, never on
 * the order in which it was summed. Undefined with fewer than 2 points or a single x.
 */
export function slopeOf(s: LeastSquaresSums): number | undefined {
  if (s.n < 2) return undefined
  const n = BigInt(s.n)
  const den = n * s.xx - s.x * s.x
  if (den === 0n) return undefined
  return Number(n * s.xy - s.x * s.y) / Number(den)
}

/** Whole seconds since `start` (floored), as the database computes x for `windowSums`. */
const secondsSince = (at: Date, start: Date) => Math.floor(at.getTime() / 1000) - Math.floor(start.getTime() / 1000)
const hundredths = (v: number) => Math.round(v * 100)

/**
 * The trend series of `readings` (one type, all within the window that starts at `start`),
 * computed in JavaScript exactly as the vitals service computes it in SQL: x = whole seconds
 * since `start`, y = value (blood pressure: systolic; plus a diastolic series) in hundredths.
 * Undefined when there is no reading.
 */
export function trendSeriesOf(type: VitalType, readings: readonly SummaryVital[], start: Date): TrendSeries | undefined {
  const sorted = readings.filter((v) => (type === 'blood_pressure' ? v.systolic : v.value) !== null).sort(byTime)
  const first = sorted[0]
  const last = sorted[sorted.length - 1]
  if (!first || !last) return undefined
  const x = (v: SummaryVital) => secondsSince(v.measuredAt, start)
  const series: TrendSeries = {
    type,
    count: sorted.length,
    first: { id: first.id, measuredAt: first.measuredAt },
    last: { id: last.id, measuredAt: last.measuredAt },
    sums: leastSquaresSums(sorted.map((v) => ({ x: x(v), y: hundredths((type === 'blood_pressure' ? v.systolic : v.value) as number) }))),
  }
  if (type === 'blood_pressure') series.diastolic = leastSquaresSums(sorted.map((v) => ({ x: x(v), y: hundredths(v.diastolic ?? 0) })))
  return series
}

export type TrendDirection = 'rising' | 'falling' | 'stable'

/** `change` ≥ threshold → rising, ≤ −threshold → falling, otherwise stable. */
export const trendDirection = (change: number, threshold: number): TrendDirection =>
  change >= threshold ? 'rising' : change <= -threshold ? 'falling' : 'stable'

/** Slope in canonical units per day, from sums in hundredths per second. */
const perDay = (s: LeastSquaresSums) => {
  const slope = slopeOf(s)
  return slope === undefined ? undefined : (slope * 86_400) / 100
}

/**
 * The 90-day trend of one type by ordinary least squares over its readings (x = time, y = the
 * value; blood pressure: systolic, with diastolic reported alongside); fitted change = slope ×
 * days between the first and last reading. Needs TREND_MIN_READINGS readings spanning
 * TREND_MIN_SPAN_DAYS. An adverse direction (rising pressure, heart rate, glucose,
 * temperature, respiratory rate; falling SpO₂) is a warning.
 */
function trendHighlight(series: TrendSeries | undefined): Highlight | undefined {
  if (!series || series.count < TREND_MIN_READINGS) return undefined
  const { type, first, last } = series
  const span = (last.measuredAt.getTime() - first.measuredAt.getTime()) / DAY_MS
  if (span < TREND_MIN_SPAN_DAYS) return undefined
  const slope = perDay(series.sums)
  if (slope === undefined) return undefined
  const change = slope * span
  const threshold = TREND_THRESHOLDS[type]
  const direction = trendDirection(change, threshold)
  const d = DECIMALS[type] + 1
  let detail = `fitted change ${signed(change, d)} ${UNIT[type]}`
  if (type === 'blood_pressure') {
    const dia = series.diastolic ? perDay(series.diastolic) : undefined
    detail = `fitted systolic change ${signed(change, d)} mmHg` + (dia === undefined ? '' : `, diastolic ${signed(dia * span, d)} mmHg`)
  }
  return {
    severity: ADVERSE[type] === direction ? 'warning' : 'info',
    message:
      `${LABEL[type]} over the last ${WINDOW_DAYS} days: ${direction}, ${detail} across ${formatNumber(span, 0)} days ` +
      `(${series.count} readings, ${dateOf(first.measuredAt)} to ${dateOf(last.measuredAt)}; least-squares slope, ` +
      `threshold ±${formatNumber(threshold, DECIMALS[type] === 0 ? 0 : 1)} ${UNIT[type]}).`,
    evidence: [
      { type: 'vital', id: first.id },
      { type: 'vital', id: last.id },
    ],
  }
}

// ---------------------------------------------------------------------------------------
// Profile and records

/** SNOMED CT semantic tags of things that are not disorders: listed apart from the conditions. */
const FINDING_TAG = /\((finding|situation)\)\s*$/i

function profileHighlights(facts: SummaryFacts): Highlight[] {
  const out: Highlight[] = []
  const sortedBy = <T extends { id: string }>(items: T[], key: (t: T) => string) => [...items].sort((a, b) => byText(key(a), key(b)) || byText(a.id, b.id))

  const severe = sortedBy(facts.allergies.filter((a) => a.severity === 'severe'), (a) => a.substance)
  if (severe.length > 0) {
    out.push({
      severity: 'warning',
      message: `Severe allergies (${severe.length}): ${severe.map((a) => (a.reaction ? `${a.substance} (${a.reaction})` : a.substance)).join('; ')}.`,
      evidence: severe.map((a) => ({ type: 'allergy', id: a.id })),
    })
  }
  const other = sortedBy(facts.allergies.filter((a) => a.severity !== 'severe'), (a) => a.substance)
  if (other.length > 0) {
    out.push({
      severity: 'info',
      message: `Other allergies (${other.length}): ${other.map((a) => `${a.substance} (${a.severity ?? 'severity not recorded'})`).join('; ')}.`,
      evidence: other.map((a) => ({ type: 'allergy', id: a.id })),
    })
  }
  const active = sortedBy(facts.conditions.filter((c) => c.status !== 'resolved'), (c) => c.name)
  const disorders = active.filter((c) => !FINDING_TAG.test(c.name))
  const findings = active.filter((c) => FINDING_TAG.test(c.name))
  const since = (c: { since?: string | undefined }) => (c.since ? ` since ${c.since}` : '')
  if (disorders.length > 0) {
    out.push({
      severity: 'info',
      message: `Active conditions (${disorders.length}): ${disorders.map((c) => `${c.name}${since(c)}`).join('; ')}.`,
      evidence: disorders.map((c) => ({ type: 'condition', id: c.id })),
    })
  }
  if (findings.length > 0) {
    out.push({
      severity: 'info',
      message: `Other active findings and situations (${findings.length}): ${findings.map((c) => `${c.name}${since(c)}`).join('; ')}.`,
      evidence: findings.map((c) => ({ type: 'condition', id: c.id })),
    })
  }
  const meds = sortedBy(facts.medications, (m) => m.name)
  if (meds.length > 0) {
    const describe = (m: SummaryFacts['medications'][number]) => [m.name, m.dosage, m.frequency].filter(Boolean).join(', ')
    out.push({
      severity: 'info',
      message: `Current medications (${meds.length}): ${meds.map(describe).join('; ')}.`,
      evidence: meds.map((m) => ({ type: 'medication', id: m.id })),
    })
  }
  return out
}

function recordsHighlight(records: SummaryRecord[], from: string): Highlight | undefined {
  const recent = records
    .filter((r) => r.recordDate >= from)
    .sort((a, b) => (a.recordDate < b.recordDate ? 1 : a.recordDate > b.recordDate ? -1 : byText(a.id, b.id)))
  if (recent.length === 0) return undefined
  const named = recent.slice(0, RECORDS_NAMED).map((r) => `${r.recordDate} ${r.category.replace(/_/g, ' ')}${r.title ? ` "${r.title}"` : ''}`)
  const more = recent.length > RECORDS_NAMED ? `; and ${recent.length - RECORDS_NAMED} more` : ''
  return {
    severity: 'info',
    message: `Records dated since ${from} (${recent.length}): ${named.join('; ')}${more}.`,
    evidence: recent.map((r) => ({ type: 'record', id: r.id })),
  }
}

// ---------------------------------------------------------------------------------------
// The summary

/**
 * The rules summary of SPEC §4.8: highlights for the latest blood pressure (ACC/AHA 2017), the
 * latest glucose and glucose history (ADA 2025; diabetes from the active condition list), the
 * latest SpO₂ and heart rate, a flagged latest temperature or respiratory rate, the 90-day trend
 * of every type with enough readings, severe and other allergies, active conditions (disorders,
 * then findings), current medications and records of the last 90 days — each citing its
 * evidence `{type, id}`. Sorted by severity (critical, warning, info), then by the order above.
 * `text` lists the same highlights, one per line, after a count line.
 */
export function summarizeByRules(facts: SummaryFacts): RulesSummary {
  const start = windowStart(facts.asOf)
  const vitals = [...facts.vitals].sort(byTime)
  const byType = new Map<VitalType, SummaryVital[]>(VITAL_TYPES.map((t) => [t, []]))
  for (const v of vitals) byType.get(v.type)?.push(v)
  const latest = (t: VitalType) => byType.get(t)?.at(-1)
  const activeDiabetes = facts.conditions
    .filter((c) => c.status !== 'resolved' && isDiabetesCondition(c.name))
    .sort((a, b) => byText(a.name, b.name) || byText(a.id, b.id))

  const ordered: (Highlight | undefined)[] = [
    bloodPressureHighlight(latest('blood_pressure')),
    glucoseHighlight(byType.get('blood_glucose') ?? [], activeDiabetes),
    latestReadingHighlight('oxygen_saturation', latest('oxygen_saturation')),
    latestReadingHighlight('heart_rate', latest('heart_rate')),
    flaggedReadingHighlight('body_temperature', latest('body_temperature')),
    flaggedReadingHighlight('respiratory_rate', latest('respiratory_rate')),
  ]
  if (vitals.length > 0 && facts.trends.length === 0) {
    const last = vitals[vitals.length - 1] as SummaryVital
    ordered.push({
      severity: 'info',
      message: `No vital signs were recorded since ${dateOf(start)}; the latest reading is from ${dateOf(last.measuredAt)}.`,
      evidence: [],
    })
  }
  for (const type of VITAL_TYPES) ordered.push(trendHighlight(facts.trends.find((t) => t.type === type)))
  ordered.push(...profileHighlights(facts), recordsHighlight(facts.records, dateOf(start)))

  const highlights = ordered
    .filter((h): h is Highlight => h !== undefined)
    .map((h, order) => ({ h, order }))
    .sort((a, b) => RANK[a.h.severity] - RANK[b.h.severity] || a.order - b.order)
    .map(({ h }) => h)
  return { text: renderText(highlights), highlights }
}

const HEADING: Record<Severity, string> = { critical: 'CRITICAL', warning: 'WARNING', info: 'INFO' }

/** One count line, then `SEVERITY: message` per highlight, in the highlights' order. */
export function renderText(highlights: readonly Highlight[]): string {
  if (highlights.length === 0) return 'Health summary (rules): nothing is recorded yet to summarize.'
  const count = (s: Severity) => highlights.filter((h) => h.severity === s).length
  const head = `Health summary (rules): ${count('critical')} critical, ${count('warning')} warning, ${count('info')} for information.`
  return [head, ...highlights.map((h) => `${HEADING[h.severity]}: ${h.message}`)].join('\n')
}
