/**
 * Lab results (SPEC §4.8b): the list with filters and keyset pages, one code's numeric trend,
 * and what the health summary reads of them. Lab results come in through the import
 * (`lab-results.ts`).
 *
 * Access and audit as vitals (SPEC §3, §4.7): the patient, or a doctor with an approved
 * consultation (`labs.read`); `labs.viewed` when anyone but the patient reads them,
 * `labs.denied` when the policy refuses someone other than the patient.
 */
import type { Kysely, Transaction } from 'kysely'
import { instantBounds } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { DB } from '../../db/schema.js'
import type { Actor } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import * as q from './labs.queries.js'
import type { LabPoint } from './labs.queries.js'
import { interpretationOf, referenceRangeOf, toLabDto, type LabListInput, type LabResultDto, type LabTrendDto, type LabTrendInput } from './labs.schema.js'

export type { LabPoint } from './labs.queries.js'

type Db = Kysely<DB> | Transaction<DB>

/** Most points a trend returns: the newest ones of the window. */
export const TREND_MAX_POINTS = 500

/** Audit resource: a patient's lab results as a whole. */
const labsResource = (patientId: string) => ({ type: 'labs', id: patientId })
const viewed = { action: 'labs.read', kind: 'read', resource: labsResource, audited: 'labs.viewed' } as const

/**
 * `GET /patients/{pid}/labs?code&from&to&limit&cursor` (SPEC §4.8b, §2): results newest first
 * by effectiveAt (then id), as `{items, nextCursor}`; `from`/`to` inclusive (a date covers its
 * UTC day). 404 when the caller may not see the patient; 400 for a cursor this list did not
 * issue or `from` after `to` (after the policy: 404 before 400).
 */
export function listLabs(deps: Deps, actor: Actor, pid: string, query: LabListInput): Promise<{ items: LabResultDto[]; nextCursor: string | null }> {
  const prepare = () => {
    const { from, before } = instantBounds(query.from, query.to)
    const after = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
    return { from, before, after: after ? { effectiveAt: after[0], id: after[1] } : undefined }
  }
  return withPatientData(deps, actor, pid, { ...viewed, prepare }, async ({ scope, db, prepared: { from, before, after } }) => {
    const rows = await q.listLabViews(db, { patientId: scope.patientId, loinc: query.code, from, before, after, limit: query.limit })
    return toPage(rows, query.limit, (r) => [r.effectiveAt.toISOString(), r.id], toLabDto)
  })
}

/**
 * `GET /patients/{pid}/labs/trends?code&from&to` (SPEC §4.8b): one code's numeric results
 * within the window (inclusive; default all time), oldest first, at most TREND_MAX_POINTS (the
 * newest). `display`, `unit` and `referenceRange` are those of the latest numeric result, and
 * only results in that unit are points (two units on one axis would mislead). Textual results
 * are not points. A code without numeric results is 200 with no points and null
 * `display`/`unit`/`referenceRange`, not 404 (404 stays "no such patient for you").
 * Each point's interpretation as in the list (derived from the range when the source gave none).
 */
export function getLabTrend(deps: Deps, actor: Actor, pid: string, query: LabTrendInput): Promise<LabTrendDto> {
  const prepare = () => instantBounds(query.from, query.to)
  return withPatientData(deps, actor, pid, { ...viewed, prepare }, async ({ scope, db, prepared: { from, before } }) => {
    const rows = await q.listNumericPoints(db, { patientId: scope.patientId, loinc: query.code, from, before, limit: TREND_MAX_POINTS })
    const latest = rows[0]
    if (!latest) return { code: query.code, display: null, unit: null, points: [], referenceRange: null }
    const points = rows
      .filter((r) => r.unit === latest.unit)
      .reverse()
      .map((r) => ({ effectiveAt: r.effectiveAt.toISOString(), value: r.value as number, interpretation: interpretationOf(r) ?? null }))
    return { code: query.code, display: latest.display, unit: latest.unit, points, referenceRange: referenceRangeOf(latest) ?? null }
  })
}

/**
 * What the health summary reads of the lab results (SPEC §4.8b), with the caller's `db` and no
 * authorization (the summary service authorizes `summary.read`): the latest result of each
 * code of `loincs`.
 */
export function loadLatestLabs(db: Db, patientId: string, loincs: readonly string[]): Promise<LabPoint[]> {
  return q.listLatestPerCode(db, patientId, loincs)
}
