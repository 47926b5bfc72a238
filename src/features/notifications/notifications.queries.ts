/**
 * SQL of notifications: read-only look-ups of who a message goes to, so job payloads
 * carry ids rather than names and addresses.
 */
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.js'

/** The account's email, display name, role and when its email was verified; undefined when it no longer exists. */
export function findRecipient(db: Kysely<DB>, userId: string) {
  return db.selectFrom('users').select(['email', 'name', 'role', 'emailVerifiedAt']).where('id', '=', userId).executeTakeFirst()
}

/** Whether an account has `email` (case-insensitive) and has not verified it. */
export async function isUnverifiedAddress(db: Kysely<DB>, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .where('emailVerifiedAt', 'is', null)
    .executeTakeFirst()
  return row !== undefined
}

/** The name to show for a patient: the profile's full name, else the account name. */
export async function findPatientName(db: Kysely<DB>, patientId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .leftJoin('patientProfiles', 'patientProfiles.patientId', 'users.id')
    .select(['users.name', 'patientProfiles.fullName'])
    .where('users.id', '=', patientId)
    .executeTakeFirst()
  return row ? row.fullName || row.name : undefined
}
