/** SQL of OpenID Connect sign-in (SPEC §8): logins in flight and identities (accounts themselves through accounts/sign-in.ts). No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

/** Stores a login in flight (keyed by its state's SHA-256). */
export async function insertLogin(db: Db, login: Insertable<DB['oidcLogins']>): Promise<void> {
  await db.insertInto('oidcLogins').values(login).execute()
}

/**
 * Marks the login of `stateHash` used, once: the conditional UPDATE is the single-use check, so
 * two callbacks with the same state cannot both pass. Undefined when it is unknown or was used.
 */
export function consumeLogin(db: Db, stateHash: string, now: Date) {
  return db
    .updateTable('oidcLogins')
    .set({ usedAt: now })
    .where('stateHash', '=', stateHash)
    .where('usedAt', 'is', null)
    .returning(['codeVerifier', 'nonce', 'expiresAt'])
    .executeTakeFirst()
}

/** Whether a login with this state hash exists at all (used or not): tells a replay from a forgery. */
export async function loginExists(db: Db, stateHash: string): Promise<boolean> {
  return (await db.selectFrom('oidcLogins').select('stateHash').where('stateHash', '=', stateHash).executeTakeFirst()) !== undefined
}

/** Deletes logins that expired before `before` (housekeeping at each start). */
export async function deleteExpiredLogins(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('oidcLogins').where('expiresAt', '<', before).execute()
}

/** The account linked to the identity (`issuer`, `subject`), if any. */
export function findIdentityUser(db: Db, issuer: string, subject: string) {
  return db
    .selectFrom('oidcIdentities')
    .innerJoin('users', 'users.id', 'oidcIdentities.userId')
    .selectAll('users')
    .where('oidcIdentities.issuer', '=', issuer)
    .where('oidcIdentities.subject', '=', subject)
    .executeTakeFirst()
}

/** Links an identity to an account; an identity already linked is a ConflictError. */
export async function insertIdentity(db: Db, identity: Insertable<DB['oidcIdentities']>): Promise<void> {
  try {
    await db.insertInto('oidcIdentities').values(identity).execute()
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('This identity is already linked to an account.', 'oidc-identity-taken')
    throw err
  }
}
