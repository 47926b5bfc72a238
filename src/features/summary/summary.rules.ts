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
 * - Lab results (SPEC §4.8b), the latest per code: HbA1c (ADA Standards of Care 2025), LDL
 *   cholesterol (2018 AHA/ACC cholesterol guideline), eGFR (KDIGO 2012), potassium (UK Kidney
 *   Association 2020 hyperkalaemia guideline) — thresholds in `rules/labs.ts`.
 */
import { VITAL_TYPES, type VitalType } from '../vitals/vital-types.js'
import { bloodPressureHighlight } from './rules/blood-pressure.js'
import type { Highlight, RulesSummary, Severity, SummaryFacts, SummaryVital } from './rules/facts.js'
import { RANK, byText, byTime, dateOf, windowStart } from './rules/format.js'
import { glucoseHighlight, isDiabetesCondition } from './rules/glucose.js'
import { HBA1C_LOINC, labHighlights } from './rules/labs.js'
import { profileHighlights, recordsHighlight } from './rules/profile.js'
import { flaggedReadingHighlight, latestReadingHighlight } from './rules/readings.js'
import { trendHighlight } from './rules/trends.js'

export type * from './rules/facts.js'
export { bloodPressureCategory, type BloodPressureCategory } from './rules/blood-pressure.js'
export { formatNumber, WINDOW_DAYS, windowStart } from './rules/format.js'
export { GLUCOSE_HISTORY, glucoseAssessment, isDiabetesCondition } from './rules/glucose.js'
export { SUMMARY_LAB_LOINCS } from './rules/labs.js'
export {
  TREND_MIN_READINGS,
  TREND_MIN_SPAN_DAYS,
  TREND_THRESHOLDS,
  leastSquaresSums,
  slopeOf,
  trendDirection,
  trendSeriesOf,
  type TrendDirection,
} from './rules/trends.js'

/**
 * The rules summary of SPEC §4.8: highlights for the latest blood pressure (ACC/AHA 2017), the
 * latest glucose and glucose history (ADA 2025; diabetes from the active condition list), the
 * latest SpO₂ and heart rate, a flagged latest temperature or respiratory rate, the latest HbA1c,
 * LDL, eGFR and potassium (guidelines in `rules/labs.ts`), the 90-day trend
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
    glucoseHighlight(byType.get('blood_glucose') ?? [], activeDiabetes, facts.labs.some((l) => l.loinc === HBA1C_LOINC)),
    latestReadingHighlight('oxygen_saturation', latest('oxygen_saturation')),
    latestReadingHighlight('heart_rate', latest('heart_rate')),
    flaggedReadingHighlight('body_temperature', latest('body_temperature')),
    flaggedReadingHighlight('respiratory_rate', latest('respiratory_rate')),
    ...labHighlights(facts.labs),
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
