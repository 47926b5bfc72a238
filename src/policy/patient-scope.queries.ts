/** SQL of patient scope resolution: whether a doctor is on a patient's care team now, and a caregiver's grant. No rules here (STYLE §2). */
import { sql, type Kysely, type Transaction } from 'kysely'
import { cacheTags, readThrough } from '../db/node-cache.js'
import type { CaregiverAccess, DB } from '../db/schema.js'

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

/**
 * The access `caregiverId` holds on `patientId`'s locker right now (SPEC §10), or null: the
 * level of an `active` caregiver grant whose `expires_at` has not passed (database clock), on
 * a patient account that is itself `active` (an admin-disabled or erased patient's locker is
 * nobody's to act on; a dependent is active — security review L2), with whether that patient
 * is a dependent. Not cached: a revocation must count on the very next request, on every node.
 */
export async function activeCaregiverAccess(
  db: Db,
  patientId: string,
  caregiverId: string,
): Promise<{ access: CaregiverAccess; isDependent: boolean } | null> {
  const row = await db
    .selectFrom('caregivers')
    .innerJoin('users', 'users.id', 'caregivers.patientId')
    .select(['caregivers.access', 'users.isDependent'])
    .where('caregivers.patientId', '=', patientId)
    .where('caregivers.caregiverId', '=', caregiverId)
    .where('caregivers.status', '=', 'active')
    .where('users.status', '=', 'active')
    .where((eb) => eb.or([eb('caregivers.expiresAt', 'is', null), eb('caregivers.expiresAt', '>', sql<Date>`now()`)]))
    .executeTakeFirst()
  return row ? { access: row.access, isDependent: row.isDependent } : null
}
