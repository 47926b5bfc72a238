/** SQL of the health summary: what it reads of the patient's records. No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Live records dated on or after `sinceDate` (`YYYY-MM-DD`), newest first, at most `limit`; `records_list_idx` serves it. */
export function listRecordsSince(db: Db, patientId: string, sinceDate: string, limit: number) {
  return db
    .selectFrom('records')
    .select(['id', 'title', 'category', 'recordDate'])
    .where('patientId', '=', patientId)
    .where('deletedAt', 'is', null)
    .where('recordDate', '>=', sinceDate)
    .orderBy('recordDate', 'desc')
    .orderBy('uploadedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}
