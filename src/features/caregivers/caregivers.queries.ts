/** SQL of caregivers and dependents (SPEC §10). No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import type { CaregiversTable, DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

export function insertCaregiver(db: Db, row: Insertable<CaregiversTable>) {
  return db.insertInto('caregivers').values(row).returningAll().executeTakeFirstOrThrow()
}

/** A patient's invitations and grants, newest first, keyset on (created_at, id), with the caregiver's name. */
export function listCaregivers(db: Db, patientId: string, limit: number, after?: { createdAt: Date; id: string }) {
  let q = db
    .selectFrom('caregivers')
    .leftJoin('users', 'users.id', 'caregivers.caregiverId')
    .selectAll('caregivers')
    .select('users.name as caregiverName')
    .where('caregivers.patientId', '=', patientId)
  if (after) {
    q = q.where((eb) =>
      eb.or([eb('caregivers.createdAt', '<', after.createdAt), eb.and([eb('caregivers.createdAt', '=', after.createdAt), eb('caregivers.id', '<', after.id)])]),
    )
  }
  return q.orderBy('caregivers.createdAt', 'desc').orderBy('caregivers.id', 'desc').limit(limit + 1).execute()
}

/** Revokes an invitation or grant of the patient that is not revoked yet; undefined when there is none. */
export function revokeCaregiver(db: Db, patientId: string, id: string, now: Date) {
  return db
    .updateTable('caregivers')
    .set({ status: 'revoked', revokedAt: now })
    .where('id', '=', id)
    .where('patientId', '=', patientId)
    .where('status', '<>', 'revoked')
    .returningAll()
    .executeTakeFirst()
}

/** The invitation a token hash names, whatever its state. */
export function findInvitationByTokenHash(db: Db, tokenHash: string) {
  return db.selectFrom('caregivers').selectAll().where('invitationTokenHash', '=', tokenHash).executeTakeFirst()
}

/**
 * Accepts invitation `id` for `caregiverId` in one conditional UPDATE: only while it is
 * `invited` and its invitation has not expired (database clock). Undefined when it no longer
 * qualifies (accepted or revoked meanwhile). Throws `'already-caregiver'` when the account
 * already holds an active grant on the patient (the unique index).
 */
export async function acceptInvitation(db: Db, id: string, caregiverId: string, now: Date) {
  try {
    return await db
      .updateTable('caregivers')
      .set({ status: 'active', caregiverId, acceptedAt: now })
      .where('id', '=', id)
      .where('status', '=', 'invited')
      .where('invitationExpiresAt', '>', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst()
  } catch (err) {
    if (isUniqueViolation(err)) return 'already-caregiver' as const
    throw err
  }
}

/** The lockers `caregiverId` may act on now: active grants not expired (database clock), with the patient's name. */
export function listManagedPatients(db: Db, caregiverId: string) {
  return db
    .selectFrom('caregivers')
    .innerJoin('users', 'users.id', 'caregivers.patientId')
    .select(['caregivers.patientId', 'caregivers.access', 'caregivers.expiresAt', 'users.name', 'users.isDependent'])
    .where('caregivers.caregiverId', '=', caregiverId)
    .where('caregivers.status', '=', 'active')
    .where('users.status', '=', 'active')
    .where((eb) => eb.or([eb('caregivers.expiresAt', 'is', null), eb('caregivers.expiresAt', '>', sql<Date>`now()`)]))
    .orderBy('users.name')
    .orderBy('caregivers.patientId')
    .limit(500)
    .execute()
}

/** The id of a non-dependent account with this address (case-insensitive), for the in-app notification. */
export async function findAccountIdByEmail(db: Db, email: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .where('isDependent', '=', false)
    .where('status', '<>', 'disabled')
    .executeTakeFirst()
  return row?.id
}

/** The address of an account. */
export async function findUserEmail(db: Db, id: string): Promise<string | undefined> {
  return (await db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirst())?.email
}

/** Whether the account has verified its email address (SPEC §8). */
export async function isEmailVerified(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('emailVerifiedAt').where('id', '=', id).executeTakeFirst()
  return row?.emailVerifiedAt != null
}

/** Inserts a dependent's account (no password, never signs in) and its profile. */
export async function insertDependent(db: Transaction<DB>, d: { email: string; fullName: string; dateOfBirth: string; now: Date }) {
  const user = await db
    .insertInto('users')
    .values({ email: d.email, passwordHash: null, role: 'patient', status: 'active', name: d.fullName, isDependent: true, createdAt: d.now, updatedAt: d.now })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow()
  await db
    .insertInto('patientProfiles')
    .values({
      patientId: user.id,
      fullName: d.fullName,
      dateOfBirth: d.dateOfBirth,
      sex: null,
      bloodGroup: null,
      heightCm: null,
      organDonor: null,
      notes: null,
      allergies: '[]',
      conditions: '[]',
      medications: '[]',
      emergencyContacts: '[]',
      emergencyCard: JSON.stringify({ conditionIds: null, medicationIds: null }),
      updatedAt: d.now,
    })
    .execute()
  return user
}

/** An invitation still waiting for acceptance (database clock), with the inviting patient's name. */
export function findPendingInvitation(db: Db, id: string) {
  return db
    .selectFrom('caregivers')
    .innerJoin('users', 'users.id', 'caregivers.patientId')
    .select(['caregivers.id', 'caregivers.email', 'caregivers.access', 'users.name as patientName'])
    .where('caregivers.id', '=', id)
    .where('caregivers.status', '=', 'invited')
    .where('caregivers.invitationExpiresAt', '>', sql<Date>`now()`)
    .executeTakeFirst()
}

/** Deletes every caregiver row where `userId` is the patient or the caregiver (account erasure). */
export async function deleteCaregiverRowsOf(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('caregivers').where((eb) => eb.or([eb('patientId', '=', userId), eb('caregiverId', '=', userId)])).execute()
}

/**
 * The dependents (`is_dependent`) `managerId` manages through an active grant and that no other
 * account manages: no other `active`, `manage` grant still in force at `now` (account erasure).
 */
export async function findDependentsManagedOnlyBy(db: Db, managerId: string, now: Date): Promise<string[]> {
  const rows = await db
    .selectFrom('caregivers as c')
    .innerJoin('users as u', 'u.id', 'c.patientId')
    .select('c.patientId')
    .where('c.caregiverId', '=', managerId)
    .where('c.status', '=', 'active')
    .where('c.access', '=', 'manage')
    .where('u.isDependent', '=', true)
    .where('u.erasedAt', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('caregivers as o')
            .select('o.id')
            .whereRef('o.patientId', '=', 'c.patientId')
            .where('o.caregiverId', '<>', managerId)
            .where('o.status', '=', 'active')
            .where('o.access', '=', 'manage')
            .where((eb) => eb.or([eb('o.expiresAt', 'is', null), eb('o.expiresAt', '>', now)])),
        ),
      ),
    )
    .orderBy('c.patientId')
    .execute()
  return rows.map((r) => r.patientId)
}
