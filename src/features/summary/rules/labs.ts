/**
 * Lab-result rules of the health summary (SPEC §4.8b): the latest result of each group of
 * LOINC codes, judged by its guideline (adult thresholds). Each highlight names its guideline
 * and cites the result (`{type: 'lab', id}`). A result in a unit the rule does not know, or
 * without a numeric value, gives no highlight (no guess at a conversion).
 *
 * - HbA1c 4548-4: ADA Standards of Care in Diabetes—2025 (Diabetes Care 48, Suppl. 1), section 2,
 *   table 2.1/2.2: ≥ 6.5 % (48 mmol/mol) diabetes range → warning; 5.7–6.4 % (39–47 mmol/mol)
 *   prediabetes range → info; below → info.
 * - LDL cholesterol 18262-6 (direct) / 13457-7 (calculated): 2018 AHA/ACC Guideline on the
 *   Management of Blood Cholesterol (Grundy et al., Circulation 2019;139:e1082–e1143):
 *   LDL-C ≥ 190 mg/dL (4.9 mmol/L; mmol/L × 38.67) is severe primary hypercholesterolemia →
 *   warning; below → info.
 * - eGFR 33914-3 / 62238-1 / 98979-8 (mL/min/1.73 m²): KDIGO 2012 Clinical Practice Guideline
 *   for the Evaluation and Management of CKD, GFR categories G1 ≥ 90, G2 60–89, G3a 45–59,
 *   G3b 30–44, G4 15–29, G5 < 15: < 15 → critical (G5, kidney failure); < 60 → warning
 *   (G3a or worse); else info.
 * - Potassium 6298-4 (blood) / 2823-3 (serum or plasma), mmol/L = mEq/L: UK Kidney Association
 *   (formerly Renal Association) Clinical Practice Guideline "Treatment of acute
 *   hyperkalaemia in adults" (2020): ≥ 6.0 mmol/L (moderate or severe hyperkalaemia) →
 *   critical, above the 3.5–5.0 mmol/L reference interval → warning; below 3.5 mmol/L
 *   (hypokalaemia) → warning, below 2.5 mmol/L (severe hypokalaemia) → critical; else info.
 */
import type { Highlight, Severity, SummaryLab } from './facts.js'
import { dateOf } from './format.js'

export const HBA1C_LOINC = '4548-4'
export const LDL_LOINCS = ['18262-6', '13457-7'] as const
export const EGFR_LOINCS = ['33914-3', '62238-1', '98979-8'] as const
export const POTASSIUM_LOINCS = ['6298-4', '2823-3'] as const
/** Every LOINC code the lab rules read (the summary loads the latest result of each). */
export const SUMMARY_LAB_LOINCS: readonly string[] = [HBA1C_LOINC, ...LDL_LOINCS, ...EGFR_LOINCS, ...POTASSIUM_LOINCS]

/** A judgement of one value: severity, what it means and the guideline's rule, in words. */
interface Band {
  severity: Severity
  meaning: string
  rule: string
}

/** One rule: its codes, the label in the message, and its bands per accepted unit (the value in that unit). */
interface LabRule {
  loincs: readonly string[]
  label: string
  /** The guideline named in the message. */
  guideline: string
  /** The band of a value in `unit`, or undefined when the unit is not one the rule knows. */
  judge: (value: number, unit: string | null) => Band | undefined
}

const normalizeUnit = (u: string | null) => (u ?? '').replace(/\s+/g, '').toLowerCase()

/** ADA 2025 table 2.1/2.2 thresholds per HbA1c unit (NGSP % and IFCC mmol/mol), keyed by the lower-cased unit. */
const A1C_THRESHOLDS: Readonly<Record<string, { unit: string; diabetes: number; prediabetes: number; prediabetesTop: number }>> = {
  '%': { unit: '%', diabetes: 6.5, prediabetes: 5.7, prediabetesTop: 6.4 },
  'mmol/mol': { unit: 'mmol/mol', diabetes: 48, prediabetes: 39, prediabetesTop: 47 },
}

const hba1c: LabRule = {
  loincs: [HBA1C_LOINC],
  label: 'HbA1c',
  guideline: 'ADA Standards of Care 2025',
  judge: (v, unit) => {
    const t = A1C_THRESHOLDS[normalizeUnit(unit)]
    if (!t) return undefined
    if (v >= t.diabetes) return { severity: 'warning', meaning: 'diabetes range', rule: `≥ ${t.diabetes} ${t.unit}` }
    if (v >= t.prediabetes) return { severity: 'info', meaning: 'prediabetes range', rule: `${t.prediabetes}–${t.prediabetesTop} ${t.unit}` }
    return { severity: 'info', meaning: 'below the prediabetes range', rule: `< ${t.prediabetes} ${t.unit}` }
  },
}

