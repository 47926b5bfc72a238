/**
 * Take your data and go (SPEC §9): a patient asks for an export of their whole locker, a job
 * builds it (data-export.jobs.ts), the patient polls it and downloads the zip within 24 h.
 *
 * - Only the patient (policy `export.request`, `export.read`; routes serve the patient role).
 * - At most one pending export per patient (409 `export-pending`).
 * - The zip is stored like a record: encrypted at rest under a fresh data key wrapped by the
 *   master key. It expires 24 h after it is ready: from then on the status and the download
 *   answer 410 and a sweep (the `export.expire` job) forgets its key and removes its blob.
 * - Audit (SPEC §4.7): `export.requested` in the request's transaction, `export.downloaded`
 *   for every download — both by the patient, in their own access log.
 */
import type { Readable } from 'node:stream'
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ConflictError, GoneError, NotFoundError } from '../../app/errors.js'
import { withPatientData } from '../../audit/patient-data.js'
import { grant, systemActor, type Actor } from '../../policy/index.js'
import type { DB } from '../../db/schema.js'
import { BlobNotFoundError } from '../../storage/blob-store.js'
import { listRecordFiles } from '../records/records-content.service.js'
import { everythingBundle, ipsSummaryBundle } from '../fhir-api/patient-bundles.js'
import { writeExportZip } from './export-zip.js'
import * as q from './data-export.queries.js'
import type { ExportRow } from './data-export.queries.js'

/** How long an export (pending or ready) lives: 24 h (SPEC §9). */
export const EXPORT_LIFETIME_MS = 24 * 60 * 60 * 1000

const exportResource = (id: string) => ({ type: 'export', id })
const exportsResource = (patientId: string) => ({ type: 'exports', id: patientId })

const expired = (row: ExportRow, now: Date) => row.expiresAt.getTime() <= now.getTime()

/** 410 for an export past its 24 h, or whose zip is no longer stored. */
const goneExport = () => new GoneError('This export has expired (exports are kept 24 hours). Ask for a new one.', 'export-expired')

/**
 * `POST /patients/{pid}/export` (SPEC §9): records a pending export and enqueues its
 * `export.build` job (ids only) in one transaction, audited `export.requested`. Throws
 * NotFoundError when the caller is not the patient, ConflictError 409 `export-pending` when
 * an export of the locker is already being prepared.
 */
export function requestExport(deps: Deps, actor: Actor, pid: string): Promise<ExportRow> {
  const requested = (row: ExportRow) => [{ action: 'export.requested', resource: exportResource(row.id) }] as const
  const access = { action: 'export.request', kind: 'write', resource: exportsResource, audited: requested } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const now = deps.now()
    const row = await q.insertPendingExport(trx, scope.patientId, now, new Date(now.getTime() + EXPORT_LIFETIME_MS))
    await deps.jobs.send(trx, 'export.build', { exportId: row.id })
    return row
  })
}

/**
 * `GET /patients/{pid}/exports/{id}` (SPEC §9): the export's state. NotFoundError for an
 * unknown id or another patient's export; GoneError 410 `export-expired` after its 24 h.
 */
export function getExport(deps: Deps, actor: Actor, pid: string, id: string): Promise<ExportRow> {
  const access = { action: 'export.read', kind: 'read', resource: exportResource(id), audited: 'export.viewed' } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db }) => {
    const row = await q.findExport(db, scope.patientId, id)
    if (!row) throw new NotFoundError('Export not found.')
    if (expired(row, deps.now())) throw goneExport()
    return row
  })
}

/** `GET /patients/{pid}/exports`: the patient's exports that have not expired, newest first (at most 20: one may be pending at a time, and each lives 24 h). */
export function listExports(deps: Deps, actor: Actor, pid: string): Promise<ExportRow[]> {
  const access = { action: 'export.read', kind: 'read', resource: exportsResource, audited: 'export.listed' } as const
  return withPatientData(deps, actor, pid, access, ({ scope, db }) => q.listLiveExports(db, scope.patientId, deps.now(), 20))
}

/** A download: the zip's plaintext bytes and what the headers need. */
export interface ExportDownload {
  stream: Readable
  sizeBytes: number
  sha256: string
  /** `carelocker-export-<YYYY-MM-DD>.zip`, the date the export was made (UTC). */
  fileName: string
}

/**
 * `GET /patients/{pid}/exports/{id}/download` (SPEC §9): the zip, decrypted as it streams,
 * audited `export.downloaded`. NotFoundError for an unknown id or another patient's export,
 * ConflictError 409 `export-not-ready` while pending or failed, GoneError 410 after its 24 h.
 */
