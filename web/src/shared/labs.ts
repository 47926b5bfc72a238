/**
 * Display of lab results (SPEC §4.8b): interpretation words and marks, values and reference
 * ranges as text. An out-of-range result is marked by a symbol and a word, never by colour
 * alone (WCAG 1.4.1).
 */
import type { LabInterpretation, LabResult, LabTrend } from '../api/types'

export const INTERPRETATION: Record<LabInterpretation, { word: string; mark: string; color: string; outOfRange: boolean }> = {
  N: { word: 'Normal', mark: '', color: 'teal', outOfRange: false },
  L: { word: 'Low', mark: '▼', color: 'orange', outOfRange: true },
  H: { word: 'High', mark: '▲', color: 'orange', outOfRange: true },
  LL: { word: 'Critically low', mark: '▼▼', color: 'red', outOfRange: true },
  HH: { word: 'Critically high', mark: '▲▲', color: 'red', outOfRange: true },
  A: { word: 'Abnormal', mark: '!', color: 'orange', outOfRange: true },
}

/**
 * A number as a laboratory would print it: at most 2 decimals (3 significant digits below
 * 0.1), so a generated 6.239788198268134 reads 6.24; the full value stays in the API.
 */
export function formatLabNumber(v: number): string {
  return String(Math.abs(v) < 0.1 && v !== 0 ? Number(v.toPrecision(3)) : Math.round(v * 100) / 100)
}

/** `5.9 mmol/L`, or the textual result. */
export function formatLabValue(r: Pick<LabResult, 'value' | 'valueText' | 'unit'>): string {
  if (r.value === undefined) return r.valueText ?? '—'
  const v = formatLabNumber(r.value)
  return r.unit ? `${v} ${r.unit}` : v
}

/** `3.5–5.1`, `≥ 3.5`, `≤ 5.1`, the range's text, or an empty string. */
export function formatRange(range: LabResult['referenceRange'] | LabTrend['referenceRange']): string {
  if (!range) return ''
  const { low, high, text } = range
  if (low !== undefined && high !== undefined) return `${formatLabNumber(low)}–${formatLabNumber(high)}`
  if (low !== undefined) return `≥ ${formatLabNumber(low)}`
  if (high !== undefined) return `≤ ${formatLabNumber(high)}`
  return text ?? ''
}
