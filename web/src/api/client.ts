/**
 * The one way the web app talks to the API (SPEC §2): `api`, an openapi-fetch client typed
 * by the generated `paths` (`npm run gen:api`, STYLE §9), and the session around it.
 *
 * - The access token lives in this module's memory only; the refresh token is the
 *   httpOnly `cl_refresh` cookie the server sets when we send `X-Refresh-Cookie: 1`
 *   (src/features/accounts/refresh-cookie.ts). Nothing goes to localStorage.
 * - A 401 on an authenticated call triggers one refresh (single-flight, and serialized
 *   across tabs with the Web Locks API so two tabs never present the same rotated token,
 *   which the server would treat as reuse and end the session) and one retry.
 * - Errors are `ApiError`s carrying the problem+json body (`unwrap`).
 */
import createClient from 'openapi-fetch'
import { ApiError, problemBody, problemFromText } from './errors'
import type { paths } from './schema.gen'
import type { ApiPath, MfaChallenge, PasskeySignInBody, RegisterInput, SessionAnswer, User } from './types'

export { ApiError, errorMessage, type FieldError } from './errors'

// ---- session state -------------------------------------------------------------------

let accessToken: string | null = null
let refreshTimer: ReturnType<typeof setTimeout> | undefined
/**
 * Why there is no session: `signed-out` by the user in this tab, or `ended` — the server
 * refused the refresh (revoked by a password change or a sign-out elsewhere, disabled,
 * expired), so the page should say so.
 */
export type SessionEnd = 'signed-out' | 'ended'
type Listener = (user: User | null, end?: SessionEnd) => void
const listeners = new Set<Listener>()

/** Subscribes to sign-in / sign-out (including a failed refresh, with `end` = `ended`). */
export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

function setSession(answer: SessionAnswer | null, end: SessionEnd = 'signed-out'): void {
  clearTimeout(refreshTimer)
  accessToken = answer?.accessToken ?? null
  if (answer) {
    // Refresh a minute before the access token expires, so an idle page keeps working.
    const ms = Math.max(30, answer.expiresIn - 60) * 1000
    refreshTimer = setTimeout(() => void refreshSession().catch(() => undefined), ms)
  }
  for (const fn of listeners) fn(answer?.user ?? null, answer ? undefined : end)
}

export const hasAccessToken = (): boolean => accessToken !== null

/** The `Authorization` header value of the current session, if any (for XMLHttpRequest uploads). */
export const bearer = (): string | null => (accessToken ? `Bearer ${accessToken}` : null)

/** The server's non-secret hint cookie: a refresh cookie exists, so resuming is worth a try. */
export const hasSessionHint = (): boolean => document.cookie.split(/;\s*/).includes('cl_session=1')

const COOKIE_FLOW = { 'x-refresh-cookie': '1' }
const ACCEPT = { accept: 'application/json, application/problem+json, */*' }

// ---- clients -------------------------------------------------------------------------

/**
 * A 401 that is about the access token (expired, revoked), so a refresh may help — not a
 * wrong password checked by the route itself (`invalid-credentials`, e.g. a wrong current
 * password on `PUT /auth/password`), where refreshing would only rotate the session.
 */
async function isTokenRefusal(res: Response): Promise<boolean> {
  if (res.status !== 401) return false
  const body = problemFromText(await res.clone().text())
  // `shl-passcode`: a SMART Health Link import's wrong passcode (a retry would spend another try).
  return !(typeof body.type === 'string' && (body.type.endsWith('/invalid-credentials') || body.type.endsWith('/shl-passcode')))
}

