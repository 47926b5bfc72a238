/** SQL of medical records (SPEC §4.3). No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction, type Updateable } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import { containsPattern, escapeLike } from '../../db/like.js'
import { precompiled } from '../../db/connection.js'
import { cacheTags, forgetLocally, readThrough } from '../../db/node-cache.js'
import type { DB, RecordRow, RecordsTable, UserRow } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint

/** A live record as the API shows it: the row without its key material and bookkeeping, plus its uploader's name and role. */
export type RecordView = Omit<RecordRow, 'sourceRef' | 'blobKey' | 'wrappedKey' | 'deletedAt'> & {
  uploaderName: UserRow['name']
  uploaderRole: UserRow['role']
}

const VIEW_COLUMNS = [
  'records.id',
  'records.patientId',
  'records.fileName',
  'records.originalFileName',
  'records.title',
  'records.category',
  'records.contentType',
  'records.sizeBytes',
  'records.sha256',
  'records.recordDate',
  'records.doctorName',
  'records.description',
  'records.uploadedAt',
  'records.uploadedBy',
  'records.source',
  'users.name as uploaderName',
  'users.role as uploaderRole',
] as const

const liveRecords = (db: Db) =>
  db.selectFrom('records').innerJoin('users', 'users.id', 'records.uploadedBy').where('records.deletedAt', 'is', null)

/** The live (not deleted) record `id` of `patientId` with its uploader, or undefined. */
export function findRecordView(db: Db, patientId: string, id: string): Promise<RecordView | undefined> {
  return liveRecords(db).select(VIEW_COLUMNS).where('records.id', '=', id).where('records.patientId', '=', patientId).executeTakeFirst()
}

/** What a download or verify needs: the view plus where the bytes are and their wrapped key. */
export function findRecordBlob(db: Db, patientId: string, id: string) {
  return liveRecords(db)
    .select([...VIEW_COLUMNS, 'records.blobKey', 'records.wrappedKey'])
    .where('records.id', '=', id)
    .where('records.patientId', '=', patientId)
    .executeTakeFirst()
}

/** Every live record of `patientId` with its key material, oldest first (the export's `files/`, SPEC §9). */
export function listLiveRecordBlobs(db: Db, patientId: string) {
  return db
    .selectFrom('records')
    .select(['id', 'fileName', 'contentType', 'sizeBytes', 'sha256', 'blobKey', 'wrappedKey'])
    .where('patientId', '=', patientId)
    .where('deletedAt', 'is', null)
    .where('wrappedKey', 'is not', null)
    .orderBy('uploadedAt')
    .orderBy('id')
    .execute()
}

/** A live record's `recordDate`, or undefined. */
export async function findRecordDate(db: Db, patientId: string, id: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('records')
    .select('recordDate')
    .where('patientId', '=', patientId)
    .where('id', '=', id)
    .where('deletedAt', 'is', null)
    .executeTakeFirst()
  return row?.recordDate
}

/** True when the patient already has a record (live or deleted) imported from `sourceRef`. */
export async function sourceRefExists(db: Db, patientId: string, sourceRef: string): Promise<boolean> {
  const row = await db.selectFrom('records').select('id').where('patientId', '=', patientId).where('sourceRef', '=', sourceRef).executeTakeFirst()
  return row !== undefined
}

/** File names of the patient's live records that start with `prefix` (matched literally). */
export async function liveFileNamesLike(db: Db, patientId: string, prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('records')
    .select('fileName')
    .where('patientId', '=', patientId)
    .where('deletedAt', 'is', null)
    .where('fileName', 'like', `${escapeLike(prefix)}%`)
    .execute()
  return rows.map((r) => r.fileName)
}

/**
 * Inserts a record unless its `fileName` is taken among the patient's live records (the partial
 * unique index `records_file_name_key`). Returns the row, or undefined when the name was taken,
 * so the caller can try the next name without aborting its transaction (ON CONFLICT, not a
 * caught 23505). A taken `sourceRef` is a ConflictError.
 */
