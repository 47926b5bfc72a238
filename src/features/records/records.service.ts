/**
 * Medical records (SPEC §4.3): streamed, encrypted uploads whose type is decided by their
 * bytes; listing with filters and keyset pages; metadata edits; deletion that destroys the
 * file's data key; ranged downloads; integrity checks. Services are `(deps, actor, …)`;
 * every one resolves `{pid}` and asks the policy module before touching a record.
 *
 * Audit (SPEC §4.7, through `withPatientData` / `openPatientData`): `record.created`, `record.updated` and
 * `record.deleted` in the change's transaction, whoever makes it; `record.listed`,
 * `record.viewed`, `record.downloaded` (every authorized content request, ranges and 304s
 * included) and `record.verified` when anyone but the patient reads; `record.denied` when
 * the policy refuses someone other than the patient.
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { AuditAction, AuditTarget } from '../../audit/audit.service.js'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import {
  AppError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  type FieldError,
} from '../../app/errors.js'
import { SINGLE_LINE_FORBIDDEN } from '../../app/schemas.js'
import { CursorDate, CursorId, CursorInstant, decodeCursor, toPage } from '../../db/keyset.js'
import type { DB, RecordRow } from '../../db/schema.js'
import { isUser, type Actor } from '../../policy/index.js'
import { openPatientData, withPatientData, type PatientDataAccess, type PatientDataGrant } from '../../audit/patient-data.js'
import { BlobNotFoundError, IntegrityError, type StoredBlob } from '../../storage/encrypted-blobs.js'
import { etagMatches, parseRangeHeader } from './byte-range.js'
import { detectContentType, peekStream, SNIFF_BYTES, type DetectedType } from './detect-content-type.js'
import { categoryFileStem, type RecordCategory } from './record-category.js'
import * as q from './records.queries.js'
import type { RecordView } from './records.queries.js'
import {
  ORIGINAL_FILE_NAME_MAX,
  UploadFields,
  toRecordDto,
  type RecordDto,
  type RecordListInput,
  type RecordPatchInput,
} from './records.schema.js'

type Trx = Transaction<DB>

// ---------------------------------------------------------------------------------------
// Helpers

/** The latest calendar date anywhere on Earth right now (UTC+14), so "today" is accepted in every time zone. */
const latestLocalDate = (now: Date): string => new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10)

/** Issues of a zod error as field errors with JSON pointers under `prefix`; unknown keys get one entry each. */
function fieldErrorsOf(error: z.ZodError, prefix = ''): FieldError[] {
  const out: FieldError[] = []
  for (const issue of error.issues) {
    const base = prefix + issue.path.map((p) => `/${String(p)}`).join('')
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: `${base}/${key}`, message: 'Unknown field.' })
    } else {
      out.push({ path: base || '/', message: issue.message })
    }
  }
  return out
}

const futureDateError = (path: string): ValidationError =>
  new ValidationError('The record date is in the future.', [{ path, message: 'A record date cannot be in the future.' }])

/**
 * `<CategoryStem>_<recordDate><ext>`, or with `_2`, `_3`… the first one not in `taken`
 * (SPEC §4.3: `LabReport_2026-11-20.pdf`, then `LabReport_2026-11-20_2.pdf`).
 */
export function nextFileName(category: RecordCategory, recordDate: string, extension: string, taken: ReadonlySet<string>): string {
  const base = `${categoryFileStem(category)}_${recordDate}`
  if (!taken.has(`${base}${extension}`)) return `${base}${extension}`
  for (let n = 2; ; n++) {
    const name = `${base}_${n}${extension}`
    if (!taken.has(name)) return name
  }
}

/** Keeps at most ORIGINAL_FILE_NAME_MAX characters (whole code points) of an uploaded name. */
/** The uploaded name verbatim, up to ORIGINAL_FILE_NAME_MAX characters; a name with control characters is 400 (SPEC §6). */
function capOriginalName(name: string): string {
  if (SINGLE_LINE_FORBIDDEN.test(name)) {
    throw new ValidationError('The file name contains control characters.', [{ path: '/file/filename', message: 'Control characters are not allowed.' }])
  }
  const chars = Array.from(name)
  return chars.length > ORIGINAL_FILE_NAME_MAX ? chars.slice(0, ORIGINAL_FILE_NAME_MAX).join('') : name
}