/** mg/dL per mmol/L of cholesterol (molar mass 386.65 g/mol). */
const CHOLESTEROL_MG_PER_MMOL = 38.67

const ldl: LabRule = {
  loincs: LDL_LOINCS,
  label: 'LDL cholesterol',
  guideline: '2018 AHA/ACC cholesterol guideline',
  judge: (v, unit) => {
    const u = normalizeUnit(unit)
    const mgdl = u === 'mg/dl' ? v : u === 'mmol/l' ? v * CHOLESTEROL_MG_PER_MMOL : undefined
    if (mgdl === undefined) return undefined
    if (mgdl >= 190) return { severity: 'warning', meaning: 'severe hypercholesterolemia', rule: '≥ 190 mg/dL (4.9 mmol/L)' }
    return { severity: 'info', meaning: 'below the severe hypercholesterolemia threshold', rule: '< 190 mg/dL' }
  },
}

const egfr: LabRule = {
  loincs: EGFR_LOINCS,
  label: 'eGFR',
  guideline: 'KDIGO 2012',
  judge: (v, unit) => {
    if (!normalizeUnit(unit).startsWith('ml/min')) return undefined
    if (v < 15) return { severity: 'critical', meaning: 'GFR category G5 (kidney failure)', rule: '< 15' }
    if (v < 30) return { severity: 'warning', meaning: 'GFR category G4', rule: '15–29' }
    if (v < 45) return { severity: 'warning', meaning: 'GFR category G3b', rule: '30–44' }
    if (v < 60) return { severity: 'warning', meaning: 'GFR category G3a', rule: '45–59' }
    if (v < 90) return { severity: 'info', meaning: 'GFR category G2', rule: '60–89' }
    return { severity: 'info', meaning: 'GFR category G1', rule: '≥ 90' }
  },
}

const potassium: LabRule = {
  loincs: POTASSIUM_LOINCS,
  label: 'potassium',
  guideline: 'UK Kidney Association 2020 hyperkalaemia guideline',
  judge: (v, unit) => {
    const u = normalizeUnit(unit)
    if (u !== 'mmol/l' && u !== 'meq/l') return undefined
    if (v >= 6.0) return { severity: 'critical', meaning: 'moderate or severe hyperkalaemia', rule: '≥ 6.0 mmol/L' }
    if (v > 5.0) return { severity: 'warning', meaning: 'hyperkalaemia', rule: 'above 5.0 mmol/L' }
    if (v < 2.5) return { severity: 'critical', meaning: 'severe hypokalaemia', rule: 'below 2.5 mmol/L' }
    if (v < 3.5) return { severity: 'warning', meaning: 'hypokalaemia', rule: 'below 3.5 mmol/L' }
    return { severity: 'info', meaning: 'within the reference interval', rule: '3.5–5.0 mmol/L' }
  },
}

/** The rules in the order their highlights appear. */
const LAB_RULES: readonly LabRule[] = [hba1c, ldl, egfr, potassium]

/** The latest of `labs` with one of `loincs` (ties: highest id), or undefined. */
export function latestOf(labs: readonly SummaryLab[], loincs: readonly string[]): SummaryLab | undefined {
  let latest: SummaryLab | undefined
  for (const l of labs) {
    if (!loincs.includes(l.loinc)) continue
    const t = l.effectiveAt.getTime()
    if (!latest || t > latest.effectiveAt.getTime() || (t === latest.effectiveAt.getTime() && l.id > latest.id)) latest = l
  }
  return latest
}

function labHighlight(rule: LabRule, labs: readonly SummaryLab[]): Highlight | undefined {
  const latest = latestOf(labs, rule.loincs)
  if (!latest || latest.value === null) return undefined
  const band = rule.judge(latest.value, latest.unit)
  if (!band) return undefined
  // As the laboratory wrote it, to at most 2 decimals: rounding to fewer could show 6.45 % as 6.5 % beside "prediabetes".
  const value = `${Math.round(latest.value * 100) / 100}${latest.unit ? ` ${latest.unit}` : ''}`
  return {
    severity: band.severity,
    message: `Latest ${rule.label} ${value} on ${dateOf(latest.effectiveAt)}: ${band.meaning} (${rule.guideline}: ${band.rule}).`,
    evidence: [{ type: 'lab', id: latest.id }],
  }
}

/** One highlight per rule with a latest numeric result in a known unit: HbA1c, LDL, eGFR, potassium (see the module doc). */
export function labHighlights(labs: readonly SummaryLab[]): Highlight[] {
  return LAB_RULES.flatMap((rule) => labHighlight(rule, labs) ?? [])
}
