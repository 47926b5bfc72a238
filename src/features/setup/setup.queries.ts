/** SQL of the first-run setup (SPEC §1). No business rules here (STYLE §2). */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Whether an active admin account exists. */
export async function hasActiveAdmin(db: Db): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('role', '=', 'admin').where('status', '=', 'active').limit(1).executeTakeFirst()
  return row !== undefined
}

/** Replaces every unused token with the one of `tokenHash`. */
export async function replaceUnusedSetupTokens(db: Db, tokenHash: string, now: Date): Promise<void> {
  await db.deleteFrom('setupTokens').where('usedAt', 'is', null).execute()
  await db.insertInto('setupTokens').values({ tokenHash, createdAt: now }).execute()
}

/** Deletes every unused token. */
export async function deleteUnusedSetupTokens(db: Db): Promise<void> {
  await db.deleteFrom('setupTokens').where('usedAt', 'is', null).execute()
}

export function findSetupToken(db: Db, tokenHash: string) {
  return db.selectFrom('setupTokens').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst()
}

/** Marks the token used by `userId` if it is still unused; returns whether it was. */
export async function useSetupToken(trx: Transaction<DB>, tokenHash: string, userId: string, now: Date): Promise<boolean> {
  const row = await trx
    .updateTable('setupTokens')
    .set({ usedAt: now, usedBy: userId })
    .where('tokenHash', '=', tokenHash)
    .where('usedAt', 'is', null)
    .returning('tokenHash')
    .executeTakeFirst()
  return row !== undefined
}

/** Serializes first-run setups until the transaction ends (two tokens, two nodes: one admin). */
export async function lockSetup(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('carelocker/first-run-setup'))`.execute(trx)
}