type NewRecord = Omit<Parameters<typeof q.insertRecordIfNameFree>[1], 'fileName'>

/**
 * Inserts a record under the first free `fileName` for its category, date and extension. Race
 * safe: the partial unique index decides, and a name taken in between is retried with the next
 * suffix (ON CONFLICT DO NOTHING, so the caller's transaction stays usable).
 */
async function insertWithFreeName(db: Trx, row: NewRecord, extension: string): Promise<RecordRow> {
  const prefix = `${categoryFileStem(row.category as RecordCategory)}_${row.recordDate}`
  for (let attempt = 0; attempt < 20; attempt++) {
    const taken = new Set(await q.liveFileNamesLike(db, row.patientId, prefix))
    const fileName = nextFileName(row.category as RecordCategory, row.recordDate, extension, taken)
    const inserted = await q.insertRecordIfNameFree(db, { ...row, fileName })
    if (inserted) return inserted
  }
  throw new ConflictError('Could not choose a file name for this record; please try again.', 'file-name-conflict')
}

/** Audit resources (SPEC §4.7): one record, or a patient's records as a whole (list, upload). */
const recordResource = (id: string) => ({ type: 'record', id })
const recordsResource = (patientId: string) => ({ type: 'records', id: patientId })

// ---------------------------------------------------------------------------------------
// Upload

/** A text field of a multipart upload. `truncated`: the name or value was over its limit. */
export interface UploadField {
  type: 'field'
  name: string
  value: string
  truncated: boolean
}

/**
 * A file part of a multipart upload. `stream` must error (or end with `truncated()` true) when
 * the file is over `MAX_UPLOAD_MB`, and error when the client goes away.
 */
export interface UploadFile {
  type: 'file'
  name: string
  /** The name the client gave, if any. */
  fileName: string | undefined
  stream: Readable
  truncated(): boolean
}

export type UploadPart = UploadField | UploadFile

const UPLOAD_FIELD_NAMES: ReadonlySet<string> = new Set(Object.keys(UploadFields.shape))

interface WrittenBlob {
  key: string
  stored: StoredBlob
  type: DetectedType
  originalFileName: string
}

/**
 * Sniffs the type from the first bytes, then streams the file through `deps.blobs.write`
 * (encrypted on the way; memory bounded). Nothing is stored when the type is refused (415),
 * the file is empty (400), over the limit (413) or the stream fails.
 */
async function storeUploadedFile(deps: Deps, part: UploadFile): Promise<WrittenBlob> {
  const tooLarge = () => new PayloadTooLargeError(`A file may be at most ${deps.config.maxUploadBytes / (1024 * 1024)} MB.`)
  let uploadedName: string | undefined
  try {
    uploadedName = part.fileName ? capOriginalName(part.fileName) : undefined
  } catch (err) {
    part.stream.destroy()
    throw err
  }
  let peeked: Awaited<ReturnType<typeof peekStream>>
  try {
    peeked = await peekStream(part.stream, SNIFF_BYTES)
  } catch (err) {
    throw part.truncated() ? tooLarge() : err
  }
  if (peeked.head.length === 0) {
    peeked.stream.destroy()
    throw new ValidationError('The file is empty.', [{ path: '/file', message: 'The file is empty.' }])
  }
  const type = await detectContentType(peeked.head, peeked.ended)
  if (!type) {
    peeked.stream.destroy()
    throw new UnsupportedMediaTypeError('Accepted files are PDF, JPEG, PNG, WebP, HEIC, DICOM (Part 10) and plain UTF-8 text.')
  }
  const key = randomUUID()
  let stored: StoredBlob
  try {
    stored = await deps.blobs.write(key, peeked.stream)
  } catch (err) {
    throw part.truncated() ? tooLarge() : err
  }
  // busboy ends a file that hit its size limit normally, only marked truncated.
  if (part.truncated() || stored.sizeBytes > deps.config.maxUploadBytes) {
    await deps.blobs.remove(key)
    throw tooLarge()
  }
  return { key, stored, type, originalFileName: uploadedName ?? `upload${type.extension}` }
}

