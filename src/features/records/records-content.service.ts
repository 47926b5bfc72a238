/**
 * A record's bytes (SPEC §4.3): decrypted downloads, whole or ranged, with ETag and
 * conditional requests (RFC 9110), and integrity checks that re-hash the stored bytes.
 *
 * Every call goes through the policy (`withPatientData`, `record.read` for the actor given:
 * the patient, a treating doctor, a share link or an emergency token). Audit (SPEC §4.7):
 * `record.downloaded` for every authorized content request (ranges and 304s included) and
 * `record.verified`, when anyone but the patient reads; `record.denied` when the policy
 * refuses someone other than the patient.
 */
import type { Readable } from 'node:stream'
import type { Deps } from '../../app/deps.js'
import { AppError, NotFoundError } from '../../app/errors.js'
import { withPatientData } from '../../audit/patient-data.js'
import type { Actor, Granted } from '../../policy/index.js'
import { BlobNotFoundError, IntegrityError } from '../../storage/encrypted-blobs.js'
import { etagMatches, parseRangeHeader } from './byte-range.js'
import { peekStream } from './detect-content-type.js'
import { recordReadAccess } from './record-access.js'
import * as q from './records.queries.js'
import type { RecordView } from './records.queries.js'

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

/** What a content request gets: the record, its ETag, and a 304, the whole bytes (200) or one range (206) as a stream. */
export type RecordContent = { record: RecordView; etag: string } & (
  | { status: 304 }
  | { status: 200; stream: Readable; length: number }
  | { status: 206; stream: Readable; start: number; end: number; length: number }
)

/**
 * `GET …/records/{id}/content` (SPEC §4.3): the decrypted bytes, whole (200) or one range
 * (206; `Range: bytes=a-b | a- | -n`), or 304 when `If-None-Match` names the ETag (`"<sha256>"`).
 * An `If-Range` that is not the ETag turns a range request into a whole one (RFC 9110 §13.1.5).
 * Throws NotFoundError when the record is absent, deleted, another patient's or not the
 * actor's to read; AppError 416 `range-not-satisfiable` (with `Content-Range: bytes *\/size`),
 * and IntegrityError when the first stored segment of the requested bytes fails
 * authentication — before any byte is released, so the caller answers with a 5xx instead of a
 * 200 with bad bytes. A later segment failing makes the stream error mid-way (the response is
 * cut short, below its Content-Length).
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

/** One live record's file as the export lists it (SPEC §9): name, size, hash, and a way to open its decrypted bytes. */
export interface RecordFile {
  id: string
  fileName: string
  contentType: string
  sizeBytes: number
  /** Hex SHA-256 of the plaintext, as recorded at upload. */
  sha256: string
  /** The decrypted bytes as a stream (it errors with IntegrityError when the stored bytes were altered). */
  open(): Promise<Readable>
}

/**
 * Every live record of a patient the policy let the caller reach (`patient`: a `grant` or
 * `withPatientData`'s scope) with its decrypting reader, oldest first — for the export zip's
 * `files/` (SPEC §9). Neither authorizes nor audits: the caller's access did (STYLE §9).
 * Nothing is opened until `open()` is called, so the caller streams one file at a time.
 */
export async function listRecordFiles(deps: Deps, patient: Granted<{ patientId: string }>): Promise<RecordFile[]> {
  const rows = await q.listLiveRecordBlobs(deps.db, patient.patientId)
  return rows.map((r) => {
    const key: Uint8Array = r.wrappedKey as Uint8Array
    const blob = { wrappedKey: Buffer.from(key.buffer, key.byteOffset, key.byteLength), sizeBytes: r.sizeBytes }
    return { id: r.id, fileName: r.fileName, contentType: r.contentType, sizeBytes: r.sizeBytes, sha256: r.sha256, open: () => deps.blobs.read(r.blobKey, blob) }
  })
}
