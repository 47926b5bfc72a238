/**
 * 90-day trends (SPEC §4.8): ordinary least squares over the readings of the window, computed
 * from exact integer sums so the result never depends on summation order; a change beyond a
 * per-type threshold is a direction, an adverse direction a warning.
 */
import type { VitalType } from '../../vitals/vital-types.js'
import type { Highlight, LeastSquaresSums, SummaryVital, TrendSeries } from './facts.js'
import { DAY_MS, DECIMALS, LABEL, UNIT, WINDOW_DAYS, byTime, dateOf, formatNumber, signed } from './format.js'

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
export function trendHighlight(series: TrendSeries | undefined): Highlight | undefined {
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