export async function insertRecordIfNameFree(db: Db, row: Insertable<RecordsTable>): Promise<RecordRow | undefined> {
  try {
    const inserted = await db
      .insertInto('records')
      .values(row)
      .onConflict((oc) => oc.columns(['patientId', 'fileName']).where('deletedAt', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst()
    forgetLocally([cacheTags.records(row.patientId)])
    return inserted
  } catch (err) {
    if (isUniqueViolation(err, 'records_source_ref_key')) throw new ConflictError('This document was already imported.', 'duplicate-import')
    throw err
  }
}

/** The metadata a PATCH may change (SPEC §4.3): these columns of the records table, each optional. */
export type RecordMetadataChange = Pick<Updateable<RecordsTable>, 'title' | 'category' | 'recordDate' | 'doctorName' | 'description'>

/** Updates metadata of a live record; returns the id, or undefined when there is no such live record. */
export async function updateRecordMetadata(db: Db, patientId: string, id: string, change: RecordMetadataChange) {
  const updated = await db
    .updateTable('records')
    .set(change)
    .where('id', '=', id)
    .where('patientId', '=', patientId)
    .where('deletedAt', 'is', null)
    .returning('id')
    .executeTakeFirst()
  forgetLocally([cacheTags.records(patientId)])
  return updated
}

/**
 * Soft-deletes a live record and forgets its wrapped data key (crypto-shredding, SPEC §4.3) in
 * one conditional UPDATE; returns the blob key, or undefined when there was no live record.
 */
export async function softDeleteRecord(db: Db, patientId: string, id: string, now: Date) {
  const deleted = await db
    .updateTable('records')
    .set({ deletedAt: now, wrappedKey: null })
    .where('id', '=', id)
    .where('patientId', '=', patientId)
    .where('deletedAt', 'is', null)
    .returning('blobKey')
    .executeTakeFirst()
  forgetLocally([cacheTags.records(patientId)])
  return deleted
}

export interface RecordFilter {
  patientId: string
  category?: string | undefined
  /** Inclusive `YYYY-MM-DD` bounds on record_date. */
  fromDate?: string | undefined
  toDate?: string | undefined
  q?: string | undefined
  /** The sort key of the last row of the previous page. */
  after?: { recordDate: string; uploadedAt: Date; id: string } | undefined
  limit: number
}

interface ListParams extends Record<string, unknown> {
  patientId: string
  category?: string | undefined
  fromDate?: string | undefined
  toDate?: string | undefined
  pattern?: string | undefined
  afterDate?: string | undefined
  afterUploadedAt?: Date | undefined
  afterId?: string | undefined
  take: number
}

/** The list's SQL, compiled once per combination of filters (the hot path of SPEC §7). */
const listQuery = precompiled((db, p: ListParams) => {
  let q = liveRecords(db).select(VIEW_COLUMNS).where('records.patientId', '=', p.patientId)
  if (p.category !== undefined) q = q.where('records.category', '=', p.category)
  if (p.fromDate !== undefined) q = q.where('records.recordDate', '>=', p.fromDate)
  if (p.toDate !== undefined) q = q.where('records.recordDate', '<=', p.toDate)
  if (p.pattern !== undefined) {
    const pattern = p.pattern
    q = q.where((eb) =>
      eb.or([
        eb('records.title', 'ilike', pattern),
        eb('records.description', 'ilike', pattern),
        eb('records.doctorName', 'ilike', pattern),
        eb('records.fileName', 'ilike', pattern),
      ]),
    )
  }
  if (p.afterDate !== undefined && p.afterUploadedAt !== undefined && p.afterId !== undefined) {
    const { afterDate, afterUploadedAt, afterId } = p
    q = q.where((eb) =>
      eb(eb.refTuple('records.recordDate', 'records.uploadedAt', 'records.id'), '<', eb.tuple(afterDate, afterUploadedAt, afterId)),
    )
  }
  return q.orderBy('records.recordDate', 'desc').orderBy('records.uploadedAt', 'desc').orderBy('records.id', 'desc').limit(sql.lit(p.take))
}, { literals: ['take'] })

/**
 * Live records newest first by (record_date, uploaded_at, id), keyset-paginated on the same
 * key so `records_list_idx` serves the order (no OFFSET, SPEC §2). Takes limit + 1 rows.
 */
export function listRecordViews(db: Db, f: RecordFilter): Promise<RecordView[]> {
  // The first page of an unsearched list is node-cached (src/db/node-cache.ts): it is what every
  // list, doctor's list and emergency view reads. Tags: the patient's records and each uploader's account.
  if (f.q || f.after) return readListPage(db, f)
  const key = `recordPage:${f.patientId}:${f.category ?? ''}:${f.fromDate ?? ''}:${f.toDate ?? ''}:${f.limit}`
  return readThrough(
    db,
    key,
    () => readListPage(db, f),
    (rows) => [cacheTags.records(f.patientId), ...new Set(rows.map((r) => cacheTags.user(r.uploadedBy)))],
    (rows) => rows.length + 1,
  )
}

/**
 * The row counts the list's SQL asks for: the page size + 1 rounded up to one of these, so the
 * literal LIMIT (a generic plan, see `precompiled`) makes at most three statement texts per
 * filter shape instead of one per page size (named statements are capped per process).
 */
const TAKE_SIZES = [21, 51, 101] as const

async function readListPage(db: Db, f: RecordFilter): Promise<RecordView[]> {
  const wanted = f.limit + 1
  const rows = await listQuery(db, {
    patientId: f.patientId,
    category: f.category || undefined,
    fromDate: f.fromDate || undefined,
    toDate: f.toDate || undefined,
    pattern: f.q ? containsPattern(f.q) : undefined,
    afterDate: f.after?.recordDate,
    afterUploadedAt: f.after?.uploadedAt,
    afterId: f.after?.id,
    take: TAKE_SIZES.find((n) => n >= wanted) ?? wanted,
  })
  return (rows as RecordView[]).slice(0, wanted)
}
