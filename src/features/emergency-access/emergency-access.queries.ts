/** SQL of emergency access. No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export function findEmergencyAccess(db: Db, patientId: string) {
  return db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', patientId).executeTakeFirst()
}

/** Creates the patient's row unless one exists; returns the row that is now there. */
export async function insertEmergencyAccessIfMissing(db: Db, row: { patientId: string; tokenHash: string; salt: string; createdAt: Date }) {
  await db.insertInto('emergencyAccess').values(row).onConflict((oc) => oc.column('patientId').doNothing()).execute()
  return db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', row.patientId).executeTakeFirstOrThrow()
}

/** Replaces the live token, remembering the old hash so it answers 410. */
export async function rotateEmergencyToken(db: Db, patientId: string, next: { tokenHash: string; salt: string }, now: Date) {
  const current = await db.selectFrom('emergencyAccess').selectAll().where('patientId', '=', patientId).forUpdate().executeTakeFirst()
  if (current) {
    await db.insertInto('emergencyRotatedTokens').values({ tokenHash: current.tokenHash, patientId, rotatedAt: now }).onConflict((oc) => oc.doNothing()).execute()
  }
  return db
    .insertInto('emergencyAccess')
    .values({ patientId, tokenHash: next.tokenHash, salt: next.salt, createdAt: now })
    .onConflict((oc) => oc.column('patientId').doUpdateSet({ tokenHash: next.tokenHash, salt: next.salt, createdAt: now }))
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findByTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('emergencyAccess').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst()
}

export function findRotatedTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('emergencyRotatedTokens').select('patientId').where('tokenHash', '=', tokenHash).executeTakeFirst()
}

/**
 * Claims the alert round for this access: succeeds only when no round was sent within
 * `cooldownMinutes` (one conditional UPDATE, so a refresh storm sends one round).
 */
export function claimAlertRound(db: Db, patientId: string, now: Date, cooldownMinutes: number) {
  const since = new Date(now.getTime() - cooldownMinutes * 60_000)
  return db
    .updateTable('emergencyAccess')
    .set({ lastAlertAt: now })
    .where('patientId', '=', patientId)
    .where((eb) => eb.or([eb('lastAlertAt', 'is', null), eb('lastAlertAt', '<=', since)]))
    .returning('patientId')
    .executeTakeFirst()
}
