/**
 * SQL of the locker's erasure (SPEC §9 `DELETE /patients/me`). Erasure reaches every table
 * that holds the patient's data, so unlike other features it writes other features' tables —
 * here, and only here, each statement scoped to one patient. No business rules (STYLE §2):
 * what to keep and why is decided in account-erasure.service.ts.
 */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Trx = Transaction<DB>

/** The account's email and password hash (null: an OpenID Connect account that never set one). */
export function findCredentials(db: Kysely<DB>, userId: string) {
  return db.selectFrom('users').select(['email', 'passwordHash']).where('id', '=', userId).executeTakeFirst()
}

/**
 * Crypto-shreds every record of the patient: its wrapped data key is forgotten (the bytes can
 * no longer be decrypted) and the row becomes a tombstone with no descriptive metadata (title,
 * description, doctor, file names, hash, import reference), so a share link of it answers 410
 * rather than pretending it never existed. Returns the blob keys to remove once this commits.
 */
export async function shredRecords(trx: Trx, patientId: string, now: Date): Promise<string[]> {
  const rows = await trx
    .updateTable('records')
    .set({
      wrappedKey: null,
      deletedAt: sql<Date>`coalesce(deleted_at, ${now})`,
      title: null,
      description: null,
      doctorName: null,
      fileName: sql<string>`'erased-' || id`,
      originalFileName: '',
      sha256: '',
      sizeBytes: 0,
      category: 'other',
      recordDate: now.toISOString().slice(0, 10),
      sourceRef: null,
    })
    .where('patientId', '=', patientId)
    .returning('blobKey')
    .execute()
  return rows.map((r) => r.blobKey)
}

/** Revokes every live share link of the patient's records (they answer 410 from now on). */
export async function revokeShareLinks(trx: Trx, patientId: string, now: Date): Promise<void> {
  await trx.updateTable('shareLinks').set({ revokedAt: now }).where('patientId', '=', patientId).where('revokedAt', 'is', null).execute()
}

/** Deletes the patient's clinical rows: profile, vitals, lab results, notes about them, import bookkeeping, emergency alert history. */
export async function deleteClinicalRows(trx: Trx, patientId: string): Promise<void> {
  await trx.deleteFrom('patientProfiles').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('vitals').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('labResults').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('notes').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('fhirImportedResources').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('emergencyAlertRounds').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('alertSmsSends').where('patientId', '=', patientId).execute()
  await trx.deleteFrom('emergencyRotatedTokens').where('patientId', '=', patientId).execute()
}

/**
 * Ends the patient's consultations (approved → ended, pending → cancelled) and forgets every
 * consultation's reason (free text that may be clinical); the rows stay as the doctors' record
 * that a consultation took place.
 */
export async function closeConsultations(trx: Trx, patientId: string, now: Date): Promise<void> {
  await trx.updateTable('consultations').set({ status: 'ended', endedAt: now }).where('patientId', '=', patientId).where('status', '=', 'approved').execute()
  await trx.updateTable('consultations').set({ status: 'cancelled', decidedAt: now }).where('patientId', '=', patientId).where('status', '=', 'pending').execute()
  await trx.updateTable('consultations').set({ reason: null }).where('patientId', '=', patientId).where('reason', 'is not', null).execute()
}

/** Cancels the patient's prescriptions that could still be dispensed (active, partially dispensed); the rows stay. */
export async function cancelOpenPrescriptions(trx: Trx, patientId: string, now: Date): Promise<void> {
  await trx
    .updateTable('prescriptions')
    .set({ status: 'cancelled', cancelledAt: now, updatedAt: now })
    .where('patientId', '=', patientId)
    .where('status', 'in', ['active', 'partially_dispensed'])
    .execute()
}

/**
 * Closes the account: every session revoked, every way to sign in removed (password hash,
 * TOTP, recovery codes, passkeys, OpenID Connect links, pending codes and challenges, known
 * browsers), status `disabled`, `erased_at` set. The row stays (audit events name it; the
 * goodbye email reads its address when it is sent).
 */
/**
 * Locks the account's user row FOR UPDATE, the erasure's first step: a write of this user
 * already past its recheck (which holds the row FOR KEY SHARE) commits first and is erased
 * with the rest; one not yet there waits and then sees the account disabled (review L3).
 */
export async function lockAccount(trx: Trx, userId: string): Promise<void> {
  await trx.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute()
}

export async function closeAccount(trx: Trx, userId: string, now: Date): Promise<void> {
  await trx.updateTable('sessions').set({ revokedAt: now, revokedReason: 'locker-erased' }).where('userId', '=', userId).where('revokedAt', 'is', null).execute()
  for (const table of ['totpFactors', 'recoveryCodes', 'mfaChallenges', 'passkeys', 'webauthnChallenges', 'oidcIdentities', 'knownBrowsers', 'passwordResetCodes', 'emailVerifications'] as const) {
    await trx.deleteFrom(table).where('userId', '=', userId).execute()
  }
  await trx.updateTable('users').set({ status: 'disabled', passwordHash: null, erasedAt: now, updatedAt: now }).where('id', '=', userId).execute()
}