/**
 * `POST /patients/{pid}/records` (SPEC §4.3): consumes the multipart parts in any order (one
 * `file`; fields `category`, `recordDate?` (default today, UTC), `title?`, `doctorName?`,
 * `description?`), stores the file encrypted and inserts the record. Authorizes
 * 'record.create' before reading the body (404 when the caller may not see the patient) and
 * again at insert time, so a consultation ended mid-upload is honoured.
 *
 * Errors: ValidationError (400, with field paths) for a missing file, unknown, repeated, too
 * long or invalid fields; UnsupportedMediaTypeError (415); PayloadTooLargeError (413); the
 * parts' own error when the client aborts. On every failure no row and no blob remain.
 * The blob is written before any transaction opens (never hold one while streaming).
 */
export async function uploadRecord(deps: Deps, actor: Actor, pid: string, parts: AsyncIterable<UploadPart>): Promise<RecordView> {
  if (!isUser(actor)) throw new NotFoundError()
  let blob: WrittenBlob | undefined
  let committed = false
  // The body is read once the policy has spoken (404 before any byte is stored), outside any transaction.
  const prepare = async () => {
    const fields: Record<string, string> = {}
    for await (const part of parts) {
      if (part.type === 'field') {
        const path = `/${part.name}`
        if (!UPLOAD_FIELD_NAMES.has(part.name)) throw new ValidationError('Unknown field.', [{ path, message: 'Unknown field.' }])
        if (part.truncated) throw new ValidationError('A field is too long.', [{ path, message: 'Too long.' }])
        if (Object.hasOwn(fields, part.name)) throw new ValidationError('A field was sent twice.', [{ path, message: 'Send this field once.' }])
        // Refuse a bad value before a file that follows it is stored.
        const checked = UploadFields.shape[part.name as keyof typeof UploadFields.shape].safeParse(part.value)
        if (!checked.success) throw new ValidationError('The upload fields are invalid.', fieldErrorsOf(checked.error, path))
        fields[part.name] = part.value
        continue
      }
      if (part.name !== 'file') {
        part.stream.destroy()
        throw new ValidationError('Unknown file field.', [{ path: `/${part.name}`, message: 'Unknown field; send the file as "file".' }])
      }
      // At most one file reaches here (the parser's files limit is 1).
      blob = await storeUploadedFile(deps, part)
    }
    if (!blob) throw new ValidationError('A file is required.', [{ path: '/file', message: 'Required.' }])

    const parsed = UploadFields.safeParse(fields)
    if (!parsed.success) throw new ValidationError('The upload fields are invalid.', fieldErrorsOf(parsed.error))
    const input = parsed.data
    const recordDate = input.recordDate ?? utcDate(deps.now())
    if (recordDate > latestLocalDate(deps.now())) throw futureDateError('/recordDate')
    return { input, recordDate, written: blob }
  }
  const created = (view: RecordView) => [{ action: 'record.created', resource: recordResource(view.id) }] as const
  try {
    const view = await withPatientData(
      deps,
      actor,
      pid,
      { action: 'record.create', kind: 'write', resource: recordsResource, audited: created, prepare },
      async ({ scope, db: trx, prepared: { input, recordDate, written } }) => {
        const row = await insertWithFreeName(
          trx,
          {
            patientId: scope.patientId,
            originalFileName: written.originalFileName,
            title: input.title ?? null,
            category: input.category,
            contentType: written.type.contentType,
            sizeBytes: written.stored.sizeBytes,
            sha256: written.stored.sha256,
            recordDate,
            doctorName: input.doctorName ?? null,
            description: input.description ?? null,
            uploadedAt: deps.now(),
            uploadedBy: actor.id,
            source: 'upload',
            sourceRef: null,
            blobKey: written.key,
            wrappedKey: written.stored.wrappedKey,
          },
          written.type.extension,
        )
        const found = await q.findRecordView(trx, row.patientId, row.id)
        if (!found) throw new Error('The inserted record is not visible in its own transaction.')
        return found
      },
    )
    committed = true
    return view
  } finally {
    if (blob && !committed) await deps.blobs.remove(blob.key).catch(() => undefined)
  }
}

// ---------------------------------------------------------------------------------------
// Import (called by fhir-import inside its transaction)

export interface AddRecordFromBytesInput {
  patientId: string
  /** User id of whoever runs the import. */
  uploadedBy: string
  category: RecordCategory
  /** As declared by the source; informational only: the bytes decide the stored type (SPEC §4.3). */
  contentType: string
  data: Buffer
  originalFileName: string
  title: string | null
  /** `YYYY-MM-DD`. */
  recordDate: string
  doctorName?: string | null | undefined
  description?: string | null | undefined
  source: 'import'
  /** Unique per patient (e.g. `DocumentReference/<fhirId>`); a second import of it is a ConflictError. */
  sourceRef: string
}

