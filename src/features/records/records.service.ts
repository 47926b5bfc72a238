/**
 * A patient's records as metadata (SPEC §4.3): listing with filters and keyset pages, one
 * record, metadata edits, and deletion that destroys the file's data key. Uploads are in
 * `records-upload.service.ts`, the bytes in `records-content.service.ts`.
 *
 * Every function goes through the policy (`withPatientData` / `openPatientData`) for the
 * actor given. Audit (SPEC §4.7): `record.updated` and `record.deleted` in the change's
 * transaction, whoever makes it; `record.listed` and `record.viewed` when anyone but the
 * patient reads; `record.denied` when the policy refuses someone other than the patient.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { AuditAction, AuditTarget } from '../../audit/audit.service.js'
import type { Deps } from '../../app/deps.js'
import { NotFoundError, ValidationError } from '../../app/errors.js'
import { CursorDate, CursorId, CursorInstant, decodeCursor, toPage } from '../../db/keyset.js'
import type { DB } from '../../db/schema.js'
import type { Actor } from '../../policy/index.js'
import { openPatientData, withPatientData, type PatientDataAccess, type PatientDataGrant } from '../../audit/patient-data.js'
import { checkRecordDate, recordReadAccess, recordResource, recordsResource } from './record-access.js'
import * as q from './records.queries.js'
import type { RecordView } from './records.queries.js'
import { toRecordDto, type RecordDto, type RecordListInput, type RecordPatchInput } from './records.schema.js'

/** Inclusive UTC calendar date of a `from`/`to` value (a date, or an instant's UTC date; SPEC §2). */
const dateOf = (v: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? v : new Date(v).toISOString().slice(0, 10))

/** The record list's sort key `[recordDate, uploadedAt, id]`. */
const RecordCursor = z.tuple([CursorDate, CursorInstant, CursorId])

function decodeRecordCursor(cursor: string): { recordDate: string; uploadedAt: Date; id: string } {
  const [recordDate, uploadedAt, id] = decodeCursor(cursor, RecordCursor)
  return { recordDate, uploadedAt, id }
}

type RecordPage = { items: RecordDto[]; nextCursor: string | null }

/** How a list request reaches the records (SPEC §4.3): `record.list` from `from`'s date, audited as `record.listed`. */
function listAccess(query: RecordListInput): PatientDataAccess<RecordPage, 'read', q.RecordFilter, 'record.list'> {
  const fromDate = query.from ? dateOf(query.from) : undefined
  return {
    action: 'record.list',
    facts: { listFrom: fromDate },
    kind: 'read',
    resource: recordsResource,
    audited: 'record.listed',
    prepare: (scope) => {
      const toDate = query.to ? dateOf(query.to) : undefined
      if (fromDate && toDate && fromDate > toDate) {
        throw new ValidationError('`from` is after `to`.', [{ path: '/from', message: 'Must not be after `to`.' }])
      }
      const after = query.cursor ? decodeRecordCursor(query.cursor) : undefined
      return { patientId: scope.patientId, category: query.category, fromDate, toDate, q: query.q, after, limit: query.limit }
    },
  }
}

const readPage = async (db: Parameters<typeof q.listRecordViews>[0], filter: q.RecordFilter): Promise<RecordPage> =>
  toPage(await q.listRecordViews(db, filter), filter.limit, (r) => [r.recordDate, r.uploadedAt.toISOString(), r.id], toRecordDto)

/** A list request the policy allowed (`prepareRecordList`), to run with `readRecordList`. */
export type RecordListPlan = PatientDataGrant<RecordPage, 'read', q.RecordFilter>

/**
 * Resolves, authorizes and checks a list request (SPEC §4.3) without reading any record:
 * 404 when the caller may not see the patient (a refusal audited as `record.denied`), 400
 * for a bad cursor or `from` after `to`. Reads only through `deps.db`, so call it before
 * opening the transaction that `readRecordList` runs in (PGlite has one connection).
 */
export function prepareRecordList(deps: Deps, actor: Actor, pid: string, query: RecordListInput): Promise<RecordListPlan> {
  return openPatientData(deps, actor, pid, listAccess(query))
}

