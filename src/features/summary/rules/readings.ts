/**
 * The other latest readings (SPEC §4.8): SpO₂ by the BTS guideline for oxygen use in adults
 * (O'Driscoll et al., Thorax 2017) and NEWS2; heart rate, temperature and respiratory rate by
 * NEWS2 (Royal College of Physicians 2017) and the ACC/AHA/HRS brady-/tachycardia limits, via
 * the vitals catalogue's `flagVital`.
 */
import { flagVital, type VitalFlag } from '../../vitals/vital-types.js'
import type { Highlight, Severity, SummaryVital } from './facts.js'
import { amount, dateOf, lowerLabel, vitalEvidence } from './format.js'

/** The catalogue's flag of a reading (`flagVital`: NEWS2 bands and the ACC/AHA/HRS limits). */
export const flagOf = (v: SummaryVital): VitalFlag =>
  flagVital({ type: v.type, value: v.value ?? undefined, systolic: v.systolic ?? undefined, diastolic: v.diastolic ?? undefined, context: v.context ?? undefined })

const severityOfFlag = (f: VitalFlag): Severity => (f === 'critical' ? 'critical' : f === 'normal' ? 'info' : 'warning')

/**
 * SpO₂ (BTS 2017: target 94–98 %; NEWS2) → critical < 90 %, warning 90–93 %, info ≥ 94 %.
 * Heart rate (NEWS2 score 3 at ≤ 40 and ≥ 131 /min; ACC/AHA/HRS: tachycardia > 100, bradycardia
 * < 50) → critical, warning, info 50–100 /min. Always reported when there is a reading.
 */
export function latestReadingHighlight(type: 'oxygen_saturation' | 'heart_rate', latest: SummaryVital | undefined): Highlight | undefined {
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
export function flaggedReadingHighlight(type: 'body_temperature' | 'respiratory_rate', latest: SummaryVital | undefined): Highlight | undefined {
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
