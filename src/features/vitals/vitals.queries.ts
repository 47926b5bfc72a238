/** SQL of vitals. No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import type { DB, Role, VitalRow, VitalsTable } from '../../db/schema.js'
import { newestFirst } from '../../db/keyset.js'

type Db = Kysely<DB> | Transaction<DB>

const INSERT_CHUNK = 500
const iso = (t: Date | string | undefined) => (t === undefined ? null : typeof t === 'string' ? t : t.toISOString())

/**
 * Inserts vitals in chunks of 500; rows whose (patient, source_ref) exists are skipped.
 * Returns rows inserted. One statement per chunk with one array parameter per column
 * (`unnest`): a constant SQL text and 15 parameters, not 15 × 500 — a streamed import of
 * millions of readings (SPEC §7, Apple Health) allocates little per chunk.
 */
export async function insertVitals(db: Db, rows: Insertable<VitalsTable>[]): Promise<number> {
  let inserted = 0
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK)
    const col = <K extends keyof Insertable<VitalsTable>>(k: K) => chunk.map((r) => r[k] ?? null)
    const result = await sql`
      INSERT INTO vitals (patient_id, type, loinc, value, systolic, diastolic, unit, context, measured_at, recorded_by, source, source_ref, note, flag, created_at)
      SELECT patient_id, type, loinc, value, systolic, diastolic, unit, context, measured_at, recorded_by, source, source_ref, note, flag, COALESCE(created_at, now())
      FROM unnest(
        ${col('patientId')}::uuid[], ${col('type')}::text[], ${col('loinc')}::text[], ${col('value')}::float8[], ${col('systolic')}::float8[],
        ${col('diastolic')}::float8[], ${col('unit')}::text[], ${col('context')}::text[], ${chunk.map((r) => iso(r.measuredAt))}::timestamptz[],
        ${col('recordedBy')}::uuid[], ${col('source')}::text[], ${col('sourceRef')}::text[], ${col('note')}::text[], ${col('flag')}::text[],
        ${chunk.map((r) => iso(r.createdAt))}::timestamptz[]
      ) AS u(patient_id, type, loinc, value, systolic, diastolic, unit, context, measured_at, recorded_by, source, source_ref, note, flag, created_at)
      ON CONFLICT (patient_id, source_ref) WHERE source_ref IS NOT NULL DO NOTHING`.execute(db)
    inserted += Number(result.numAffectedRows ?? 0)
  }
  return inserted
}

