/**
 * The browser variant of the session flow (issue 6, SPEC §6 "no token in localStorage"):
 * the web app keeps its access token in memory and its refresh token in an httpOnly
 * cookie that JavaScript can never read.
 *
 * - A request that sends `X-Refresh-Cookie: 1` to `POST /auth/register`, `/auth/login` or
 *   `/auth/refresh` gets the refresh token as the cookie `cl_refresh` (httpOnly,
 *   SameSite=Strict, `Path=/api/v1/auth`, `Secure` when the request or `PUBLIC_URL` is
 *   https) and the JSON answer **omits** `refreshToken`.
 * - `POST /auth/refresh` with no `refreshToken` in the body reads the cookie — only when
 *   the request also sends `X-Refresh-Cookie: 1`: a custom header cannot be sent
 *   cross-site without a CORS preflight this server never grants, on top of SameSite=Strict.
 *   A failed cookie refresh clears the cookie.
 * - `POST /auth/logout` always clears the cookie.
 * - Alongside it goes `cl_session=1` (`Path=/`, SameSite=Strict, readable by JavaScript,
 *   no secret in it): a hint that lets the web app skip the resume call — and its 401 —
 *   on a fresh visit with no session. It is set and cleared with `cl_refresh`.
 *
 * Without the header nothing changes: API clients keep the JSON flow (`refreshToken` in
 * the body and in the answer). The cookie is a browser-session cookie (no Max-Age): the
 * refresh token itself has no fixed lifetime, and a shared computer should not keep a
 * health record open after the browser is closed.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parse, serialize, type SerializeOptions } from 'cookie'
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { UnauthorizedError } from '../../app/errors.js'
import { TokenPair, toUserDto } from './accounts.schema.js'
import type { Session } from './accounts.service.js'
import { refresh } from './sessions.service.js'
import { BROWSER_COOKIE } from './sign-in.js'

export const REFRESH_COOKIE = 'cl_refresh'
/** Non-secret hint cookie for the web app: a refresh cookie was set. */
export const SESSION_HINT_COOKIE = 'cl_session'
export const REFRESH_COOKIE_HEADER = 'x-refresh-cookie'
const COOKIE_PATH = '/api/v1/auth'

/** `TokenPair`, with `refreshToken` absent when it went into the cookie. */
export const SessionReply = TokenPair.extend({
  refreshToken: z
    .string()
    .optional()
    .describe('Absent when the request sent `X-Refresh-Cookie: 1`: the token is then in the httpOnly `cl_refresh` cookie.'),
})

/** `POST /auth/refresh` body: the token, or nothing when it comes from the cookie. */
export const RefreshBodyOrCookie = z
  .object({ refreshToken: z.string().min(1).max(200).optional() })
  .strict()
  .nullish()
  .describe('`{refreshToken}`; empty or `{}` with `X-Refresh-Cookie: 1` to use the `cl_refresh` cookie.')

/** Whether the caller asked for the cookie flow (`X-Refresh-Cookie: 1`). */
export function wantsRefreshCookie(req: FastifyRequest): boolean {
  return req.headers[REFRESH_COOKIE_HEADER] === '1'
}

function cookieOptions(deps: Deps, req: FastifyRequest): SerializeOptions {
  return {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https' || deps.config.publicUrl.startsWith('https://'),
    path: COOKIE_PATH,
  }
}

/** Sets `cl_refresh` and `cl_session` on `reply` (appended to its other cookies): also the end of an OpenID Connect sign-in. */
export function setRefreshCookie(deps: Deps, req: FastifyRequest, reply: FastifyReply, token: string): void {
  const opts = cookieOptions(deps, req)
  reply.header('set-cookie', [
    serialize(REFRESH_COOKIE, token, opts),
    serialize(SESSION_HINT_COOKIE, '1', { ...opts, httpOnly: false, path: '/' }),
  ])
}

/** Expires both cookies in the browser. */
export function clearRefreshCookie(deps: Deps, req: FastifyRequest, reply: FastifyReply): void {
  const gone = { ...cookieOptions(deps, req), maxAge: 0, expires: new Date(0) }
  reply.header('set-cookie', [
    serialize(REFRESH_COOKIE, '', gone),
    serialize(SESSION_HINT_COOKIE, '', { ...gone, httpOnly: false, path: '/' }),
  ])
}

/**
 * Sets the `cl_browser` cookie (SPEC §8 new-browser notice) when the session came with a
 * new browser id (a browser that sent none: `signInRequest`): 400 days (browsers' cap),
 * httpOnly, SameSite=Lax, `Path=/`, `Secure` as the session cookies. It names the browser,
 * it grants nothing. A route that answers a sign-in otherwise (a redirect) calls it too.
 */
export function setBrowserCookie(deps: Deps, req: FastifyRequest, reply: FastifyReply, s: Pick<Session, 'browserCookie'>): void {
  if (!s.browserCookie) return
  const { secure } = cookieOptions(deps, req)
  reply.header('set-cookie', serialize(BROWSER_COOKIE, s.browserCookie, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: 400 * 86_400 }))
}

/**
 * The JSON answer for a new or rotated session: with the cookie flow, sets `cl_refresh`
 * and leaves `refreshToken` out of the body; otherwise the plain token pair. Sets
 * `cl_browser` for a browser that had none (`setBrowserCookie`).
 */
export function sessionReply(deps: Deps, req: FastifyRequest, reply: FastifyReply, s: Session): z.infer<typeof SessionReply> {
  setBrowserCookie(deps, req, reply, s)
  const body = { user: toUserDto(s.user), accessToken: s.accessToken, expiresIn: s.expiresIn }
  if (!wantsRefreshCookie(req)) return { ...body, refreshToken: s.refreshToken }
  setRefreshCookie(deps, req, reply, s.refreshToken)
  return body
}

/**
 * `POST /auth/refresh`: rotates the body's token, or the cookie's when the body has none
 * and the request sent `X-Refresh-Cookie: 1`. 401 when there is neither; a cookie that
 * fails to rotate (reused, revoked, unknown) is cleared.
 */
export async function refreshFromRequest(
  deps: Deps,
  req: FastifyRequest,
  reply: FastifyReply,
  bodyToken: string | undefined,
): Promise<z.infer<typeof SessionReply>> {
  const cookieToken = wantsRefreshCookie(req) ? parse(req.headers.cookie ?? '')[REFRESH_COOKIE] : undefined
  const token = bodyToken ?? (cookieToken || undefined)
  if (!token) throw new UnauthorizedError('No refresh token: send {refreshToken}, or the cl_refresh cookie with X-Refresh-Cookie: 1.', 'invalid-refresh-token')
  try {
    return sessionReply(deps, req, reply, await refresh(deps, token))
  } catch (err) {
    if (bodyToken === undefined) clearRefreshCookie(deps, req, reply)
    throw err
  }
}