/**
 * Stores `input.data` encrypted and inserts its record with `trx`, the caller's transaction
 * (SPEC §4.4 import). The type is decided by the bytes like an upload's; `fileName` gets the
 * usual `_2`… suffix rule. Checks no policy: the caller has authorized 'import.run'.
 *
 * Throws UnsupportedMediaTypeError (a type CareLocker does not store: skip it),
 * ValidationError (empty data), PayloadTooLargeError (over MAX_UPLOAD_MB), ConflictError when
 * `sourceRef` was already imported for this patient (checked before anything is written, so the
 * transaction stays usable). If this function throws, it has removed its blob itself.
 *
 * The blob is written outside the database: when the caller's transaction rolls back after
 * this returned, the caller must call `removeRecordBlob(deps, row.blobKey)` for every row it
 * got, or the encrypted file stays behind (unreadable, as its key was rolled back with the row).
 */
export async function addRecordFromBytes(deps: Deps, trx: Trx, input: AddRecordFromBytesInput): Promise<RecordRow> {
  if (input.data.length === 0) throw new ValidationError('The document is empty.')
  if (input.data.length > deps.config.maxUploadBytes) throw new PayloadTooLargeError('The document is larger than MAX_UPLOAD_MB.')
  if (await q.sourceRefExists(trx, input.patientId, input.sourceRef)) {
    throw new ConflictError('This document was already imported.', 'duplicate-import')
  }
  const type = await detectContentType(input.data, true)
  if (!type) throw new UnsupportedMediaTypeError(`A document of type ${input.contentType} is not a type CareLocker stores.`)
  const key = randomUUID()
  const stored = await deps.blobs.write(key, Readable.from([input.data]))
  try {
    return await insertWithFreeName(
      trx,
      {
        patientId: input.patientId,
        originalFileName: input.originalFileName ? capOriginalName(input.originalFileName) : `document${type.extension}`,
        title: input.title,
        category: input.category,
        contentType: type.contentType,
        sizeBytes: stored.sizeBytes,
        sha256: stored.sha256,
        recordDate: input.recordDate,
        doctorName: input.doctorName ?? null,
        description: input.description ?? null,
        uploadedAt: deps.now(),
        uploadedBy: input.uploadedBy,
        source: input.source,
        sourceRef: input.sourceRef,
        blobKey: key,
        wrappedKey: stored.wrappedKey,
      },
      type.extension,
    )
  } catch (err) {
    await deps.blobs.remove(key).catch(() => undefined)
    throw err
  }
}

/** Removes a record's stored bytes (idempotent); for callers whose transaction rolled back after `addRecordFromBytes`. */
export function removeRecordBlob(deps: Deps, blobKey: string): Promise<void> {
  return deps.blobs.remove(blobKey)
}