/**
 * The page of a `prepareRecordList` plan — the plan is the policy's grant, so nothing is read
 * without it — read with `db` (the pool or the caller's transaction), then its `record.listed`
 * event and the caller's `alsoAudited` events — about the same patient — in one INSERT (none
 * for the patient's own reads; SPEC §4.7), by the plan's actor. For a use case that reads more
 * around the list (the emergency view, SPEC §4.6).
 */
export function readRecordList(
  db: Kysely<DB> | Transaction<DB>,
  plan: RecordListPlan,
  alsoAudited: ReadonlyArray<{ action: AuditAction; target: AuditTarget }> = [],
): Promise<RecordPage> {
  const also = alsoAudited.map((e) => ({ action: e.action, resource: e.target.resource }))
  return plan.within(db, ({ db: handle, prepared }) => readPage(handle, prepared), also)
}

/**
 * `GET /patients/{pid}/records` (SPEC §4.3, §2): live records newest first by recordDate, then
 * uploadedAt (then id), as `{items, nextCursor}`. `category` filters exactly; `from`/`to` are
 * inclusive bounds on recordDate (an instant counts as its UTC date); `q` is a case-insensitive
 * substring of title, description, doctorName or fileName. 404 when the caller may not see the
 * patient; 400 for a bad cursor or `from` after `to`.
 */
export function listRecords(deps: Deps, actor: Actor, pid: string, query: RecordListInput): Promise<RecordPage> {
  return withPatientData(deps, actor, pid, listAccess(query), ({ db, prepared }) => readPage(db, prepared))
}

/** `GET …/records/{id}`: one live record. 404 when absent, deleted, another patient's, or not the caller's to see. */
export async function getRecord(deps: Deps, actor: Actor, pid: string, id: string): Promise<RecordView> {
  return withPatientData(deps, actor, pid, await recordReadAccess(deps, actor, pid, id, 'record.viewed'), async ({ scope, db }) => {
    const record = await q.findRecordView(db, scope.patientId, id)
    if (!record) throw new NotFoundError('Record not found.')
    return record
  })
}

/**
 * `PATCH …/records/{id}` (SPEC §4.3): changes metadata only (title, category, recordDate,
 * doctorName, description; null or "" clears a text field). `fileName` is NOT renamed when
 * category or recordDate change: it is the name the file was filed under, and other people
 * may already know the record by it. 404 when the caller may not see the record, 403 when
 * they may see but not change it (a treating doctor), 400 for a future recordDate.
 */
export function updateRecord(deps: Deps, actor: Actor, pid: string, id: string, patch: RecordPatchInput): Promise<RecordView> {
  const prepare = () => {
    if (patch.recordDate !== undefined) checkRecordDate(deps, patch.recordDate, '/recordDate')
    const change: q.RecordMetadataChange = {}
    if (patch.title !== undefined) change.title = patch.title
    if (patch.category !== undefined) change.category = patch.category
    if (patch.recordDate !== undefined) change.recordDate = patch.recordDate
    if (patch.doctorName !== undefined) change.doctorName = patch.doctorName
    if (patch.description !== undefined) change.description = patch.description
    return change
  }
  const access = { action: 'record.update', visibility: 'record.read', kind: 'write', resource: recordResource(id), audited: 'record.updated', prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx, prepared: change }) => {
    if (Object.keys(change).length > 0 && !(await q.updateRecordMetadata(trx, scope.patientId, id, change))) {
      throw new NotFoundError('Record not found.')
    }
    const record = await q.findRecordView(trx, scope.patientId, id)
    if (!record) throw new NotFoundError('Record not found.')
    return record
  })
}

/**
 * `DELETE …/records/{id}` (SPEC §4.3): marks the record deleted and forgets its wrapped data
 * key in one statement (crypto-shredding: from then on the bytes cannot be decrypted, so
 * shares of it stop working), then removes the blob. A failure to remove the blob is not an
 * error for the caller: the bytes are already unreadable. 404 / 403 as for PATCH.
 */
export async function deleteRecord(deps: Deps, actor: Actor, pid: string, id: string): Promise<void> {
  const access = { action: 'record.delete', visibility: 'record.read', kind: 'write', resource: recordResource(id), audited: 'record.deleted' } as const
  const deleted = await withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const row = await q.softDeleteRecord(trx, scope.patientId, id, deps.now())
    if (!row) throw new NotFoundError('Record not found.')
    return row
  })
  await deps.blobs.remove(deleted.blobKey).catch(() => undefined)
}
