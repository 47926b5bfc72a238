/**
 * Opening a session once a user has proved who they are (SPEC §4.1, §8): the one path that
 * password, second-factor, passkey and OpenID Connect sign-ins, registration and first-run
 * setup all end in, so each session records its device and method and is audited the same way.
 */
import type { Kysely, Transaction } from 'kysely'
import type { FastifyRequest } from 'fastify'
import { parse } from 'cookie'
import type { Deps } from '../../app/deps.js'
import type { DB, NewUser, UserRow } from '../../db/schema.js'
import type { RequestMeta, UserActor } from '../../policy/index.js'
import { requestMeta } from '../../app/request-meta.js'
import { UnauthorizedError } from '../../app/errors.js'
import { randomBytes } from 'node:crypto'
import * as q from './accounts.queries.js'
import { notifyUsers } from '../in-app-notifications/notify.js'
import { enqueueAccountNotice } from './account-notices.js'
import { recordKnownBrowser } from './sessions.queries.js'
import { ACCESS_TOKEN_TTL_SECONDS, hashToken, newRefreshToken, signAccessToken } from './tokens.js'

export interface Session {
  user: UserRow
  accessToken: string
  refreshToken: string
  expiresIn: number
  /** The server-side session the tokens are bound to (kept in the audit log, never sent). */
  sessionId: string
  /** A new `cl_browser` id for the session reply to set (the request sent none). */
  browserCookie?: string | undefined
  /** The sign-in came from a browser this account had not signed in from before. */
  newBrowser?: boolean
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
  /** A browser that sent no `cl_browser`: the id the session reply gives it (`setBrowserCookie`). */
  newBrowserId?: string | undefined
}

/** Cookie naming a browser across sign-ins (never a secret: it only tells browsers apart). */
export const BROWSER_COOKIE = 'cl_browser'

/**
 * The sign-in request of a Fastify request. The web app (its cookie flow, `X-Refresh-Cookie:
 * 1`) without a valid `cl_browser` gets a new id (32 random bytes, base64url) that its
 * session reply sets (`setBrowserCookie`). API clients get none: they keep no cookies
 * (refresh-cookie.ts). Pass `{asBrowser: true}` for a browser navigation that answers with
 * a redirect (it must then call `setBrowserCookie` itself).
 */
export function signInRequest(req: FastifyRequest, opts: { asBrowser?: boolean } = {}): SignInRequest {
  const raw = parse(req.headers.cookie ?? '')[BROWSER_COOKIE]
  const browserId = raw && /^[A-Za-z0-9_-]{16,64}$/.test(raw) ? raw : undefined
  const isBrowser = opts.asBrowser === true || req.headers['x-refresh-cookie'] === '1'
  return { meta: requestMeta(req), browserId, ...(!browserId && isBrowser ? { newBrowserId: randomBytes(32).toString('base64url') } : {}) }
}

/**
 * The browser a sign-in is from, as its `known_browsers` hash (SHA-256; the raw id is never
 * stored): the `cl_browser` id it sent; else the new id it is about to get (a browser without
 * the cookie — new, or cleared — is a new browser); else, for an API client, its user agent,
 * so a script does not count as new at every sign-in.
 */
export function browserHash(from: SignInRequest): string {
  const id = from.browserId ?? from.newBrowserId
  return id ? hashToken(`carelocker/browser/v1|id|${id}`) : hashToken(`carelocker/browser/v1|ua|${from.meta.userAgent ?? ''}`)
}

/**
 * Inserts a session and its first refresh token inside `db` (the caller's transaction) and
 * signs the access token. Records the device (IP, user agent), `method` and the browser in
 * `known_browsers` (`browserHash`; `newBrowser` says whether it was new). No audit event
 * and no notice: see `completeSignIn` for a sign-in (registration's first session is not a
 * "new browser").
 */
export async function openSession(
  deps: Deps,
  db: Kysely<DB> | Transaction<DB>,
  user: UserRow,
  method: AuthMethod,
  from: SignInRequest | undefined,
): Promise<Session> {
  // A dependent (SPEC §10) never signs in, whatever the path (password, OIDC, passkey, MFA): no session is ever opened for one.
  if (user.isDependent) throw new UnauthorizedError('Email or password is wrong.', 'invalid-credentials')
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
  let newBrowser = false
  if (from) newBrowser = await recordKnownBrowser(db, user.id, browserHash(from), now)
  return { user, accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, sessionId, browserCookie: from?.newBrowserId, newBrowser }
}

/**
 * A sign-in that succeeded: opens the session and writes `auth.logged_in` (resource: the
 * session; SPEC §4.7) in one transaction, with the `new-browser-sign-in` notice (SPEC §8)
 * and the `auth.new_sign_in` in-app notification (SPEC §10) when the browser had not signed
 * in to this account before. Callers have checked every
 * factor and the account's status before calling.
 */
export async function completeSignIn(deps: Deps, user: UserRow, method: AuthMethod, from: SignInRequest): Promise<Session> {
  const patientId = user.role === 'patient' ? user.id : null
  return deps.db.transaction().execute(async (trx) => {
    const session = await openSession(deps, trx, user, method, from)
    const actor: UserActor = { kind: 'user', id: user.id, role: user.role, status: user.status, name: user.name, sessionId: session.sessionId, secondFactor: SECOND_FACTORS.has(method), meta: from.meta }
    await deps.audit.record(trx, actor, 'auth.logged_in', { patientId, resource: { type: 'session', id: session.sessionId } })
    if (session.newBrowser) {
      await enqueueAccountNotice(deps, trx, user.id, 'new-browser-sign-in', { sessionId: session.sessionId })
      // SPEC §10: and in-app, for the account's other sessions to see (the session list names the device).
      const data = { method, signedInAt: deps.now().toISOString() }
      await notifyUsers(trx, [{ userId: user.id, type: 'auth.new_sign_in', resource: { type: 'session', id: session.sessionId }, data }])
    }
    return session
  })
}

/**
 * The account with this email (case-insensitive), if any: for sign-ins that find an account
 * by the address a provider vouches for (OpenID Connect linking, SPEC §8).
 */
export const findAccountByEmail = (db: Kysely<DB> | Transaction<DB>, email: string): Promise<UserRow | undefined> => q.findUserByEmail(db, email)

/** Inserts an account (an OpenID Connect sign-in's new patient); a taken email is a ConflictError `email-taken`. */
export const insertAccount = (db: Kysely<DB> | Transaction<DB>, user: NewUser): Promise<UserRow> => q.insertUser(db, user)
