/** SQL of patient scope resolution: whether a doctor is on a patient's care team now. No rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import { cacheTags, readThrough } from '../db/node-cache.js'
import type { DB } from '../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** True when `doctorId` has a consultation with `patientId` in state `approved` right now. */
export async function hasApprovedConsultation(db: Db, patientId: string, doctorId: string): Promise<boolean> {
  // Node-cached (src/db/node-cache.ts) when granted: every doctor's read of patient data asks it.
  // A change to any of the patient's consultations drops it on every node when it commits. A
  // refusal is not cached (rare, and an approval must count at once); inside a transaction, as
  // for every write, it is always read from the database.
  const granted = await readThrough(
    db,
    `consent:${patientId}:${doctorId}`,
    async () => {
      const row = await db
        .selectFrom('consultations')
        .select('id')
        .where('patientId', '=', patientId)
        .where('doctorId', '=', doctorId)
        .where('status', '=', 'approved')
        .executeTakeFirst()
      return row ? true : undefined
    },
    () => [cacheTags.consultations(patientId)],
  )
  return granted === true
}

/**
 * The account status of `userId` now, its row locked FOR KEY SHARE until `trx` ends (so an
 * erasure, which takes the row FOR UPDATE first, waits for the write or the write waits for
 * it); 'disabled' when the row is gone. Security review L3.
 */
export async function lockAccountStatus(trx: Transaction<DB>, userId: string): Promise<DB['users']['status']> {
  const row = await trx.selectFrom('users').select('status').where('id', '=', userId).forKeyShare().executeTakeFirst()
  return (row?.status as DB['users']['status'] | undefined) ?? 'disabled'
}
