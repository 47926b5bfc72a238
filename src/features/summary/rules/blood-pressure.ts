/**
 * Blood pressure (SPEC §4.8): the 2017 ACC/AHA High Blood Pressure Guideline (Whelton et al.,
 * Hypertension 2018;71:e13–e115), plus the customary 90/60 mmHg hypotension limit (AHA).
 */
import type { Highlight, Severity, SummaryVital } from './facts.js'
import { bp, dateOf, vitalEvidence } from './format.js'

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

/** The latest reading's ACC/AHA category, citing that reading; undefined without one. */
export function bloodPressureHighlight(latest: SummaryVital | undefined): Highlight | undefined {
  if (!latest || latest.systolic === null || latest.diastolic === null) return undefined
  const c = bloodPressureCategory(latest.systolic, latest.diastolic)
  return {
    severity: c.severity,
    message: `Latest blood pressure ${bp(latest.systolic, latest.diastolic)} on ${dateOf(latest.measuredAt)}: ${c.category} (ACC/AHA 2017: ${c.rule}).`,
    evidence: vitalEvidence([latest]),
  }
}
