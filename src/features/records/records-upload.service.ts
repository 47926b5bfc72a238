/**
 * Adding records (SPEC §4.3, §4.4): a streamed upload whose type is decided by its bytes,
 * stored encrypted before any transaction opens; and documents taken in by an import, in the
 * importer's transaction. Both name the file `<CategoryStem>_<recordDate><ext>` with the
 * first free `_2`, `_3`… suffix.
 *
 * Authorization: an upload asks the policy for `record.create` (through `withPatientData`,
 * which audits `record.created` in the insert's transaction and `record.denied` when it
 * refuses someone other than the patient). An import hands over the write grant it got from
 * `withPatientData` (its actor, scope and transaction), and `record.create` is judged on that
 * scope again here: no caller adds a record without the policy having allowed it.
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Transaction } from 'kysely'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../app/errors.js'
import { SINGLE_LINE_FORBIDDEN } from '../../app/schemas.js'
import { withPatientData } from '../../audit/patient-data.js'
import type { DB, RecordRow } from '../../db/schema.js'
import { authorize, isUser, type Actor, type Granted, type PatientScope, type UserActor } from '../../policy/index.js'
import type { StoredBlob } from '../../storage/encrypted-blobs.js'
import { detectContentType, IMPORTED_XML, isWellFormedXml, peekStream, SNIFF_BYTES, type DetectedType } from './detect-content-type.js'
import { checkRecordDate, recordResource, recordsResource } from './record-access.js'
import { categoryFileStem, type RecordCategory } from './record-category.js'
import * as q from './records.queries.js'
import type { RecordView } from './records.queries.js'
import { ORIGINAL_FILE_NAME_MAX, type UploadFieldsInput } from './records.schema.js'

type Trx = Transaction<DB>

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

/** The uploaded name verbatim, up to ORIGINAL_FILE_NAME_MAX characters (whole code points); a name with control characters is 400 (SPEC §6). */
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

// ---------------------------------------------------------------------------------------
// Upload

/**
 * The file of an upload. `stream` must error (or end with `truncated()` true) when the file
 * is over `MAX_UPLOAD_MB`, and error when the client goes away.
 */
export interface UploadFile {
  /** The name the client gave, if any. */
  fileName: string | undefined
  stream: Readable
  truncated(): boolean
}

/**
 * An upload's body as the route reads it (see `records.multipart.ts`). `read` walks it once,
 * after the policy has spoken: it checks each field as it comes, hands the one file to
 * `storeFile` when it comes (so a bad field before the file stores nothing) and returns the
 * checked fields with what `storeFile` returned. It throws ValidationError (400, with field
 * paths), PayloadTooLargeError (413), UnsupportedMediaTypeError (415), or the client's abort.
 */
export interface UploadBody {
  read<F>(storeFile: (file: UploadFile) => Promise<F>): Promise<{ fields: UploadFieldsInput; file: F }>
}

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
async function storeUploadedFile(deps: Deps, file: UploadFile): Promise<WrittenBlob> {
  const tooLarge = () => new PayloadTooLargeError(`A file may be at most ${deps.config.maxUploadBytes / (1024 * 1024)} MB.`)
  let uploadedName: string | undefined
  try {
    uploadedName = file.fileName ? capOriginalName(file.fileName) : undefined
  } catch (err) {
    file.stream.destroy()
    throw err
  }
  let peeked: Awaited<ReturnType<typeof peekStream>>
  try {
    peeked = await peekStream(file.stream, SNIFF_BYTES)
  } catch (err) {
    throw file.truncated() ? tooLarge() : err
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
    throw file.truncated() ? tooLarge() : err
  }
  // busboy ends a file that hit its size limit normally, only marked truncated.
  if (file.truncated() || stored.sizeBytes > deps.config.maxUploadBytes) {
    await deps.blobs.remove(key)
    throw tooLarge()
  }
  return { key, stored, type, originalFileName: uploadedName ?? `upload${type.extension}` }
}

/**
 * `POST /patients/{pid}/records` (SPEC §4.3): reads `body` (one `file`; fields `category`,
 * `recordDate?` (default today, UTC), `title?`, `doctorName?`, `description?`, in any order),
 * stores the file encrypted and inserts the record. Authorizes 'record.create' before reading
 * the body (404 when the caller may not see the patient) and again at insert time, so a
 * consultation ended mid-upload is honoured.
 *
 * Errors: those of `body.read`; ValidationError (400) for a future recordDate or an empty
 * file; UnsupportedMediaTypeError (415); PayloadTooLargeError (413). On every failure no row
 * and no blob remain. The blob is written before any transaction opens (never hold one while
 * streaming).
 */
