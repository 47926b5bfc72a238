/** SQL of two-factor sign-in: TOTP factors, recovery codes, `mfaToken` challenges. No business rules (STYLE §2). */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** The account's email (the key URI's label) and password hash (checked before turning TOTP off). */
export function findAccount(db: Db, userId: string) {
  return db.selectFrom('users').select(['email', 'passwordHash']).where('id', '=', userId).executeTakeFirst()
}

export function findTotpFactor(db: Db, userId: string) {
  return db.selectFrom('totpFactors').selectAll().where('userId', '=', userId).executeTakeFirst()
}

/**
 * Stores a new unconfirmed secret, replacing an earlier unconfirmed one, in one statement.
 * Undefined when the user already has a confirmed factor (left untouched).
 */
export function upsertUnconfirmedTotp(db: Db, userId: string, secretCiphertext: string, now: Date) {
  return db
    .insertInto('totpFactors')
    .values({ userId, secretCiphertext, createdAt: now, confirmedAt: null, lastUsedStep: null })
    .onConflict((oc) =>
      oc
        .column('userId')
        .doUpdateSet({ secretCiphertext, createdAt: now, lastUsedStep: null })
        .where('totpFactors.confirmedAt', 'is', null),
    )
    .returning('userId')
    .executeTakeFirst()
}

/**
 * Marks the unconfirmed factor whose ciphertext is still `secretCiphertext` confirmed, with
 * `step` as its last used time step. Undefined when it changed or was confirmed meanwhile.
 */
export function confirmTotpFactor(db: Db, userId: string, secretCiphertext: string, step: number, now: Date) {
  return db
    .updateTable('totpFactors')
    .set({ confirmedAt: now, lastUsedStep: step })
    .where('userId', '=', userId)
    .where('secretCiphertext', '=', secretCiphertext)
    .where('confirmedAt', 'is', null)
    .returning('userId')
    .executeTakeFirst()
}

/**
 * Claims time step `step` of a confirmed factor: succeeds only when no step at or after it
 * was accepted before (a replayed code loses, concurrent ones included). `reseal` replaces
 * the ciphertext (a secret still sealed under a previous master key).
 */
export function claimTotpStep(db: Db, userId: string, secretCiphertext: string, step: number, reseal?: string) {
  return db
    .updateTable('totpFactors')
    .set({ lastUsedStep: step, ...(reseal ? { secretCiphertext: reseal } : {}) })
    .where('userId', '=', userId)
    .where('secretCiphertext', '=', secretCiphertext)
    .where('confirmedAt', 'is not', null)
    .where((eb) => eb.or([eb('lastUsedStep', 'is', null), eb('lastUsedStep', '<', step)]))
    .returning('userId')
    .executeTakeFirst()
}

export async function deleteTotpFactor(db: Db, userId: string) {
  const res = await db.deleteFrom('totpFactors').where('userId', '=', userId).executeTakeFirst()
  return Number(res.numDeletedRows) > 0
}

/** Replaces every recovery code of a user by `codeHashes`. */
export async function replaceRecoveryCodes(db: Db, userId: string, codeHashes: readonly string[], now: Date) {
  await db.deleteFrom('recoveryCodes').where('userId', '=', userId).execute()
  if (codeHashes.length > 0) await db.insertInto('recoveryCodes').values(codeHashes.map((codeHash) => ({ codeHash, userId, createdAt: now }))).execute()
}

/** Spends a recovery code of `userId`, atomically: only the first caller gets it back. */
export function useRecoveryCode(db: Db, userId: string, codeHash: string, now: Date) {
  return db
    .updateTable('recoveryCodes')
    .set({ usedAt: now })
    .where('codeHash', '=', codeHash)
    .where('userId', '=', userId)
    .where('usedAt', 'is', null)
    .returning('codeHash')
    .executeTakeFirst()
}

/** Which second factors a user has: a confirmed TOTP, unused recovery codes, a passkey. */
export async function findSecondFactors(db: Db, userId: string) {
  const row = await db
    .selectNoFrom((eb) => [
      eb.exists(eb.selectFrom('totpFactors').select('userId').where('userId', '=', userId).where('confirmedAt', 'is not', null)).as('totp'),
      eb.exists(eb.selectFrom('recoveryCodes').select('userId').where('userId', '=', userId).where('usedAt', 'is', null)).as('recovery'),
      eb.exists(eb.selectFrom('passkeys').select('userId').where('userId', '=', userId)).as('passkey'),
    ])
    .executeTakeFirstOrThrow()
  return { totp: row.totp === true, recovery: row.recovery === true, passkey: row.passkey === true }
}

/** When the user's TOTP was confirmed (null: none, or not confirmed) and how many recovery codes are unused. */
export async function findTotpStatus(db: Db, userId: string) {
  return db
    .selectNoFrom((eb) => [
      eb.selectFrom('totpFactors').select('confirmedAt').where('userId', '=', userId).as('confirmedAt'),
      eb.selectFrom('recoveryCodes').select((e) => e.fn.countAll<string>().as('n')).where('userId', '=', userId).where('usedAt', 'is', null).as('recoveryCodesLeft'),
    ])
    .executeTakeFirstOrThrow()
}

/** Inserts a challenge, first deleting the user's challenges that are over (used or expired at `row.createdAt`). */
export async function insertMfaChallenge(db: Db, row: { tokenHash: string; userId: string; createdAt: Date; expiresAt: Date }) {
  await db
    .deleteFrom('mfaChallenges')
    .where('userId', '=', row.userId)
    .where((eb) => eb.or([eb('usedAt', 'is not', null), eb('expiresAt', '<=', row.createdAt)]))
    .execute()
  await db.insertInto('mfaChallenges').values(row).execute()
}

/**
 * The live challenge of `tokenHash` (unused, unexpired at `now`, fewer than `maxFailures`
 * wrong codes) with its user, row-locked until the transaction ends: concurrent attempts on
 * one token run one after the other, so failures are all counted and it is used once.
 */
/** The account an `mfaToken` belongs to, whatever its state (for its failure limit). */
export function findMfaChallengeUserId(db: Db, tokenHash: string) {
  return db.selectFrom('mfaChallenges').select('userId').where('tokenHash', '=', tokenHash).executeTakeFirst()
}

export function lockLiveMfaChallenge(db: Db, tokenHash: string, now: Date, maxFailures: number) {
  return db
    .selectFrom('mfaChallenges')
    .innerJoin('users', 'users.id', 'mfaChallenges.userId')
    .selectAll('users')
    .where('mfaChallenges.tokenHash', '=', tokenHash)
    .where('mfaChallenges.usedAt', 'is', null)
    .where('mfaChallenges.expiresAt', '>', now)
    .where('mfaChallenges.failures', '<', maxFailures)
    .forUpdate('mfaChallenges')
    .executeTakeFirst()
}

/** Counts one wrong code on a challenge; returns the new count. */
export async function addMfaFailure(db: Db, tokenHash: string) {
  const row = await db
    .updateTable('mfaChallenges')
    .set({ failures: sql`failures + 1` })
    .where('tokenHash', '=', tokenHash)
    .returning('failures')
    .executeTakeFirstOrThrow()
  return row.failures
}

export async function markMfaChallengeUsed(db: Db, tokenHash: string, now: Date) {
  await db.updateTable('mfaChallenges').set({ usedAt: now }).where('tokenHash', '=', tokenHash).where('usedAt', 'is', null).execute()
}
