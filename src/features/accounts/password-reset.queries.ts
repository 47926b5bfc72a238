/** SQL of password-reset codes. No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Voids every unused code of the user (a new request replaces older codes). */
export async function voidResetCodes(db: Db, userId: string, now: Date): Promise<void> {
  await db.updateTable('passwordResetCodes').set({ usedAt: now }).where('userId', '=', userId).where('usedAt', 'is', null).execute()
}

export async function insertResetCode(db: Db, row: { userId: string; codeHash: string; expiresAt: Date; createdAt: Date }): Promise<void> {
  await db.insertInto('passwordResetCodes').values(row).execute()
}

/**
 * Takes one try of the user's live code, atomically (no read-then-write): returns the
 * code's hash and id only while it is unused, unexpired and under `maxAttempts` tries.
 */
export function takeResetAttempt(db: Db, userId: string, now: Date, maxAttempts: number) {
  return db
    .updateTable('passwordResetCodes')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('userId', '=', userId)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', now)
    .where('attempts', '<', maxAttempts)
    .returning(['id', 'codeHash', 'attempts'])
    .executeTakeFirst()
}

/** Marks a code used; false when another request used it first. */
export async function useResetCode(db: Db, id: string, now: Date): Promise<boolean> {
  const row = await db.updateTable('passwordResetCodes').set({ usedAt: now }).where('id', '=', id).where('usedAt', 'is', null).returning('id').executeTakeFirst()
  return row !== undefined
}
