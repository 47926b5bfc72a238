/**
 * What the summary rules read and what they produce (SPEC §4.8): readings in canonical
 * units, the 90-day trend series, profile lists and records; highlights citing evidence.
 */
import type { ProfileAllergy, ProfileCondition, ProfileMedication, RecordRow } from '../../../db/schema.js'
import type { GlucoseContext, VitalType } from '../../vitals/vital-types.js'

export type Severity = 'info' | 'warning' | 'critical'
export type EvidenceType = 'vital' | 'record' | 'condition' | 'allergy' | 'medication' | 'lab'

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

/** A lab result as the rules read it (SPEC §4.8b): the value in `unit` as the source gave it (null for a textual result). */
export interface SummaryLab {
  id: string
  loinc: string
  value: number | null
  unit: string | null
  effectiveAt: Date
}

/** A record as the rules name it; `recordDate` is `YYYY-MM-DD`. */
export type SummaryRecord = Pick<RecordRow, 'id' | 'title' | 'category' | 'recordDate'>

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
  allergies: Pick<ProfileAllergy, 'id' | 'substance' | 'reaction' | 'severity'>[]
  conditions: Pick<ProfileCondition, 'id' | 'name' | 'status' | 'since'>[]
  medications: Pick<ProfileMedication, 'id' | 'name' | 'dosage' | 'frequency'>[]
  /** The latest result of each LOINC code of SUMMARY_LAB_LOINCS (older ones are ignored); order does not matter. */
  labs: SummaryLab[]
  /** Live records dated within the window (more are ignored). */
  records: SummaryRecord[]
}

export interface RulesSummary {
  text: string
  highlights: Highlight[]
}
