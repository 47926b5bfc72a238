/**
 * Opening a session once a user has proved who they are (SPEC §4.1, §8): the one path that
 * password, second-factor, passkey and OpenID Connect sign-ins, registration and first-run
 * setup all end in, so each session records its device and method and is audited the same way.
 */
import type { Kysely, Transaction } from 'kysely'
import type { FastifyRequest } from 'fastify'
import { parse } from 'cookie'
import type { Deps } from '../../app/deps.js'
import type { DB, UserRow } from '../../db/schema.js'
import type { RequestMeta, UserActor } from '../../policy/index.js'
import { requestMeta } from '../../app/request-meta.js'
import * as q from './accounts.queries.js'
import { ACCESS_TOKEN_TTL_SECONDS, hashToken, newRefreshToken, signAccessToken } from './tokens.js'

export interface Session {
  user: UserRow
  accessToken: string
  refreshToken: string
  expiresIn: number
  /** The server-side session the tokens are bound to (kept in the audit log, never sent). */
  sessionId: string
}

/** How a session was opened (`sessions.auth_method`). */
export type AuthMethod = 'password' | 'totp' | 'recovery' | 'passkey' | 'oidc' | 'register' | 'setup'

/** Methods that prove a second factor (SPEC §8): the account has one. */
const SECOND_FACTORS: ReadonlySet<AuthMethod> = new Set(['totp', 'recovery', 'passkey'])

/**
 * Who is signing in from where: the request's audit meta and the browser's id (the
 * `cl_browser` cookie, long-lived, random, set with the session cookies; undefined for API
 * clients that keep no cookies). Used for the session list and the new-browser notice.
 */
export interface SignInRequest {
  meta: RequestMeta
  browserId: string | undefined
}

/** Cookie naming a browser across sign-ins (never a secret: it only tells browsers apart). */
export const BROWSER_COOKIE = 'cl_browser'

/** The sign-in request of a Fastify request. */
export function signInRequest(req: FastifyRequest): SignInRequest {
  const raw = parse(req.headers.cookie ?? '')[BROWSER_COOKIE]
  return { meta: requestMeta(req), browserId: raw && /^[A-Za-z0-9_-]{16,64}$/.test(raw) ? raw : undefined }
}

/**
 * Inserts a session and its first refresh token inside `db` (the caller's transaction) and
 * signs the access token. Records the device (IP, user agent) and `method`. No audit event:
 * see `completeSignIn` for a sign-in.
 */
export async function openSession(
  deps: Deps,
  db: Kysely<DB> | Transaction<DB>,
  user: UserRow,
  method: AuthMethod,
  from: SignInRequest | undefined,
): Promise<Session> {
  const now = deps.now()
  const { id: sessionId } = await q.insertSession(db, {
    userId: user.id,
    createdAt: now,
    lastUsedAt: now,
    ip: from?.meta.ip ?? null,
    userAgent: from?.meta.userAgent ?? null,
    authMethod: method,
  })
  const refreshToken = newRefreshToken()
  await q.insertRefreshToken(db, sessionId, hashToken(refreshToken), now)
  const accessToken = await signAccessToken(deps.config.jwtSecret, { userId: user.id, sessionId }, now)
  return { user, accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, sessionId }
}

/**
 * A sign-in that succeeded: opens the session and writes `auth.logged_in` (resource: the
 * session; SPEC §4.7) in one transaction. Callers have checked every factor and the
 * account's status before calling.
 */
export async function completeSignIn(deps: Deps, user: UserRow, method: AuthMethod, from: SignInRequest): Promise<Session> {
  const patientId = user.role === 'patient' ? user.id : null
  return deps.db.transaction().execute(async (trx) => {
    const session = await openSession(deps, trx, user, method, from)
    const actor: UserActor = { kind: 'user', id: user.id, role: user.role, status: user.status, name: user.name, sessionId: session.sessionId, secondFactor: SECOND_FACTORS.has(method), meta: from.meta }
    await deps.audit.record(trx, actor, 'auth.logged_in', { patientId, resource: { type: 'session', id: session.sessionId } })
    return session
  })
}
