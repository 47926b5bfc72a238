/** SQL of the labs feature (SPEC §4.8b). */
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely'
import type { DB, LabResultsTable, Role } from '../../db/schema.js'
import { newestFirst } from '../../db/keyset.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts lab results in batches of 500, skipping any already imported (same patient and `sourceRef`); returns how many were added. */
export async function insertLabResults(db: Db, rows: Insertable<LabResultsTable>[]): Promise<number> {
  let inserted = 0
  for (let i = 0; i < rows.length; i += 500) {
    const result = await db
      .insertInto('labResults')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['patientId', 'sourceRef']).where('sourceRef', 'is not', null).doNothing())
      .executeTakeFirst()
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return inserted
}

/** A lab result as the API shows it: the row (less its import key and insert time) plus whoever recorded it (null for a deleted account). */
export type LabView = Omit<Selectable<LabResultsTable>, 'patientId' | 'sourceRef' | 'createdAt'> & { recorderName: string | null; recorderRole: Role | null }

const VIEW_COLUMNS = [
  'labResults.id',
  'labResults.loinc',
  'labResults.display',
  'labResults.value',
  'labResults.valueText',
  'labResults.unit',
  'labResults.referenceLow',
  'labResults.referenceHigh',
  'labResults.referenceText',
  'labResults.interpretation',
  'labResults.effectiveAt',
  'labResults.source',
  'labResults.recordedBy',
  'users.name as recorderName',
  'users.role as recorderRole',
] as const

export interface LabFilter {
  patientId: string
  loinc?: string | undefined
  /** effective_at ≥ from. */
  from?: Date | undefined
  /** effective_at < before. */
  before?: Date | undefined
  /** The sort key of the last row of the previous page. */
  after?: { effectiveAt: Date; id: string } | undefined
  limit: number
}

/**
 * Lab results newest first by (effective_at, id), keyset-paginated on the same key (no OFFSET,
 * SPEC §2), served by `lab_results_patient_code_time_idx` (with a code) or
 * `lab_results_patient_time_idx`. Takes limit + 1 rows.
 */
export function listLabViews(db: Db, f: LabFilter): Promise<LabView[]> {
  let q = db.selectFrom('labResults').leftJoin('users', 'users.id', 'labResults.recordedBy').select(VIEW_COLUMNS).where('labResults.patientId', '=', f.patientId)
  if (f.loinc) q = q.where('labResults.loinc', '=', f.loinc)
  const after = f.after && { at: f.after.effectiveAt, id: f.after.id }
  return newestFirst(q, 'labResults.effectiveAt', 'labResults.id', { from: f.from, toExclusive: f.before, after, limit: f.limit + 1 }).execute()
}

const POINT_COLUMNS = ['id', 'loinc', 'display', 'value', 'unit', 'referenceLow', 'referenceHigh', 'referenceText', 'interpretation', 'effectiveAt'] as const

/** A lab result as trends and the summary read it. */
export type LabPoint = Pick<Selectable<LabResultsTable>, (typeof POINT_COLUMNS)[number]>

/** The newest `limit` numeric results of one code within [from, before), newest first. */
export function listNumericPoints(db: Db, f: { patientId: string; loinc: string; from?: Date | undefined; before?: Date | undefined; limit: number }): Promise<LabPoint[]> {
  let q = db.selectFrom('labResults').select(POINT_COLUMNS).where('patientId', '=', f.patientId).where('loinc', '=', f.loinc).where('value', 'is not', null)
  if (f.from) q = q.where('effectiveAt', '>=', f.from)
  if (f.before) q = q.where('effectiveAt', '<', f.before)
  return q.orderBy('effectiveAt', 'desc').orderBy('id', 'desc').limit(f.limit).execute()
}

/** The latest result (numeric or not) of each code of `loincs`, one row per code that has one (DISTINCT ON, one index range per code). */
export function listLatestPerCode(db: Db, patientId: string, loincs: readonly string[]): Promise<LabPoint[]> {
  if (loincs.length === 0) return Promise.resolve([])
  return db
    .selectFrom('labResults')
    .distinctOn('loinc')
    .select(POINT_COLUMNS)
    .where('patientId', '=', patientId)
    .where('loinc', 'in', [...loincs])
    .orderBy('loinc')
    .orderBy('effectiveAt', 'desc')
    .orderBy('id', 'desc')
    .execute()
}
