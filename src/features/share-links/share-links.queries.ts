/** SQL of share links. No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { DB, ShareLinksTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export function insertShareLink(db: Db, row: Insertable<ShareLinksTable>) {
  return db.insertInto('shareLinks').values(row).returningAll().executeTakeFirstOrThrow()
}

/** A link by its token hash, with whether its record still exists (not deleted) and its patient's account status. */
export function findShareLinkByTokenHash(db: Db, tokenHash: string) {
  return db
    .selectFrom('shareLinks')
    .innerJoin('records', 'records.id', 'shareLinks.recordId')
    .innerJoin('users', 'users.id', 'shareLinks.patientId')
    .selectAll('shareLinks')
    .select((eb) => eb('records.deletedAt', 'is not', null).$castTo<boolean>().as('recordDeleted'))
    .select('users.status as patientStatus')
    .where('shareLinks.tokenHash', '=', tokenHash)
    .executeTakeFirst()
}

/** The patient's links, newest first, keyset on (created_at, id). */
export function listShareLinks(db: Db, patientId: string, limit: number, after?: { createdAt: Date; id: string }) {
  let q = db
    .selectFrom('shareLinks')
    .innerJoin('records', 'records.id', 'shareLinks.recordId')
    .selectAll('shareLinks')
    .select((eb) => eb('records.deletedAt', 'is not', null).$castTo<boolean>().as('recordDeleted'))
    .where('shareLinks.patientId', '=', patientId)
  if (after) {
    q = q.where((eb) =>
      eb.or([eb('shareLinks.createdAt', '<', after.createdAt), eb.and([eb('shareLinks.createdAt', '=', after.createdAt), eb('shareLinks.id', '<', after.id)])]),
    )
  }
  return q.orderBy('shareLinks.createdAt', 'desc').orderBy('shareLinks.id', 'desc').limit(limit + 1).execute()
}

/** Revokes a live link of the patient; undefined when there is none. */
export function revokeShareLink(db: Db, patientId: string, id: string, now: Date) {
  return db
    .updateTable('shareLinks')
    .set({ revokedAt: now })
    .where('id', '=', id)
    .where('patientId', '=', patientId)
    .where('revokedAt', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

/** Whose link `id` is (any state); undefined when unknown. */
export function findShareLinkPatient(db: Db, id: string) {
  return db.selectFrom('shareLinks').select('patientId').where('id', '=', id).executeTakeFirst()
}

export function findShareLink(db: Db, patientId: string, id: string) {
  return db.selectFrom('shareLinks').selectAll().where('id', '=', id).where('patientId', '=', patientId).executeTakeFirst()
}

/**
 * Reserves one passcode try, atomically: succeeds (returning the new count) only while
 * fewer than `limit` tries were used, so parallel guesses can never exceed the limit.
 */
export function reservePasscodeAttempt(db: Db, id: string, limit: number) {
  return db
    .updateTable('shareLinks')
    .set((eb) => ({ failedAttempts: eb('failedAttempts', '+', 1) }))
    .where('id', '=', id)
    .where('failedAttempts', '<', limit)
    .returning('failedAttempts')
    .executeTakeFirst()
}

/** Gives back a reserved try after the right passcode (a right one never counts). */
export async function releasePasscodeAttempt(db: Db, id: string) {
  await db
    .updateTable('shareLinks')
    .set((eb) => ({ failedAttempts: eb('failedAttempts', '-', 1) }))
    .where('id', '=', id)
    .where('failedAttempts', '>', 0)
    .execute()
}

/**
 * Counts one view if the link is still usable (not revoked, expired, locked or exhausted),
 * in one conditional UPDATE; undefined when it is not.
 */
export function countShareView(db: Db, id: string, now: Date, attemptLimit: number) {
  return db
    .updateTable('shareLinks')
    .set((eb) => ({ views: eb('views', '+', 1), lastViewedAt: now }))
    .where('id', '=', id)
    .where('revokedAt', 'is', null)
    .where('expiresAt', '>', now)
    .where('failedAttempts', '<', attemptLimit)
    .where((eb) => eb.or([eb('maxViews', 'is', null), eb('views', '<', eb.ref('maxViews'))]))
    .returningAll()
    .executeTakeFirst()
}

/** Gives back a view counted for a download that then failed (e.g. 416, record gone). */
export async function uncountShareView(db: Db, id: string) {
  await db
    .updateTable('shareLinks')
    .set((eb) => ({ views: eb('views', '-', 1) }))
    .where('id', '=', id)
    .where('views', '>', 0)
    .execute()
}