function withToken(request: Request): Request {
  if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`)
  return request
}

const mfaSetupListeners = new Set<() => void>()

/**
 * Subscribes to 403 `mfa-setup-required` answers (SPEC §8 `MFA_REQUIRED_ROLES`): the
 * account must enrol a second factor before anything else works.
 */
export function onMfaSetupRequired(fn: () => void): () => void {
  mfaSetupListeners.add(fn)
  return () => mfaSetupListeners.delete(fn)
}

async function noticeMfaSetupRequired(res: Response): Promise<void> {
  if (res.status !== 403 || mfaSetupListeners.size === 0) return
  const body = problemFromText(await res.clone().text())
  if (typeof body.type === 'string' && body.type.endsWith('/mfa-setup-required')) for (const fn of mfaSetupListeners) fn()
}

/** `fetch` with the access token, refreshing once on a token refusal and retrying. */
export async function authedFetch(request: Request): Promise<Response> {
  const retry = request.clone()
  let res = await fetch(withToken(request))
  if (accessToken && (await isTokenRefusal(res))) {
    const user = await refreshSession()
    if (user) res = await fetch(withToken(retry))
  }
  await noticeMfaSetupRequired(res)
  return res
}

const options = { baseUrl: '', headers: ACCEPT, credentials: 'same-origin' } as const

/** The API with the session's access token (refreshed on 401). */
export const api = createClient<paths>({ ...options, fetch: authedFetch })

/** The API without a token: sign-in, registration, setup, password reset, refresh. */
export const publicApi = createClient<paths>(options)

type Outcome<D> = { data?: D; error?: unknown; response: Response }

/** The data of an openapi-fetch call; an `ApiError` with the problem body when it failed. */
export async function unwrap<D>(pending: Promise<Outcome<D>>): Promise<D> {
  const { data, error, response } = await pending
  if (!response.ok) throw new ApiError(response.status, problemBody(error))
  return data as D
}

/**
 * An API path with its `{name}` parameters filled (URL-encoded), for the calls that need
 * the raw URL (XMLHttpRequest uploads): `pathTo('/api/v1/patients/{pid}/records', { pid })`.
 */
export function pathTo(path: ApiPath, params: Record<string, string>, query?: Record<string, string>): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''))
  const qs = new URLSearchParams(query).toString()
  return qs ? `${filled}?${qs}` : filled
}

/** An authenticated binary GET of a URL the API gave (QR images) as a Blob. */
export async function getBlob(url: string, signal?: AbortSignal): Promise<Blob> {
  const res = await authedFetch(new Request(url, { headers: ACCEPT, credentials: 'same-origin', signal }))
  if (!res.ok) throw new ApiError(res.status, problemFromText(await res.text()))
  return res.blob()
}

// ---- session calls -------------------------------------------------------------------

let refreshing: Promise<User | null> | null = null

async function doRefresh(): Promise<User | null> {
  const { data, error, response } = await publicApi.POST('/api/v1/auth/refresh', { body: {}, headers: COOKIE_FLOW })
  if (response.status === 401) {
    // The session is over (signed out elsewhere, revoked, or the cookie is gone).
    setSession(null, 'ended')
    return null
  }
  // Anything else (a restart, a 5xx) is not a sign-out: keep the session and report it.
  if (!data) throw new ApiError(response.status, problemBody(error))
  setSession(data)
  return data.user
}

/**
 * Rotates the refresh cookie and gets a new access token; null (and signed out) when the
 * session is gone. One refresh at a time in this tab, and across tabs.
 */
export function refreshSession(): Promise<User | null> {
  if (!refreshing) {
    const run = (): Promise<User | null> => doRefresh()
    const locked: Promise<User | null> =
      typeof navigator !== 'undefined' && 'locks' in navigator ? (navigator.locks.request('carelocker-refresh', run) as unknown as Promise<User | null>) : run()
    refreshing = locked.finally(() => {
      refreshing = null
    })
  }
  return refreshing
}

/** Resumes a session after a page load, when the hint cookie says there is one. */
export async function resumeSession(): Promise<User | null> {
  if (!hasSessionHint()) return null
  try {
    return await refreshSession()
  } catch {
    return null
  }
}

async function startSession(pending: Promise<Outcome<SessionAnswer>>): Promise<User> {
  const answer = await unwrap(pending)
  setSession(answer)
  return answer.user
}

/**
 * Signs in with a password (SPEC §4.1): the user, or — for an account with a second factor
 * (SPEC §8) — the `MfaChallenge` to finish with `signInSecondFactor` (no session yet).
 * Throws `ApiError` (e.g. `invalid-credentials`).
 */
export async function signIn(email: string, password: string): Promise<User | MfaChallenge> {
  const answer = await unwrap(publicApi.POST('/api/v1/auth/login', { body: { email, password }, headers: COOKIE_FLOW }))
  if ('mfaRequired' in answer) return answer
  setSession(answer)
  return answer.user
}

/** True when `signIn` answered the second-factor step. */
export const needsSecondFactor = (answer: User | MfaChallenge): answer is MfaChallenge => 'mfaRequired' in answer

/**
 * Finishes a sign-in with the `mfaToken` and a code of the authenticator app or a recovery
 * code (SPEC §8 `POST /auth/login/mfa`); throws `ApiError` (`invalid-mfa-code` with
 * `remainingAttempts`, `invalid-mfa-token` when the step is over).
 */
export const signInSecondFactor = (mfaToken: string, code: string): Promise<User> =>
  startSession(publicApi.POST('/api/v1/auth/login/mfa', { body: { mfaToken, code }, headers: COOKIE_FLOW }))

/** Signs in with a passkey's answer (SPEC §8: `startAuthentication`'s result for `POST /auth/passkeys/authentication/options`). */
export const signInWithPasskey = (response: PasskeySignInBody['response']): Promise<User> =>
  startSession(publicApi.POST('/api/v1/auth/passkeys/authentication', { body: { response }, headers: COOKIE_FLOW }))

/** Creates an account and signs it in (SPEC §4.1). */
export const signUp = (input: RegisterInput): Promise<User> => startSession(publicApi.POST('/api/v1/auth/register', { body: input, headers: COOKIE_FLOW }))

/**
 * First-run setup (SPEC §1): creates the first admin with the token of the link the server
 * printed, and signs them in. The token travels in the body, never in a URL.
 */
export const setUpFirstAdmin = (input: { token: string; email: string; password: string; name: string }): Promise<User> =>
  startSession(publicApi.POST('/api/v1/setup/admin', { body: input, headers: COOKIE_FLOW }))

/** Forgets the session here only, when the server has already ended it (the locker was erased, SPEC §9). */
export function forgetSession(): void {
  setSession(null)
}

/** Ends the session on the server (when there is one) and here. */
export async function signOut(): Promise<void> {
  try {
    if (accessToken) await unwrap(api.POST('/api/v1/auth/logout', { body: {} }))
  } finally {
    setSession(null)
  }
}