// ---------------------------------------------------------------------------------------
// Read, list, change, delete

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
 * The page of a `prepareRecordList` plan, read with `db` (the pool or the caller's
 * transaction), then its `record.listed` event and the caller's `alsoAudited` events — about
 * the same patient — in one INSERT (none for the patient's own reads; SPEC §4.7). For a use
 * case that reads more around the list (the emergency view, SPEC §4.6). `actor` is the plan's.
 */
export function readRecordList(
  _deps: Deps,
  db: Kysely<DB> | Transaction<DB>,
  _actor: Actor,
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

/**
 * How `actor` reads record `id` (SPEC §3): the patient and a treating doctor any of the
 * patient's records; a share link only its one record; an emergency token only records dated
 * inside its window (so the record's date is looked up first for it). Refusals are audited as
 * `record.denied` and surface as 404; reads by anyone but the patient as `audited`.
 */
async function recordReadAccess(deps: Deps, actor: Actor, pid: string, id: string, audited: 'record.viewed' | 'record.downloaded' | 'record.verified') {
  const recordDate = actor.kind === 'emergency' && pid === actor.patientId ? await q.findRecordDate(deps.db, actor.patientId, id) : undefined
  return { action: 'record.read', facts: { recordId: id, recordDate }, kind: 'read', resource: recordResource(id), audited } satisfies PatientDataAccess<unknown, 'read', undefined, 'record.read'>
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
    if (patch.recordDate !== undefined && patch.recordDate > latestLocalDate(deps.now())) throw futureDateError('/recordDate')
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

/** A live record with its key, audited as `action` when someone other than the patient reads it. */
async function findReadableBlob(deps: Deps, actor: Actor, pid: string, id: string, action: 'record.downloaded' | 'record.verified') {
  const record = await withPatientData(deps, actor, pid, await recordReadAccess(deps, actor, pid, id, action), async ({ scope, db }) => {
    const found = await q.findRecordBlob(db, scope.patientId, id)
    if (!found || found.wrappedKey === null) throw new NotFoundError('Record not found.')
    return { ...found, wrappedKey: found.wrappedKey }
  })
  // PGlite returns bytea as a plain Uint8Array; the envelope code wants a Buffer.
  const key: Uint8Array = record.wrappedKey
  return { ...record, wrappedKey: Buffer.from(key.buffer, key.byteOffset, key.byteLength) }
}

/** Conditional and range headers of a download request, as sent. */
export interface ContentRequest {
  range?: string | undefined
  ifNoneMatch?: string | undefined
  ifRange?: string | undefined
}

export type RecordContent = { record: RecordView; etag: string } & (
  | { status: 304 }
  | { status: 200; stream: Readable; length: number }
  | { status: 206; stream: Readable; start: number; end: number; length: number }
)

/**
 * `GET …/records/{id}/content` (SPEC §4.3): the decrypted bytes, whole (200) or one range
 * (206; `Range: bytes=a-b | a- | -n`), or 304 when `If-None-Match` names the ETag (`"<sha256>"`).
 * An `If-Range` that is not the ETag turns a range request into a whole one (RFC 9110 §13.1.5).
 * Throws NotFoundError as `getRecord`, AppError 416 `range-not-satisfiable` (with
 * `Content-Range: bytes *\/size`), and IntegrityError when the first stored segment of the
 * requested bytes fails authentication — before any byte is released, so the caller answers
 * with a 5xx instead of a 200 with bad bytes. A later segment failing makes the stream error
 * mid-way (the response is cut short, below its Content-Length).
 */
export async function openRecordContent(deps: Deps, actor: Actor, pid: string, id: string, req: ContentRequest): Promise<RecordContent> {
  const record = await findReadableBlob(deps, actor, pid, id, 'record.downloaded')
  const etag = `"${record.sha256}"`
  const view = record as RecordView
  if (etagMatches(req.ifNoneMatch, etag)) return { record: view, etag, status: 304 }
  const size = record.sizeBytes
  const range = req.ifRange !== undefined && req.ifRange.trim() !== etag ? { kind: 'full' as const } : parseRangeHeader(req.range, size)
  if (range.kind === 'unsatisfiable') {
    throw new AppError(416, 'range-not-satisfiable', 'Range not satisfiable', `The file has ${size} bytes.`, {
      headers: { 'Content-Range': `bytes */${size}` },
    })
  }
  const blob = { wrappedKey: record.wrappedKey, sizeBytes: size }
  const plain = await deps.blobs.read(record.blobKey, blob, range.kind === 'partial' ? { start: range.start, end: range.end } : undefined)
  // Wait for the first authenticated chunk, so a tampered start fails before any header is sent.
  const { stream } = await peekStream(plain, 1)
  if (range.kind === 'partial') {
    return { record: view, etag, status: 206, stream, start: range.start, end: range.end, length: range.end - range.start + 1 }
  }
  return { record: view, etag, status: 200, stream, length: size }
}

/**
 * `GET …/records/{id}/verify` (SPEC §4.3): re-reads and decrypts the stored bytes and compares
 * their SHA-256 with the one recorded at upload. `sha256` is the recorded hash; `matches` is
 * false when the bytes were altered, cannot be decrypted, or are missing.
 */
export async function verifyRecord(deps: Deps, actor: Actor, pid: string, id: string): Promise<{ sha256: string; matches: boolean }> {
  const record = await findReadableBlob(deps, actor, pid, id, 'record.verified')
  try {
    const digest = await deps.blobs.digest(record.blobKey, { wrappedKey: record.wrappedKey, sizeBytes: record.sizeBytes })
    return { sha256: record.sha256, matches: digest === record.sha256 }
  } catch (err) {
    if (err instanceof IntegrityError || err instanceof BlobNotFoundError) return { sha256: record.sha256, matches: false }
    throw err
  }
}
