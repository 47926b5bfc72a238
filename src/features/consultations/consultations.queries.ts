/** SQL of consultations. No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** True when `doctorId` has a consultation with `patientId` in state `approved` right now. */
export async function hasApprovedConsultation(db: Db, patientId: string, doctorId: string): Promise<boolean> {
  const row = await db
    .selectFrom('consultations')
    .select('id')
    .where('patientId', '=', patientId)
    .where('doctorId', '=', doctorId)
    .where('status', '=', 'approved')
    .executeTakeFirst()
  return row !== undefined
}
