/**
 * Accounts and sessions (SPEC §4.1, §6): registration, login, refresh-token rotation with
 * reuse detection, logout, password change, and request authentication.
 */
import { createHmac } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ForbiddenError, UnauthorizedError } from '../../app/errors.js'
import type { LimitCounter } from '../../app/rate-limits.js'
import { cacheTags } from '../../db/node-cache.js'
import type { DB, Role, UserRow } from '../../db/schema.js'
import type { RequestMeta, UserActor } from '../../policy/index.js'
import type { AccountAttempt, AuditTarget } from '../../audit/audit.service.js'
import * as q from './accounts.queries.js'
import type { RegisterInput } from './accounts.schema.js'
import { assertPasswordAllowed } from './password-policy.js'
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js'
import { verifyAccessToken } from './tokens.js'
import { completeSignIn, openSession, type Session, type SignInRequest } from './sign-in.js'
import { enqueueAccountNotice } from './account-notices.js'
import { enqueueEmailVerification } from '../email-verification/email-verification.service.js'
import { startSecondFactor } from '../mfa/mfa.service.js'
import { organizationOf } from '../organizations/organizations.service.js'
import type { MfaRequired } from '../mfa/mfa.schema.js'

export type { Session } from './sign-in.js'

/** Roles that must be verified by an admin before clinical use (SPEC §3). */
export const VERIFIED_ROLES: readonly Role[] = ['doctor', 'pharmacist']

/**
 * Creates an account and its first session, and enqueues the one message registration sends:
 * the email verification link (SPEC §8; the welcome email follows verification). Doctors
 * and pharmacists start `pending`, in their `organizationId` when given (SPEC §10). Throws ValidationError `password-too-common`
 * (password-policy.ts) or for an unknown organization (`/organizationId`), and ConflictError for a taken email.
 */
export async function register(deps: Deps, input: RegisterInput, from: SignInRequest): Promise<Session> {
  assertPasswordAllowed(input.password, input.email, '/password')
  const passwordHash = await hashPassword(input.password)
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const org = input.organizationId !== undefined && input.role !== 'patient' ? await organizationOf(trx, input.organizationId) : null
    const user = await q.insertUser(trx, {
      email: input.email,
      passwordHash,
      role: input.role,
      status: VERIFIED_ROLES.includes(input.role) ? 'pending' : 'active',
      name: input.name,
      specialty: input.role === 'doctor' ? (input.specialty ?? null) : null,
      licenseNumber: input.role === 'patient' ? null : (input.licenseNumber ?? null),
      organizationId: org?.id ?? null,
      organization: org?.name ?? null,
      pharmacyName: input.role === 'pharmacist' ? (input.pharmacyName ?? null) : null,
      createdAt: now,
      updatedAt: now,
    })
    await enqueueEmailVerification(deps, trx, user.id)
    return openSession(deps, trx, user, 'register', from)
  })
}

/**
 * Checks credentials and opens a session — or, when the account has a second factor (a
 * confirmed TOTP or a passkey, SPEC §8), opens none and answers the `mfaToken` step
 * (`MfaRequired`, see `startSecondFactor`). Unknown email and wrong password are the same
 * 401; a disabled account with the right password is 403.
 *
 * Limits (SPEC §6): failed logins count per account (email) and IP, and per IP across
 * accounts (`RATE_LIMIT_LOGIN_FAILURES_*`); once either is spent the login is refused (429)
 * before the password is checked, even a correct one. Successes never count, and a success
 * clears that account and IP's failures. Because the per-account count is per IP too,
 * strangers failing elsewhere never lock the owner out.
 *
 * No oracle: an unknown email goes through the same steps as a wrong password — one
 * argon2 verification (against a dummy hash), one `auth.login_failed` event in its own
 * transaction, the same limit counts — so neither the answer nor its time tells them apart.
 *
 * Audit (SPEC §4.7): `auth.logged_in` (resource: the session) in the session's transaction;
 * `auth.login_failed` for a wrong password, an unknown email or a disabled account, with
 * `meta`. For an account it is attributed to the account tried (resource: the user); for an
 * unknown email to no account (resource `email`: a keyed digest of the address, so attempts
 * on one address can be grouped without keeping it). The attempted password is never kept.
 */
export async function login(deps: Deps, email: string, password: string, from: SignInRequest): Promise<Session | MfaRequired> {
  const { meta } = from
  const perAccount: LimitCounter = { name: 'loginFailures', key: `${email}|${meta.ip}` }
  const perIp: LimitCounter = { name: 'loginFailuresPerIp', key: meta.ip }
  return deps.rateLimits.limitFailures([perAccount, perIp], () => checkCredentials(deps, email, password, from), {
    isFailure: (err) => err instanceof UnauthorizedError || err instanceof ForbiddenError,
    resetOnSuccess: [perAccount],
  })
}

async function checkCredentials(deps: Deps, email: string, password: string, from: SignInRequest): Promise<Session | MfaRequired> {
  const { meta } = from
  const user = await q.findUserByEmail(deps.db, email)
  const verified = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password)
  if (!user || !verified || user.status === 'disabled') {
    const attempt: AccountAttempt = { kind: 'attempt', account: user ? { id: user.id, role: user.role, name: user.name } : null, meta }
    const target: AuditTarget = user
      ? { patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } }
      : { patientId: null, resource: { type: 'email', id: attemptedEmailDigest(deps.config.masterKey, email) } }
    await deps.db.transaction().execute((trx) => deps.audit.record(trx, attempt, 'auth.login_failed', target))
    if (!user || !verified) throw new UnauthorizedError('Email or password is wrong.', 'invalid-credentials')
    throw new ForbiddenError('This account has been disabled.', 'account-disabled')
  }
  return (await startSecondFactor(deps, user)) ?? completeSignIn(deps, user, 'password', from)
}