export async function uploadRecord(deps: Deps, actor: Actor, pid: string, body: UploadBody): Promise<RecordView> {
  if (!isUser(actor)) throw new NotFoundError()
  let blob: WrittenBlob | undefined
  let committed = false
  // The body is read once the policy has spoken (404 before any byte is stored), outside any transaction.
  const prepare = async () => {
    const { fields: input, file } = await body.read(async (part) => (blob = await storeUploadedFile(deps, part)))
    const recordDate = input.recordDate ?? utcDate(deps.now())
    checkRecordDate(deps, recordDate, '/recordDate')
    return { input, recordDate, written: file }
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
// Import (the import feature, inside its transaction)

/**
 * The write grant an importer holds: what `withPatientData` handed its `fn` for a write
 * (the scope the policy allowed — `Granted`, so only the policy makes one — judged again in
 * `db`, the write's transaction), and who acts.
 */
export interface RecordWriteGrant {
  actor: UserActor
  scope: Granted<PatientScope>
  db: Trx
}

/** A document to add as a record: its bytes and the metadata the source gives (SPEC §4.4). */
export interface AddRecordFromBytesInput {
  category: RecordCategory
  /**
   * As declared by the source; informational only: the bytes decide the stored type (SPEC
   * §4.3) — except `application/xml`, which an importer declares for a source document it
   * parsed (a C-CDA): stored as `application/xml` (`.xml`) when the bytes are well-formed XML.
   */
  contentType: string
  data: Buffer
  originalFileName: string
  title: string | null
  /** `YYYY-MM-DD`. */
  recordDate: string
  doctorName?: string | null | undefined
  description?: string | null | undefined
  /** Unique per patient (e.g. `DocumentReference/<fhirId>`); a second import of it is a ConflictError. */
  sourceRef: string
}

/**
 * Stores `input.data` encrypted and inserts its record (`source: 'import'`, uploaded by the
 * grant's actor) for the grant's patient with the grant's transaction (SPEC §4.4). The type
 * is decided by the bytes like an upload's; `fileName` gets the usual `_2`… suffix rule.
 *
 * Throws NotFoundError when the policy does not allow `record.create` on the grant's scope;
 * UnsupportedMediaTypeError (a type CareLocker does not store: skip it), ValidationError
 * (empty data), PayloadTooLargeError (over MAX_UPLOAD_MB), ConflictError when `sourceRef` was
 * already imported for this patient (checked before anything is written, so the transaction
 * stays usable). If it throws, nothing of it is stored.
 */
export type AddRecordFromBytes = (grant: RecordWriteGrant, input: AddRecordFromBytesInput) => Promise<RecordRow>

async function addRecordFromBytes(deps: Deps, grant: RecordWriteGrant, input: AddRecordFromBytesInput): Promise<RecordRow> {
  const { actor, scope, db: trx } = grant
  authorize(actor, 'record.create', scope)
  if (input.data.length === 0) throw new ValidationError('The document is empty.')
  if (input.data.length > deps.config.maxUploadBytes) throw new PayloadTooLargeError('The document is larger than MAX_UPLOAD_MB.')
  if (await q.sourceRefExists(trx, scope.patientId, input.sourceRef)) {
    throw new ConflictError('This document was already imported.', 'duplicate-import')
  }
  const type = input.contentType === IMPORTED_XML.contentType && isWellFormedXml(input.data) ? IMPORTED_XML : await detectContentType(input.data, true)
  if (!type) throw new UnsupportedMediaTypeError(`A document of type ${input.contentType} is not a type CareLocker stores.`)
  const key = randomUUID()
  const stored = await deps.blobs.write(key, Readable.from([input.data]))
  try {
    return await insertWithFreeName(
      trx,
      {
        patientId: scope.patientId,
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
        uploadedBy: actor.id,
        source: 'import',
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

/**
 * Runs `fn` — an import that opens its write with `withPatientData` — with `addRecord`
 * ({@link AddRecordFromBytes}), which adds documents as records inside that write. The
 * encrypted bytes are written outside the database, so when `fn` throws (its transaction
 * rolled back, the rows and their data keys with it), every blob `addRecord` wrote is removed
 * before the error is rethrown: no unreadable file stays behind. Returns what `fn` returns.
 */
export async function withImportedRecords<T>(deps: Deps, fn: (addRecord: AddRecordFromBytes) => Promise<T>): Promise<T> {
  const written: string[] = []
  const addRecord: AddRecordFromBytes = async (grant, input) => {
    const row = await addRecordFromBytes(deps, grant, input)
    written.push(row.blobKey)
    return row
  }
  try {
    return await fn(addRecord)
  } catch (err) {
    await Promise.allSettled(written.map((key) => deps.blobs.remove(key)))
    throw err
  }
}
