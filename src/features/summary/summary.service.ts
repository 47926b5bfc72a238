/**
 * The health summary (SPEC §4.8): reads the profile, vitals and recent records in one go,
 * applies the deterministic rules (`summary.rules.ts`), and — only when `LLM_*` is configured —
 * asks the model for prose, falling back to the rules text on any failure.
 *
 * Audit (SPEC §4.7): `summary.viewed` (resource `summary`, the patient's id) when anyone but the
 * patient reads it, in the read's transaction; `summary.denied` when the policy refuses someone.
 */
import type { Kysely, Transaction } from 'kysely'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import type { DB } from '../../db/schema.js'
import type { Actor, Granted } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import { loadProfile } from '../profile/profile.service.js'
import type { GlucoseContext, VitalType } from '../vitals/vital-types.js'
import { loadVitalsForSummary } from '../vitals/vitals.service.js'
import { loadLatestLabs } from '../labs/labs.service.js'
import { writeProse } from './summary.llm.js'
import { listRecordsSince } from './summary.queries.js'
import { GLUCOSE_HISTORY, SUMMARY_LAB_LOINCS, summarizeByRules, windowStart, type LeastSquaresSums, type SummaryFacts } from './summary.rules.js'
import type { SummaryDto } from './summary.schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Records named by the summary at most (its records highlight cites each as evidence). */
const MAX_RECORDS = 100

/**
 * Everything the rules read, as of `asOf`: the profile's allergies, conditions and medications;
 * the GLUCOSE_HISTORY latest readings of each type and, per type, the 90-day window's exact
 * least-squares sums (computed by the database); live records dated within the window; the
 * latest lab result of each code the lab rules read.
 * `patient`: the scope `withPatientData` allowed (the proof `loadProfile` asks for).
 * NotFoundError when `patientId` is not a patient.
 */
export async function loadSummaryFacts(db: Db, patient: Granted<{ patientId: string }>, asOf: Date): Promise<SummaryFacts> {
  const patientId = patient.patientId
  const start = windowStart(asOf)
  const profile = await loadProfile(db, patient)
  const vitals = await loadVitalsForSummary(db, patientId, start, GLUCOSE_HISTORY)
  const records = await listRecordsSince(db, patientId, utcDate(start), MAX_RECORDS)
  const labs = await loadLatestLabs(db, patientId, SUMMARY_LAB_LOINCS)
  const sums = (n: number, x: string, y: string, xx: string, xy: string): LeastSquaresSums => ({ n, x: BigInt(x), y: BigInt(y), xx: BigInt(xx), xy: BigInt(xy) })
  return {
    asOf,
    vitals: vitals.latest.map((v) => ({
      id: v.id,
      type: v.type as VitalType,
      value: v.value,
      systolic: v.systolic,
      diastolic: v.diastolic,
      context: v.context as GlucoseContext | null,
      measuredAt: v.measuredAt,
    })),
    trends: vitals.windows.map((w) => ({
      type: w.type as VitalType,
      count: w.count,
      first: { id: w.first.id, measuredAt: w.first.measuredAt },
      last: { id: w.last.id, measuredAt: w.last.measuredAt },
      sums: sums(w.count, w.sums.x, w.sums.y, w.sums.xx, w.sums.xy),
      diastolic: w.sums.yd !== null && w.sums.xyd !== null ? sums(w.count, w.sums.x, w.sums.yd, w.sums.xx, w.sums.xyd) : undefined,
    })),
    labs: labs.map((l) => ({ id: l.id, loinc: l.loinc, value: l.value, unit: l.unit, effectiveAt: l.effectiveAt })),
    allergies: profile.allergies,
    conditions: profile.conditions,
    medications: profile.medications,
    records,
  }
}

/**
 * `GET /patients/{pid}/summary` (SPEC §4.8) → `{generatedAt, generator, text, highlights}`.
 * 404 unless the actor is the patient or a doctor with an approved consultation. `text` and
 * `highlights` are byte-identical for the same data on the same UTC date; `generatedAt` is
 * the time of the call. With `deps.config.llm`, the highlights (without evidence or any
 * identifier) go to the model and its prose replaces `text` (`generator: "llm:<model>"`);
 * on any failure or timeout the rules text stays (`generator: "rules"`).
 */
export async function getSummary(deps: Deps, actor: Actor, pid: string): Promise<SummaryDto> {
  const asOf = deps.now()
  const access = { action: 'summary.read', kind: 'read', resource: (patientId: string) => ({ type: 'summary', id: patientId }), audited: 'summary.viewed' } as const
  const facts = await withPatientData(deps, actor, pid, access, ({ scope, db }) => loadSummaryFacts(db, scope, asOf))
  const rules = summarizeByRules(facts)
  const summary: SummaryDto = { generatedAt: asOf.toISOString(), generator: 'rules', text: rules.text, highlights: rules.highlights }
  // The model is asked outside any transaction: a slow model must not hold a database connection.
  const llm = deps.config.llm
  if (llm && rules.highlights.length > 0) {
    const prose = await writeProse(llm, rules.highlights)
    if ('text' in prose) return { ...summary, generator: `llm:${llm.model}`, text: prose.text }
  }
  return summary
}
