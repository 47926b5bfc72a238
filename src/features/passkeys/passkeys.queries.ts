/** SQL of passkeys and their WebAuthn challenges (SPEC §8). No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

/** Stores a challenge we issued (`expiresAt` = issue time + its lifetime). */
export async function insertChallenge(db: Db, row: Insertable<DB['webauthnChallenges']>): Promise<void> {
  await db.insertInto('webauthnChallenges').values(row).execute()
}

/**
 * Marks a challenge used, atomically: only when it is ours for `purpose` (and `userId`, a
 * registration's; null for a discoverable sign-in), unused and unexpired at `now`. Returns
 * the challenge, or undefined for an unknown, foreign, used or expired one (STYLE §2: one
 * conditional UPDATE … RETURNING, so two concurrent answers cannot both use it).
 */
export function consumeChallenge(db: Db, challenge: string, purpose: 'registration' | 'authentication', userId: string | null, now: Date) {
  let q = db
    .updateTable('webauthnChallenges')
    .set({ usedAt: now })
    .where('challenge', '=', challenge)
    .where('purpose', '=', purpose)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', now)
  q = userId === null ? q.where('userId', 'is', null) : q.where('userId', '=', userId)
  return q.returning('challenge').executeTakeFirst()
}

/** Deletes challenges that expired before `before` (kept tidy when new ones are issued). */
export async function deleteExpiredChallenges(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('webauthnChallenges').where('expiresAt', '<', before).execute()
}

const PUBLIC_COLUMNS = ['id', 'name', 'createdAt', 'lastUsedAt'] as const

/** A user's passkeys, oldest first, without their keys. */
export function listPasskeys(db: Db, userId: string) {
  return db.selectFrom('passkeys').select(PUBLIC_COLUMNS).where('userId', '=', userId).orderBy('createdAt').orderBy('id').execute()
}

/** Credential ids and transports of a user's passkeys (for `excludeCredentials`). */
export function listCredentialDescriptors(db: Db, userId: string) {
  return db.selectFrom('passkeys').select(['credentialId', 'transports']).where('userId', '=', userId).execute()
}

/** Inserts a passkey; a credential id already registered (by anyone) is a ConflictError. */
export async function insertPasskey(db: Db, row: Insertable<DB['passkeys']>) {
  try {
    return await db.insertInto('passkeys').values(row).returning(PUBLIC_COLUMNS).executeTakeFirstOrThrow()
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('This passkey is already registered.', 'passkey-exists')
    throw err
  }
}

/** The passkey with this credential id (base64url), with its key and counter. */
export function findPasskeyByCredentialId(db: Db, credentialId: string) {
  return db.selectFrom('passkeys').selectAll().where('credentialId', '=', credentialId).executeTakeFirst()
}

/** Renames one of `userId`'s passkeys; undefined when it is not theirs (or absent). */
export function renamePasskey(db: Db, userId: string, id: string, name: string) {
  return db.updateTable('passkeys').set({ name }).where('id', '=', id).where('userId', '=', userId).returning(PUBLIC_COLUMNS).executeTakeFirst()
}

/** Deletes one of `userId`'s passkeys; undefined when it is not theirs (or absent). */
export function deletePasskey(db: Db, userId: string, id: string) {
  return db.deleteFrom('passkeys').where('id', '=', id).where('userId', '=', userId).returning('id').executeTakeFirst()
}

/**
 * Records a use: the new signature counter and `lastUsedAt`, only if the stored counter is
 * still `expectedCounter` (a concurrent sign-in with the same passkey loses: undefined).
 */
export function recordPasskeyUse(
  db: Db,
  id: string,
  expectedCounter: number,
  use: { counter: number; backedUp: boolean; deviceType: string; at: Date },
) {
  return db
    .updateTable('passkeys')
    .set({ counter: use.counter, backedUp: use.backedUp, deviceType: use.deviceType, lastUsedAt: use.at })
    .where('id', '=', id)
    .where('counter', '=', expectedCounter)
    .returning('id')
    .executeTakeFirst()
}

/** The account a passkey belongs to. */
export function findUser(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}
