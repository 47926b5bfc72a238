/** SQL of the patient's exports (SPEC §9 "Take your data and go"). No business rules here (STYLE §2). */
import { sql, type Kysely, type Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import type { DB, PatientExportsTable } from '../../db/schema.js'
import type { Selectable } from 'kysely'

type Db = Kysely<DB> | Transaction<DB>

export type ExportRow = Selectable<PatientExportsTable>

const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint

/** Inserts a pending export; ConflictError `export-pending` when the patient already has one (the partial unique index decides, so two requests cannot race). */
export async function insertPendingExport(db: Transaction<DB>, patientId: string, now: Date, expiresAt: Date): Promise<ExportRow> {
  try {
    // A violation aborts the caller's transaction: the ConflictError rolls it back whole (its audit event too).
    return await db.insertInto('patientExports').values({ patientId, status: 'pending', createdAt: now, expiresAt }).returningAll().executeTakeFirstOrThrow()
  } catch (err) {
    if (isUniqueViolation(err, 'patient_exports_one_pending_key')) {
      throw new ConflictError('An export of your locker is already being prepared; wait until it is ready.', 'export-pending')
    }
    throw err
  }
}

/** One export of `patientId`, or undefined (another patient's export is absent). */
export function findExport(db: Db, patientId: string, id: string): Promise<ExportRow | undefined> {
  return db.selectFrom('patientExports').selectAll().where('id', '=', id).where('patientId', '=', patientId).executeTakeFirst()
}

/** One export by id alone, for the job that builds it. */
export function findExportById(db: Db, id: string): Promise<ExportRow | undefined> {
  return db.selectFrom('patientExports').selectAll().where('id', '=', id).executeTakeFirst()
}

/** The patient's exports that have not expired, newest first (at most `limit`). */
export function listLiveExports(db: Db, patientId: string, now: Date, limit: number): Promise<ExportRow[]> {
  return db
    .selectFrom('patientExports')
    .selectAll()
    .where('patientId', '=', patientId)
    .where('expiresAt', '>', now)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

/** A pending export becomes ready with its stored zip; undefined when it is no longer pending (the locker was erased meanwhile). */
export function markExportReady(
  db: Db,
  id: string,
  blob: { blobKey: string; wrappedKey: Buffer; sizeBytes: number; sha256: string },
  now: Date,
  expiresAt: Date,
): Promise<ExportRow | undefined> {
  return db
    .updateTable('patientExports')
    .set({ status: 'ready', ...blob, readyAt: now, expiresAt })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst()
}

/** A pending export failed, with a message for the patient (no secrets, nothing for the logs). */
export async function markExportFailed(db: Db, id: string, error: string): Promise<void> {
  await db.updateTable('patientExports').set({ status: 'failed', error }).where('id', '=', id).where('status', '=', 'pending').execute()
}

/**
 * Expiry (24 h): forgets the key and blob key of every export past `expiresAt` (from then on
 * the zip cannot be decrypted) and fails exports still pending then; returns the blob keys to
 * remove once this commits.
 */
export async function expireExports(db: Transaction<DB>, now: Date): Promise<string[]> {
  await db
    .updateTable('patientExports')
    .set({ status: 'failed', error: 'The export took too long and was abandoned; ask for a new one.' })
    .where('status', '=', 'pending')
    .where('expiresAt', '<=', now)
    .execute()
  const { rows } = await sql<{ blobKey: string }>`
    WITH expired AS (
      SELECT id, blob_key FROM patient_exports
      WHERE blob_key IS NOT NULL AND expires_at <= ${now}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE patient_exports p SET blob_key = NULL, wrapped_key = NULL
    FROM expired WHERE p.id = expired.id
    RETURNING expired.blob_key`.execute(db)
  return rows.map((r) => r.blobKey)
}

/** Erasure (SPEC §9): removes every export of the patient; returns the blob keys to remove once this commits. */
export async function deletePatientExports(db: Transaction<DB>, patientId: string): Promise<string[]> {
  const rows = await db.deleteFrom('patientExports').where('patientId', '=', patientId).returning('blobKey').execute()
  return rows.flatMap((r) => (r.blobKey ? [r.blobKey] : []))
}