export async function openExportDownload(deps: Deps, actor: Actor, pid: string, id: string): Promise<ExportDownload> {
  const access = { action: 'export.read', kind: 'write', resource: exportResource(id), audited: 'export.downloaded' } as const
  const row = await withPatientData(deps, actor, pid, access, async ({ scope, db }) => {
    const found = await q.findExport(db, scope.patientId, id)
    if (!found) throw new NotFoundError('Export not found.')
    if (expired(found, deps.now())) throw goneExport()
    if (found.status !== 'ready' || !found.blobKey || !found.wrappedKey || found.sizeBytes === null || !found.sha256) {
      throw new ConflictError(found.status === 'failed' ? 'This export failed; ask for a new one.' : 'This export is still being prepared.', 'export-not-ready')
    }
    return found
  })
  const key: Uint8Array = row.wrappedKey as Uint8Array
  const blob = { wrappedKey: Buffer.from(key.buffer, key.byteOffset, key.byteLength), sizeBytes: row.sizeBytes as number }
  try {
    const stream = await deps.blobs.read(row.blobKey as string, blob)
    return { stream, sizeBytes: blob.sizeBytes, sha256: row.sha256 as string, fileName: exportFileName(row) }
  } catch (err) {
    // Swept between the check and the read.
    if (err instanceof BlobNotFoundError) throw goneExport()
    throw err
  }
}

/** The download's file name: `carelocker-export-<date the export was made, UTC>.zip`. */
export const exportFileName = (row: Pick<ExportRow, 'readyAt' | 'createdAt'>) =>
  `carelocker-export-${(row.readyAt ?? row.createdAt).toISOString().slice(0, 10)}.zip`

/** What building one export did, for the job's log (ids and counts only). */
export type BuildOutcome = { skipped: 'not-pending' } | { exportId: string; files: number; sizeBytes: number }

/**
 * Builds the zip of a pending export (the `export.build` job, SPEC §9): the `$everything` and
 * IPS bundles, the records' files streamed through their decrypting reader, the README —
 * written as one stream into the encrypted blob store — then marks the export ready (24 h from
 * now) and schedules its expiry sweep, in one transaction. Does nothing for an export that is
 * no longer pending (built already, failed, erased). Throws what the build throws (an
 * `ExportFileError` for a record whose bytes cannot be read); nothing is stored then.
 */
export async function buildExport(deps: Deps, exportId: string): Promise<BuildOutcome> {
  const row = await q.findExportById(deps.db, exportId)
  if (!row || row.status !== 'pending') return { skipped: 'not-pending' }
  const patient = grant(systemActor, 'export.build', { patientId: row.patientId, status: row.status })
  const now = deps.now()
  const options = { baseUrl: `${deps.config.publicUrl}/fhir/R4`, now }
  const everything = await everythingBundle(deps.db, patient.patientId, options)
  const summary = await ipsSummaryBundle(deps.db, patient.patientId, options)
  const files = await listRecordFiles(deps, patient)
  const blobKey = row.id
  const stored = await deps.blobs.write(blobKey, writeExportZip({ everything, summary, files, createdAt: now, publicUrl: deps.config.publicUrl }))
  const readyAt = deps.now()
  const expiresAt = new Date(readyAt.getTime() + EXPORT_LIFETIME_MS)
  const ready = await deps.db.transaction().execute(async (trx) => {
    const updated = await q.markExportReady(trx, row.id, { blobKey, ...stored }, readyAt, expiresAt)
    if (updated) await deps.jobs.send(trx, 'export.expire', { exportId: row.id }, { startAfter: expiresAt })
    return updated
  })
  if (!ready) {
    await deps.blobs.remove(blobKey).catch(() => undefined)
    return { skipped: 'not-pending' }
  }
  return { exportId: row.id, files: files.length, sizeBytes: stored.sizeBytes }
}

/** Marks a pending export failed with `message` (shown to the patient; the job's last try gave up). */
export async function failExport(deps: Deps, exportId: string, message: string): Promise<void> {
  await q.markExportFailed(deps.db, exportId, message)
}

/**
 * The expiry sweep (SPEC §9: 24 h life): forgets the key of every export past its time and
 * removes its blob after the commit (a blob whose removal fails has no row left pointing at
 * it: the orphan sweeper takes it); fails exports still pending then. Returns how many blobs
 * it removed.
 */
export async function sweepExpiredExports(deps: Deps): Promise<number> {
  const keys = await deps.db.transaction().execute((trx) => q.expireExports(trx, deps.now()))
  for (const key of keys) await deps.blobs.remove(key).catch(() => undefined)
  return keys.length
}

/**
 * The locker's erasure step for exports (SPEC §9): deletes every export row of the patient in
 * the erasure's transaction (a build still running finds no pending row and removes its own
 * zip) and returns the blob keys to remove once it commits.
 */
export function eraseExports(trx: Transaction<DB>, patientId: string): Promise<string[]> {
  return q.deletePatientExports(trx, patientId)
}
