/** SQL of email verification (SPEC §8). No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export async function insertVerification(db: Db, row: { tokenHash: string; userId: string; email: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await db.insertInto('emailVerifications').values(row).execute()
}

/**
 * Uses a link, atomically (STYLE §2: no read-then-write): only while it is unused and
 * unexpired; returns its account and the address it was sent to, else undefined.
 */
export function useVerification(db: Db, tokenHash: string, now: Date) {
  return db
    .updateTable('emailVerifications')
    .set({ usedAt: now })
    .where('tokenHash', '=', tokenHash)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', now)
    .returning(['userId', 'email'])
    .executeTakeFirst()
}

/** A link as stored (to say why it could not be used). */
export function findVerification(db: Db, tokenHash: string) {
  return db.selectFrom('emailVerifications').select(['usedAt', 'expiresAt']).where('tokenHash', '=', tokenHash).executeTakeFirst()
}

/**
 * Marks the account's email verified when it still has `email` and was not verified yet;
 * returns the updated user, else undefined.
 */
export function markEmailVerified(db: Db, userId: string, email: string, now: Date) {
  return db
    .updateTable('users')
    .set({ emailVerifiedAt: now, updatedAt: now })
    .where('id', '=', userId)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .where('emailVerifiedAt', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

export function findUser(db: Db, userId: string) {
  return db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst()
}