/** HMAC-SHA256 under the master key of an email with no account (hex): groups attempts, keeps no address. */
const attemptedEmailDigest = (masterKey: Buffer, email: string) =>
  createHmac('sha256', masterKey).update(`carelocker/login-attempt/v1|${email}`).digest('hex')

/** Ends the actor's session: its access and refresh tokens stop working at once. */
export async function logout(deps: Deps, actor: UserActor): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await q.revokeSession(trx, actor.sessionId, 'logout', deps.now())
    await deps.database.cache.invalidate(trx, [sessionTag(actor.sessionId)])
  })
}

/** The caller's own account. */
export async function getMe(deps: Deps, actor: UserActor): Promise<UserRow> {
  const user = await q.findUserById(deps.db, actor.id)
  if (!user) throw new UnauthorizedError()
  return user
}

/**
 * Changes the password after checking the current one; every other session is revoked
 * (SPEC §4.1) and the owner gets the `password-changed` notice (SPEC §8). The new one must pass the password policy (400 `password-too-common`).
 */
export async function changePassword(deps: Deps, actor: UserActor, currentPassword: string, newPassword: string): Promise<void> {
  const user = await getMe(deps, actor)
  assertPasswordAllowed(newPassword, user.email, '/newPassword')
  // An account made by OpenID Connect sign-in has no password: it sets one by a reset.
  if (!(await verifyPassword(user.passwordHash ?? (await dummyPasswordHash()), currentPassword))) {
    throw new UnauthorizedError('The current password is wrong.', 'invalid-credentials')
  }
  const hash = await hashPassword(newPassword)
  await deps.db.transaction().execute(async (trx) => {
    await q.updatePasswordHash(trx, actor.id, hash, deps.now())
    await q.revokeUserSessions(trx, actor.id, 'password-changed', deps.now(), actor.sessionId)
    await deps.database.cache.invalidate(trx, [userSessionsTag(actor.id)])
    await enqueueAccountNotice(deps, trx, actor.id, 'password-changed')
  })
}

/** Cache tag of one session (`deps.database.cache`): invalidate it when the session ends. */
export const sessionTag = (sessionId: string) => `session:${sessionId}`
/** Cache tag of every cached session of a user (the account's tag, which the users trigger sends too): invalidate it when the user's status or sessions change. */
export const userSessionsTag = cacheTags.user

type LiveSession = NonNullable<Awaited<ReturnType<typeof q.findActiveSession>>>

/**
 * Resolves a bearer token to its actor. Null when the token is invalid, expired, its
 * session was revoked, or the account is disabled (SPEC §3, §6).
 *
 * The session and its user's status come from this node's cache (`deps.database.cache`,
 * key `session:<id>`) when present, else from the database. Whatever ends a session or
 * changes a user's status (logout, refresh-token reuse, password change or reset, an admin's
 * disable, verify or enable; a second factor added or removed, which the `MFA_REQUIRED_ROLES`
 * gate reads from `secondFactor`) invalidates the session's or user's tag in its transaction, so
 * every node stops accepting the token as soon as the change commits.
 */
export async function authenticateAccessToken(deps: Deps, token: string, meta: RequestMeta): Promise<UserActor | null> {
  const claims = await verifyAccessToken(deps.config.jwtSecret, token, deps.now())
  if (!claims) return null
  const cache = deps.database.cache
  const key = sessionTag(claims.sessionId)
  let row = cache.get<LiveSession>(key)
  if (!row) {
    const generation = cache.generation()
    row = await q.findActiveSession(deps.db, claims.sessionId, claims.userId)
    if (!row) return null
    cache.set(key, row, [key, userSessionsTag(row.id)], generation)
  }
  if (row.id !== claims.userId || row.status === 'disabled') return null
  return { kind: 'user', id: row.id, role: row.role, status: row.status, name: row.name, sessionId: row.sessionId, secondFactor: row.secondFactor === true, meta }
}

/**
 * Creates an active admin unless the email already has an account (ADMIN_EMAIL /
 * ADMIN_PASSWORD bootstrap and `npm run admin -- create`). Returns whether one was created.
 * Throws ValidationError when the password breaks the policy (password-policy.ts).
 */
export async function ensureAdmin(deps: Deps, email: string, password: string, name = 'Administrator'): Promise<boolean> {
  assertPasswordAllowed(password, email, '/password')
  if (await q.findUserByEmail(deps.db, email)) return false
  const now = deps.now()
  await q.insertUser(deps.db, {
    email: email.trim().toLowerCase(),
    passwordHash: await hashPassword(password),
    role: 'admin',
    status: 'active',
    name,
    // The operator chose this address (ADMIN_EMAIL, the admin CLI): no link to click.
    emailVerifiedAt: now,
    createdAt: now,
    updatedAt: now,
  })
  return true
}

/**
 * Creates an active admin and opens its first session inside the caller's transaction
 * (first-run setup, SPEC §1). Throws ValidationError when the password breaks the policy
 * and ConflictError (409 `email-taken`) when the email has an account.
 */
export async function createAdminWithSession(
  deps: Deps,
  trx: Transaction<DB>,
  input: { email: string; password: string; name: string },
  from?: SignInRequest,
): Promise<Session> {
  assertPasswordAllowed(input.password, input.email, '/password')
  const now = deps.now()
  const user = await q.insertUser(trx, {
    email: input.email.trim().toLowerCase(),
    passwordHash: await hashPassword(input.password),
    role: 'admin',
    status: 'active',
    name: input.name,
    emailVerifiedAt: now,
    createdAt: now,
    updatedAt: now,
  })
  return openSession(deps, trx, user, 'setup', from)
}
