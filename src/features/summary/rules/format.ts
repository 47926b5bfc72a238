/**
 * Fixed, locale-free formatting of the summary's numbers and dates, the labels and units of
 * each vital type, stable orderings, and the 90-day window (SPEC §4.8). Same input, same text.
 */
import { utcDate } from '../../../app/dates.js'
import type { VitalType } from '../../vitals/vital-types.js'
import type { Evidence, Severity, SummaryVital } from './facts.js'

/** One day in milliseconds (the window and trend spans count UTC days). */
export const DAY_MS = 86_400_000
/** The summary's look-back (SPEC §4.8: 90-day trends, records of the last 90 days). */
export const WINDOW_DAYS = 90

/** Each type's label at the start of a sentence. */
export const LABEL: Record<VitalType, string> = {
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
export const lowerLabel = (t: VitalType) => LABEL[t].charAt(0).toLowerCase() + LABEL[t].slice(1)
/** Each type's canonical unit (SPEC §4.8 table). */
export const UNIT: Record<VitalType, string> = {
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
export const DECIMALS: Record<VitalType, number> = {
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
/** `formatNumber` with a leading `+` on a positive value (a change). */
export const signed = (v: number, d: number) => {
  const s = formatNumber(v, d)
  return Number(s) > 0 ? `+${s}` : s
}
/** A value with its type's decimals and unit, e.g. `98 mg/dL`. */
export const amount = (type: VitalType, v: number) => `${formatNumber(v, DECIMALS[type])} ${UNIT[type]}`
/** A blood pressure reading, e.g. `128/82 mmHg`. */
export const bp = (s: number, d: number) => `${formatNumber(s, 0)}/${formatNumber(d, 0)} mmHg`
/** The UTC calendar date `YYYY-MM-DD` of an instant (`utcDate` of `src/app/dates.ts`). */
export const dateOf = utcDate
/** Case-insensitive text order, ties broken by exact text (stable across locales). */
export const byText = (a: string, b: string) => {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0
}
/** Readings oldest first, ties by id. */
export const byTime = (a: SummaryVital, b: SummaryVital) => a.measuredAt.getTime() - b.measuredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
/** The readings cited as evidence, in the given order. */
export const vitalEvidence = (vs: SummaryVital[]): Evidence[] => vs.map((v) => ({ type: 'vital', id: v.id }))
/** Severity order of the highlights: critical first. */
export const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
/** The most severe of `s` (info when empty). */
export const worst = (...s: Severity[]): Severity => s.reduce((a, b) => (RANK[b] < RANK[a] ? b : a), 'info')

/** The first instant of the window: 90 days before the UTC midnight of `asOf`. */
export function windowStart(asOf: Date): Date {
  const midnight = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), asOf.getUTCDate())
  return new Date(midnight - WINDOW_DAYS * DAY_MS)
}
