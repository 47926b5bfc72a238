/** SQL of accounts and sessions. No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import { containsPattern } from '../../db/like.js'
import type { DB, NewUser, UserRow, UserStatus } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505'

/** Inserts a user; a taken email (case-insensitive) is a ConflictError. */
export async function insertUser(db: Db, user: NewUser): Promise<UserRow> {
  try {
    return await db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow()
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('An account with this email already exists.', 'email-taken')
    throw err
  }
}

export function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).executeTakeFirst()
}

export function findUserById(db: Db, id: string) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export function insertSession(db: Db, session: Insertable<DB['sessions']>) {
  return db.insertInto('sessions').values(session).returning('id').executeTakeFirstOrThrow()
}

export async function insertRefreshToken(db: Db, sessionId: string, tokenHash: string, now: Date) {
  await db.insertInto('refreshTokens').values({ tokenHash, sessionId, createdAt: now }).execute()
}

/** The device a session was opened from (for the new-browser notice). */
export function findSessionDevice(db: Db, sessionId: string) {
  return db.selectFrom('sessions').select(['userAgent', 'ip']).where('id', '=', sessionId).executeTakeFirst()
}

/**
 * The live session and its user, for authenticating a request. `secondFactor`: the user has a
 * confirmed TOTP or a passkey (SPEC §8, the `MFA_REQUIRED_ROLES` gate).
 */
export function findActiveSession(db: Db, sessionId: string, userId: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .select(['sessions.id as sessionId', 'users.id', 'users.role', 'users.status', 'users.name'])
    .select((eb) =>
      eb
        .or([
          eb.exists(eb.selectFrom('totpFactors').select('totpFactors.userId').whereRef('totpFactors.userId', '=', 'users.id').where('totpFactors.confirmedAt', 'is not', null)),
          eb.exists(eb.selectFrom('passkeys').select('passkeys.id').whereRef('passkeys.userId', '=', 'users.id')),
        ])
        .as('secondFactor'),
    )
    .where('sessions.id', '=', sessionId)
    .where('sessions.userId', '=', userId)
    .where('sessions.revokedAt', 'is', null)
    .executeTakeFirst()
}

/**
 * Marks a refresh token used, atomically: only the first of concurrent callers gets the
 * session id back (STYLE §2: no read-then-write).
 */
export function consumeRefreshToken(db: Db, tokenHash: string, now: Date) {
  return db
    .updateTable('refreshTokens')
    .set({ usedAt: now })
    .where('tokenHash', '=', tokenHash)
    .where('usedAt', 'is', null)
    .returning('sessionId')
    .executeTakeFirst()
}

/** The user of a live session whose account is not disabled. */
export function findLiveSessionUser(db: Db, sessionId: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .selectAll('users')
    .where('sessions.id', '=', sessionId)
    .where('sessions.revokedAt', 'is', null)
    .where('users.status', '!=', 'disabled')
    .executeTakeFirst()
}

export function findRefreshToken(db: Db, tokenHash: string) {
  return db.selectFrom('refreshTokens').select(['sessionId', 'usedAt']).where('tokenHash', '=', tokenHash).executeTakeFirst()
}

export async function revokeSession(db: Db, sessionId: string, reason: string, now: Date) {
  await db.updateTable('sessions').set({ revokedAt: now, revokedReason: reason }).where('id', '=', sessionId).where('revokedAt', 'is', null).execute()
}

/** Revokes every live session of a user, except `keepSessionId` when given. */
export async function revokeUserSessions(db: Db, userId: string, reason: string, now: Date, keepSessionId?: string) {
  let q = db.updateTable('sessions').set({ revokedAt: now, revokedReason: reason }).where('userId', '=', userId).where('revokedAt', 'is', null)
  if (keepSessionId) q = q.where('id', '!=', keepSessionId)
  await q.execute()
}

export async function updatePasswordHash(db: Db, userId: string, passwordHash: string, now: Date) {
  await db.updateTable('users').set({ passwordHash, updatedAt: now }).where('id', '=', userId).execute()
}

/**
 * Sets a user's status if it is currently one of `from`; returns the updated row or
 * undefined. `verifiedAt` is recorded with it when given (an admin's verification).
 */
export function transitionUserStatus(db: Db, userId: string, from: UserStatus[], to: UserStatus, now: Date, opts: { verifiedAt?: Date } = {}) {
  return db
    .updateTable('users')
    .set({ status: to, updatedAt: now, ...(opts.verifiedAt ? { verifiedAt: opts.verifiedAt } : {}) })
    .where('id', '=', userId)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst()
}

/**
 * Re-enables a disabled user in one conditional update: `pending` when the role needs
 * verification (`needsVerification`) and it never had it, `active` otherwise. Undefined
 * when the user is not disabled (or absent).
 */
export function enableDisabledUser(db: Db, userId: string, needsVerification: readonly string[], now: Date) {
  return db
    .updateTable('users')
    .set({
      status: sql<UserStatus>`CASE WHEN role IN (${sql.join([...needsVerification])}) AND verified_at IS NULL THEN 'pending' ELSE 'active' END`,
      updatedAt: now,
    })
    .where('id', '=', userId)
    .where('status', '=', 'disabled')
    // An erased locker (SPEC §9) stays closed: there is nothing left to give back.
    .where('erasedAt', 'is', null)
    .returningAll()
    .executeTakeFirst()
}

export interface UserFilter {
  role?: string | undefined
  status?: string | undefined
  q?: string | undefined
  after?: { createdAt: Date; id: string } | undefined
  limit: number
}

/** Users newest first, keyset-paginated on (created_at, id). */
export function listUsers(db: Db, f: UserFilter) {
  let q = db.selectFrom('users').selectAll()
  if (f.role) q = q.where('role', '=', f.role as UserRow['role'])
  if (f.status) q = q.where('status', '=', f.status as UserStatus)
  if (f.q) {
    const pattern = containsPattern(f.q)
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('email', 'ilike', pattern)]))
  }
  if (f.after) {
    const { createdAt, id } = f.after
    q = q.where((eb) => eb.or([eb('createdAt', '<', createdAt), eb.and([eb('createdAt', '=', createdAt), eb('id', '<', id)])]))
  }
  return q.orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(f.limit + 1).execute()
}
