/** SQL of sessions as their owner sees them, their lifetimes and known browsers (SPEC §8). No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Sessions that start no later than these instants are past a lifetime. */
export interface LifetimeCutoffs {
  /** Last used before this: idle too long. */
  idleBefore: Date
  /** Created before this: too old. */
  createdBefore: Date
}

/** The user's sessions that are neither revoked nor past a lifetime, most recently used first. */
export function listLiveSessions(db: Db, userId: string, cut: LifetimeCutoffs) {
  return db
    .selectFrom('sessions')
    .select(['id', 'createdAt', 'lastUsedAt', 'ip', 'userAgent'])
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .where('lastUsedAt', '>=', cut.idleBefore)
    .where('createdAt', '>=', cut.createdBefore)
    .orderBy('lastUsedAt', 'desc')
    .orderBy('id')
    .execute()
}

/** Revokes one live session of `userId`; false when it is not theirs, unknown or already ended. */
export async function revokeOwnSession(db: Db, userId: string, sessionId: string, reason: string, now: Date): Promise<boolean> {
  const row = await db
    .updateTable('sessions')
    .set({ revokedAt: now, revokedReason: reason })
    .where('id', '=', sessionId)
    .where('userId', '=', userId)
    .where('revokedAt', 'is', null)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Records a use of a live session within its lifetimes (`last_used_at` = now), in one
 * conditional update; false when it is revoked or past a lifetime.
 */
export async function touchLiveSession(db: Db, sessionId: string, now: Date, cut: LifetimeCutoffs): Promise<boolean> {
  const row = await db
    .updateTable('sessions')
    .set({ lastUsedAt: now })
    .where('id', '=', sessionId)
    .where('revokedAt', 'is', null)
    .where('lastUsedAt', '>=', cut.idleBefore)
    .where('createdAt', '>=', cut.createdBefore)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Records that the user signed in from the browser of `browserHash`. True when that browser is
 * new to an account that knew another one: an account's first browser (its registration, an
 * account made by OpenID Connect sign-in, an account from before browsers were recorded) is
 * not news to its owner.
 */
export async function recordKnownBrowser(db: Db, userId: string, browserHash: string, now: Date): Promise<boolean> {
  const knewOne = await db.selectFrom('knownBrowsers').select('browserHash').where('userId', '=', userId).limit(1).executeTakeFirst()
  const row = await db
    .insertInto('knownBrowsers')
    .values({ userId, browserHash, firstSeenAt: now })
    .onConflict((oc) => oc.columns(['userId', 'browserHash']).doNothing())
    .returning('browserHash')
    .executeTakeFirst()
  return row !== undefined && knewOne !== undefined
}
