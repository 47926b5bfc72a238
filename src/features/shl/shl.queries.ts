/** SQL of SMART Health Links (SPEC §9). No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { DB, SmartHealthLinkFilesTable, SmartHealthLinksTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export function insertLink(db: Db, row: Insertable<SmartHealthLinksTable>) {
  return db.insertInto('smartHealthLinks').values(row).returningAll().executeTakeFirstOrThrow()
}

export async function insertFiles(db: Db, rows: Insertable<SmartHealthLinkFilesTable>[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('smartHealthLinkFiles').values(rows).execute()
}

/** A link by the hash of its manifest id, with its patient's account status. */
export function findLinkByManifestHash(db: Db, manifestIdHash: string) {
  return db
    .selectFrom('smartHealthLinks')
    .innerJoin('users', 'users.id', 'smartHealthLinks.patientId')
    .selectAll('smartHealthLinks')
    .select('users.status as patientStatus')
    .where('smartHealthLinks.manifestIdHash', '=', manifestIdHash)
    .executeTakeFirst()
}

/** The patient's links, newest first, keyset on (created_at, id). */
export function listLinks(db: Db, patientId: string, limit: number, after?: { createdAt: Date; id: string }) {
  let q = db.selectFrom('smartHealthLinks').selectAll().where('patientId', '=', patientId)
  if (after) {
    q = q.where((eb) => eb.or([eb('createdAt', '<', after.createdAt), eb.and([eb('createdAt', '=', after.createdAt), eb('id', '<', after.id)])]))
  }
  return q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit + 1).execute()
}

/** The accesses of `linkIds`, newest first. */
export function listAccesses(db: Db, linkIds: string[]) {
  if (linkIds.length === 0) return Promise.resolve([])
  return db.selectFrom('smartHealthLinkAccesses').select(['linkId', 'recipient', 'at']).where('linkId', 'in', linkIds).orderBy('at', 'desc').orderBy('id', 'desc').execute()
}

/** Revokes a live link of the patient; undefined when there is none. */
export function revokeLink(db: Db, patientId: string, id: string, now: Date) {
  return db.updateTable('smartHealthLinks').set({ revokedAt: now }).where('id', '=', id).where('patientId', '=', patientId).where('revokedAt', 'is', null).returning('id').executeTakeFirst()
}

/** Revokes every live link of the patient; their ids. */
export function revokeAllLinks(db: Db, patientId: string, now: Date) {
  return db.updateTable('smartHealthLinks').set({ revokedAt: now }).where('patientId', '=', patientId).where('revokedAt', 'is', null).returning('id').execute()
}

/** Deletes the files of `linkIds` (locations go with them); their blob keys. */
export async function deleteFiles(db: Db, linkIds: string[]): Promise<string[]> {
  if (linkIds.length === 0) return []
  const rows = await db.deleteFrom('smartHealthLinkFiles').where('linkId', 'in', linkIds).returning('blobKey').execute()
  return rows.map((r) => r.blobKey)
}

/** Deletes every link of the patient (files, locations and accesses cascade); the blob keys of their files. */
export async function deleteAllLinks(db: Db, patientId: string): Promise<string[]> {
  const files = await db
    .selectFrom('smartHealthLinkFiles')
    .innerJoin('smartHealthLinks', 'smartHealthLinks.id', 'smartHealthLinkFiles.linkId')
    .select('smartHealthLinkFiles.blobKey')
    .where('smartHealthLinks.patientId', '=', patientId)
    .execute()
  await db.deleteFrom('smartHealthLinks').where('patientId', '=', patientId).execute()
  return files.map((f) => f.blobKey)
}

/**
 * The link's `attempts_left`, its row locked (`FOR UPDATE`) until `trx` ends: passcode
 * checks of one link run one after another, so a count read under the lock is final
 * (review L5). Undefined when the link is gone.
 */
export function lockAttemptsLeft(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('smartHealthLinks').select('attemptsLeft').where('id', '=', id).forUpdate().executeTakeFirst()
}

/** Takes one passcode try (a wrong passcode), never below 0; the count left after it. Call under {@link lockAttemptsLeft}. */
export async function takeAttempt(trx: Transaction<DB>, id: string): Promise<number> {
  const row = await trx
    .updateTable('smartHealthLinks')
    .set((eb) => ({ attemptsLeft: eb('attemptsLeft', '-', 1) }))
    .where('id', '=', id)
    .where('attemptsLeft', '>', 0)
    .returning('attemptsLeft')
    .executeTakeFirst()
  return row?.attemptsLeft ?? 0
}

/** The link's files in order, leaving out those whose record was deleted since. */
export function listLiveFiles(db: Db, linkId: string) {
  return db
    .selectFrom('smartHealthLinkFiles')
    .leftJoin('records', 'records.id', 'smartHealthLinkFiles.recordId')
    .select(['smartHealthLinkFiles.id', 'smartHealthLinkFiles.contentType', 'smartHealthLinkFiles.blobKey', 'smartHealthLinkFiles.wrappedKey', 'smartHealthLinkFiles.sizeBytes'])
    .where('smartHealthLinkFiles.linkId', '=', linkId)
    .where((eb) => eb.or([eb('smartHealthLinkFiles.recordId', 'is', null), eb('records.deletedAt', 'is', null)]))
    .orderBy('smartHealthLinkFiles.position')
    .execute()
}

export async function insertLocations(db: Db, rows: Array<{ tokenHash: string; fileId: string; expiresAt: Date }>): Promise<void> {
  if (rows.length > 0) await db.insertInto('smartHealthLinkLocations').values(rows).execute()
}

/** A location by its token hash, with its file, whether the file's record is deleted, and its link. */
export function findLocation(db: Db, tokenHash: string) {
  return db
    .selectFrom('smartHealthLinkLocations')
    .innerJoin('smartHealthLinkFiles', 'smartHealthLinkFiles.id', 'smartHealthLinkLocations.fileId')
    .innerJoin('smartHealthLinks', 'smartHealthLinks.id', 'smartHealthLinkFiles.linkId')
    .innerJoin('users', 'users.id', 'smartHealthLinks.patientId')
    .leftJoin('records', 'records.id', 'smartHealthLinkFiles.recordId')
    .select([
      'smartHealthLinkLocations.expiresAt as locationExpiresAt',
      'smartHealthLinkFiles.contentType',
      'smartHealthLinkFiles.blobKey',
      'smartHealthLinkFiles.wrappedKey',
      'smartHealthLinkFiles.sizeBytes',
      'smartHealthLinks.id as linkId',
      'smartHealthLinks.patientId',
      'smartHealthLinks.expiresAt',
      'smartHealthLinks.revokedAt',
      'smartHealthLinks.attemptsLeft',
      'smartHealthLinks.passcodeHash',
      'users.status as patientStatus',
    ])
    .select((eb) => eb('records.deletedAt', 'is not', null).$castTo<boolean>().as('recordDeleted'))
    .where('smartHealthLinkLocations.tokenHash', '=', tokenHash)
    .executeTakeFirst()
}

/** Forgets locations that are over (housekeeping on each manifest request). */
export async function deleteExpiredLocations(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('smartHealthLinkLocations').where('expiresAt', '<=', now).execute()
}

export async function insertAccess(db: Db, row: { linkId: string; recipient: string; at: Date }): Promise<void> {
  await db.insertInto('smartHealthLinkAccesses').values(row).execute()
}
