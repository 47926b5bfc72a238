/**
 * Blood glucose (SPEC §4.8): ADA Standards of Care in Diabetes—2025 (Diabetes Care 48,
 * Suppl. 1), section 2 (diagnosis: fasting, 2-h and random plasma glucose) and section 6
 * (glycemic goals, hypoglycemia levels; A1C at least twice a year).
 */
import type { GlucoseContext } from '../../vitals/vital-types.js'
import type { Evidence, Highlight, Severity, SummaryFacts, SummaryVital } from './facts.js'
import { amount, dateOf, vitalEvidence, worst } from './format.js'
import { flagOf } from './readings.js'

/** How many of the most recent glucose readings make the glucose history. */
export const GLUCOSE_HISTORY = 20

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

/**
 * The latest glucose reading assessed (ADA 2025) with the last GLUCOSE_HISTORY readings and, for
 * a patient with diabetes on the active condition list (`diabetes`), those conditions and the
 * A1C reminder when no HbA1c result is stored (`hasA1c`: the lab rules then speak of it);
 * undefined without readings or diabetes.
 */
export function glucoseHighlight(readings: SummaryVital[], diabetes: SummaryFacts['conditions'], hasA1c = false): Highlight | undefined {
  const history = readings.slice(-GLUCOSE_HISTORY)
  const conditionEvidence: Evidence[] = diabetes.map((c) => ({ type: 'condition', id: c.id }))
  const diabetesText = diabetes.length > 0 ? ` Diabetes on the active condition list: ${diabetes.map((c) => c.name).join('; ')}.` : ''
  const a1c = diabetes.length > 0 && !hasA1c ? ' No HbA1c results are stored in CareLocker (ADA: A1C at least twice a year).' : ''
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