/** Inserts one vital and returns its id. */
export async function insertVital(db: Db, row: Insertable<VitalsTable>): Promise<string> {
  const { id } = await db.insertInto('vitals').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/** A vital as the API shows it: the row (less its import key and insert time) plus whoever recorded it (null for a deleted account). */
export type VitalView = Omit<VitalRow, 'sourceRef' | 'createdAt'> & { recorderName: string | null; recorderRole: Role | null }

const VIEW_COLUMNS = [
  'vitals.id',
  'vitals.patientId',
  'vitals.type',
  'vitals.loinc',
  'vitals.value',
  'vitals.systolic',
  'vitals.diastolic',
  'vitals.unit',
  'vitals.context',
  'vitals.measuredAt',
  'vitals.recordedBy',
  'vitals.source',
  'vitals.note',
  'vitals.flag',
  'vitals.encounterId',
  'users.name as recorderName',
  'users.role as recorderRole',
] as const

const views = (db: Db) => db.selectFrom('vitals').leftJoin('users', 'users.id', 'vitals.recordedBy')

/** The vital `id` of `patientId` with its recorder, or undefined. */
export function findVitalView(db: Db, patientId: string, id: string): Promise<VitalView | undefined> {
  return views(db).select(VIEW_COLUMNS).where('vitals.id', '=', id).where('vitals.patientId', '=', patientId).executeTakeFirst()
}

export interface VitalFilter {
  patientId: string
  type?: string | undefined
  /** measured_at ≥ from. */
  from?: Date | undefined
  /** measured_at < toExclusive. */
  toExclusive?: Date | undefined
  /** The sort key of the last row of the previous page. */
  after?: { measuredAt: Date; id: string } | undefined
  limit: number
}

/**
 * Vitals newest first by (measured_at, id), keyset-paginated on the same key so
 * `vitals_patient_type_time_values_idx` (with a type) or `vitals_patient_time_idx` (without) serves
 * the order (no OFFSET, SPEC §2). Takes limit + 1 rows.
 */
export function listVitalViews(db: Db, f: VitalFilter): Promise<VitalView[]> {
  let q = views(db).select(VIEW_COLUMNS).where('vitals.patientId', '=', f.patientId)
  if (f.type) q = q.where('vitals.type', '=', f.type)
  const after = f.after && { at: f.after.measuredAt, id: f.after.id }
  return newestFirst(q, 'vitals.measuredAt', 'vitals.id', { from: f.from, toExclusive: f.toExclusive, after, limit: f.limit + 1 }).execute()
}

/** The vitals of one visit of a patient, oldest first by (measured_at, id). */
export function listEncounterVitalViews(db: Db, patientId: string, encounterId: string): Promise<VitalView[]> {
  return views(db)
    .select(VIEW_COLUMNS)
    .where('vitals.patientId', '=', patientId)
    .where('vitals.encounterId', '=', encounterId)
    .orderBy('vitals.measuredAt')
    .orderBy('vitals.id')
    .execute()
}

/** One calendar bucket of a patient's readings of one type; stats are null where the column is. */
export interface TrendRow {
  bucketStart: Date
  count: number
  minValue: number | null
  maxValue: number | null
  meanValue: number | null
  minSystolic: number | null
  maxSystolic: number | null
  meanSystolic: number | null
  minDiastolic: number | null
  maxDiastolic: number | null
  meanDiastolic: number | null
}

export interface TrendFilter {
  patientId: string
  type: string
  bucket: 'day' | 'week' | 'month'
  from: Date
  toExclusive: Date
}

/**
 * Buckets a patient's readings of one type in SQL (SPEC §4.8): `date_trunc(bucket,
 * measured_at AT TIME ZONE 'UTC')`, so buckets are UTC calendar days, ISO weeks (Monday) and
 * months, grouped and aggregated by the database (count, min, max, mean rounded to 2
 * decimals). Only buckets with readings, oldest first. The range scan reads only
 * `vitals_patient_type_time_values_idx` (an index-only scan once the table is vacuumed).
 */
export function trendBuckets(db: Db, f: TrendFilter): Promise<TrendRow[]> {
  const measuredAt = sql.ref('vitals.measuredAt')
  const bucketStart = sql<Date>`date_trunc(${sql.lit(f.bucket)}, ${measuredAt} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`
  const mean = (col: 'value' | 'systolic' | 'diastolic') => sql<number | null>`round(avg(${sql.ref(`vitals.${col}`)})::numeric, 2)`
  return db
    .selectFrom('vitals')
    .select((eb) => [
      bucketStart.as('bucketStart'),
      sql<number>`count(*)::int`.as('count'),
      eb.fn.min('vitals.value').as('minValue'),
      eb.fn.max('vitals.value').as('maxValue'),
      mean('value').as('meanValue'),
      eb.fn.min('vitals.systolic').as('minSystolic'),
      eb.fn.max('vitals.systolic').as('maxSystolic'),
      mean('systolic').as('meanSystolic'),
      eb.fn.min('vitals.diastolic').as('minDiastolic'),
      eb.fn.max('vitals.diastolic').as('maxDiastolic'),
      mean('diastolic').as('meanDiastolic'),
    ])
    .where('vitals.patientId', '=', f.patientId)
    .where('vitals.type', '=', f.type)
    .where('vitals.measuredAt', '>=', f.from)
    .where('vitals.measuredAt', '<', f.toExclusive)
    .groupBy(sql`1`)
    .orderBy(sql`1`)
    .execute() as Promise<TrendRow[]>
}

const POINT_COLUMNS = ['id', 'type', 'value', 'systolic', 'diastolic', 'context', 'measuredAt', 'flag'] as const

/** A reading as the summary rules read it (canonical units). */
export type VitalPoint = Pick<VitalRow, (typeof POINT_COLUMNS)[number]>

/**
 * Exact least-squares sums of each type's readings measured at or after `since` (SPEC §4.8
 * 90-day trends), computed by the database so a patient with many readings is not loaded
 * row by row: x = whole seconds since `since` (floor), y = the value (blood pressure: systolic)
 * and yd = diastolic, both in hundredths of the canonical unit (values are stored with 2
 * decimals). Sums are integers (bigint per row, summed exactly), returned as text so no
 * precision is lost; `firstAt`/`lastAt` bound the readings. One row per type of `types` with readings.
 */
export async function windowSums(db: Db, patientId: string, types: readonly string[], since: Date): Promise<WindowSumsRow[]> {
  if (types.length === 0) return []
  const sinceSeconds = Math.floor(since.getTime() / 1000)
  const w = db
    .selectFrom('vitals')
    .select((eb) => [
      'vitals.type',
      'vitals.measuredAt',
      sql<string>`floor(date_part('epoch', ${eb.ref('vitals.measuredAt')}))::bigint - ${sinceSeconds}::bigint`.as('x'),
      sql<string>`round(coalesce(${eb.ref('vitals.systolic')}, ${eb.ref('vitals.value')}) * 100)::bigint`.as('y'),
      sql<string>`round(${eb.ref('vitals.diastolic')} * 100)::bigint`.as('yd'),
    ])
    .where('vitals.patientId', '=', patientId)
    // Naming the types lets the planner range-scan the per-type index (values included: index-only).
    .where('vitals.type', 'in', types)
    .where('vitals.measuredAt', '>=', since)
    .as('w')
  return db
    .selectFrom(w)
    .select([
      'w.type',
      sql<number>`count(*)::int`.as('n'),
      sql<Date>`min(w.measured_at)`.as('firstAt'),
      sql<Date>`max(w.measured_at)`.as('lastAt'),
      sql<string>`sum(w.x)::text`.as('sx'),
      sql<string>`sum(w.y)::text`.as('sy'),
      sql<string>`sum(w.x * w.x)::text`.as('sxx'),
      sql<string>`sum(w.x * w.y)::text`.as('sxy'),
      sql<string | null>`sum(w.yd)::text`.as('syd'),
      sql<string | null>`sum(w.x * w.yd)::text`.as('sxyd'),
    ])
    .where(sql<boolean>`w.y IS NOT NULL`)
    .groupBy('w.type')
    .orderBy('w.type')
    .execute() as Promise<WindowSumsRow[]>
}

export interface WindowSumsRow {
  type: string
  n: number
  firstAt: Date
  lastAt: Date
  sx: string
  sy: string
  sxx: string
  sxy: string
  syd: string | null
  sxyd: string | null
}

/**
 * The earliest reading of each type of `types` measured at or after `since` (ties: lowest id):
 * one round trip, one short index probe per type (LATERAL … LIMIT 1).
 */
export async function listFirstPointsSince(db: Db, patientId: string, types: readonly string[], since: Date): Promise<VitalPoint[]> {
  if (types.length === 0) return []
  const { rows } = await sql<VitalPoint>`
    SELECT v.id, v.type, v.value, v.systolic, v.diastolic, v.context, v.measured_at, v.flag
    FROM unnest(${[...types]}::text[]) AS t(type)
    CROSS JOIN LATERAL (
      SELECT id, type, value, systolic, diastolic, context, measured_at, flag FROM vitals
      WHERE patient_id = ${patientId} AND type = t.type AND measured_at >= ${since}
      ORDER BY measured_at, id
      LIMIT 1) AS v`.execute(db)
  return rows
}

/**
 * The `perType` most recent readings of each type in `types` (any date), newest first per
 * type: one round trip, one short index range scan per type on
 * `vitals_patient_type_time_values_idx` (LATERAL … LIMIT).
 */
export async function listLatestPoints(db: Db, patientId: string, types: readonly string[], perType: number): Promise<VitalPoint[]> {
  if (types.length === 0) return []
  const { rows } = await sql<VitalPoint>`
    SELECT v.id, v.type, v.value, v.systolic, v.diastolic, v.context, v.measured_at, v.flag
    FROM unnest(${[...types]}::text[]) WITH ORDINALITY AS t(type, n)
    CROSS JOIN LATERAL (
      SELECT id, type, value, systolic, diastolic, context, measured_at, flag FROM vitals
      WHERE patient_id = ${patientId} AND type = t.type
      ORDER BY measured_at DESC, id DESC
      LIMIT ${perType}) AS v
    ORDER BY t.n, v.measured_at DESC, v.id DESC`.execute(db)
  return rows
}
