/**
 * The one way the web app talks to the API (SPEC §2).
 *
 * - The access token lives in this module's memory only; the refresh token is the
 *   httpOnly `cl_refresh` cookie the server sets when we send `X-Refresh-Cookie: 1`
 *   (src/features/accounts/refresh-cookie.ts). Nothing goes to localStorage.
 * - A 401 on an authenticated call triggers one refresh (single-flight, and serialized
 *   across tabs with the Web Locks API so two tabs never present the same rotated token,
 *   which the server would treat as reuse and end the session) and one retry.
 * - Errors are `ApiError`s carrying the problem+json body, with field errors by JSON pointer.
 */
import type { SessionAnswer, User } from './types'

export const API = '/api/v1'

export interface FieldError {
  path: string
  message: string
}

export class ApiError extends Error {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly errors: FieldError[]
  readonly body: Record<string, unknown>

  constructor(status: number, body: Record<string, unknown>) {
    const detail = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `Request failed (${status}).`
    super(detail)
    this.status = status
    this.body = body
    this.type = typeof body.type === 'string' ? body.type : ''
    this.title = typeof body.title === 'string' ? body.title : 'Error'
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : []
  }

  /** The problem slug (`…/problems/<slug>`). */
  get slug(): string {
    return this.type.split('/').pop() ?? ''
  }
}

/** A human message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message
  if (err instanceof Error) return err.message
  return 'Something went wrong.'
}

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

/** The server's non-secret hint cookie: a refresh cookie exists, so resuming is worth a try. */
export const hasSessionHint = (): boolean => document.cookie.split(/;\s*/).includes('cl_session=1')

const COOKIE_FLOW = { 'x-refresh-cookie': '1' }

async function readBody(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text()
  if (!text) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { value: parsed }
  } catch {
    return { detail: text.slice(0, 300) }
  }
}

let refreshing: Promise<User | null> | null = null

async function doRefresh(): Promise<User | null> {
  const res = await fetch(`${API}/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...COOKIE_FLOW },
    body: '{}',
    credentials: 'same-origin',
  })
  if (res.status === 401) {
    // The session is over (signed out elsewhere, revoked, or the cookie is gone).
    setSession(null, 'ended')
    return null
  }
  // Anything else (a restart, a 5xx) is not a sign-out: keep the session and report it.
  if (!res.ok) throw new ApiError(res.status, await readBody(res))
  const answer = (await res.json()) as SessionAnswer
  setSession(answer)
  return answer.user
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
  return refreshing as Promise<User | null>
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

export async function signIn(email: string, password: string): Promise<User> {
  const answer = await request<SessionAnswer>('POST', '/auth/login', { body: { email, password }, auth: false, headers: COOKIE_FLOW })
  setSession(answer)
  return answer.user
}

export interface RegisterInput {
  email: string
  password: string
  role: 'patient' | 'doctor' | 'pharmacist'
  name: string
  specialty?: string
  licenseNumber?: string
  organization?: string
  pharmacyName?: string
}

export async function signUp(input: RegisterInput): Promise<User> {
  const answer = await request<SessionAnswer>('POST', '/auth/register', { body: input, auth: false, headers: COOKIE_FLOW })
  setSession(answer)
  return answer.user
}

/**
 * First-run setup (SPEC §1): creates the first admin with the token of the link the server
 * printed, and signs them in. The token travels in the body, never in a URL.
 */
export async function setUpFirstAdmin(input: { token: string; email: string; password: string; name: string }): Promise<User> {
  const answer = await request<SessionAnswer>('POST', '/setup/admin', { body: input, auth: false, headers: COOKIE_FLOW })
  setSession(answer)
  return answer.user
}

export async function signOut(): Promise<void> {
  try {
    if (accessToken) await request('POST', '/auth/logout', { body: {} })
  } finally {
    setSession(null)
  }
}

// ---- requests ------------------------------------------------------------------------

export type Query = Record<string, string | number | boolean | null | undefined>

export function withQuery(path: string, query?: Query): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v))
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

interface RequestOptions {
  body?: unknown
  query?: Query
  auth?: boolean
  headers?: Record<string, string>
  signal?: AbortSignal
}

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json, */*', ...opts.headers }
  let body: BodyInit | undefined
  if (opts.body instanceof FormData || opts.body instanceof Blob) body = opts.body
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  if (opts.auth !== false && accessToken) headers.authorization = `Bearer ${accessToken}`
  return fetch(`${API}${withQuery(path, opts.query)}`, { method, headers, body, credentials: 'same-origin', signal: opts.signal })
}

/**
 * A 401 that is about the access token (expired, revoked), so a refresh may help — not a
 * wrong password checked by the route itself (`invalid-credentials`, e.g. a wrong current
 * password on `PUT /auth/password`), where refreshing would only rotate the session.
 */
async function isTokenRefusal(res: Response): Promise<boolean> {
  if (res.status !== 401) return false
  const body = await readBody(res.clone())
  return !(typeof body.type === 'string' && body.type.endsWith('/invalid-credentials'))
}

/** Sends a request, refreshing once on 401; returns the raw response when it is OK. */
async function fetchOk(method: string, path: string, opts: RequestOptions): Promise<Response> {
  let res = await send(method, path, opts)
  if (opts.auth !== false && accessToken && (await isTokenRefusal(res))) {
    const user = await refreshSession()
    if (user) res = await send(method, path, opts)
  }
  if (!res.ok) throw new ApiError(res.status, await readBody(res))
  return res
}

/** JSON request → parsed JSON (undefined for 204). */
export async function request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await fetchOk(method, path, opts)
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') ?? ''
  if (!type.includes('json')) return (await res.text()) as T
  return (await res.json()) as T
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal })
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, { body })
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, { body })
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, { body })
export const del = (path: string) => request<void>('DELETE', path)

/** An authenticated binary GET (record content, QR images) as a Blob. */
export async function getBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await fetchOk('GET', path, { signal })
  return res.blob()
}

/**
 * Uploads `form` with XMLHttpRequest so the upload's progress can be shown (fetch has no
 * upload progress). Refreshes once on 401 like the other calls.
 */
export function uploadForm<T>(path: string, form: FormData, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<T> {
  const attempt = () =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      xhr.open('POST', `${API}${path}`)
      xhr.setRequestHeader('accept', 'application/json, application/problem+json')
      if (accessToken) xhr.setRequestHeader('authorization', `Bearer ${accessToken}`)
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total)
      }
      xhr.onload = () => {
        let body: Record<string, unknown> = {}
        try {
          body = xhr.responseText ? (JSON.parse(xhr.responseText) as Record<string, unknown>) : {}
        } catch {
          body = { detail: xhr.responseText.slice(0, 300) }
        }
        resolve({ status: xhr.status, body })
      }
      xhr.onerror = () => reject(new Error('The upload failed: the connection was interrupted.'))
      xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'))
      signal?.addEventListener('abort', () => xhr.abort(), { once: true })
      xhr.send(form)
    })
  return (async () => {
    let res = await attempt()
    if (res.status === 401 && accessToken && (await refreshSession())) {
      onProgress(0)
      res = await attempt()
    }
    if (res.status < 200 || res.status >= 300) throw new ApiError(res.status, res.body)
    onProgress(1)
    return res.body as T
  })()
}

/** POSTs a JSON file as-is (FHIR import), reporting upload progress like `uploadForm`. */
export function uploadJsonFile<T>(path: string, file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = (retried: boolean) => {
      const xhr = new XMLHttpRequest()
      xhr.open('POST', `${API}${path}`)
      xhr.setRequestHeader('content-type', 'application/fhir+json')
      xhr.setRequestHeader('accept', 'application/json, application/problem+json')
      if (accessToken) xhr.setRequestHeader('authorization', `Bearer ${accessToken}`)
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total)
      xhr.onload = () => {
        let body: Record<string, unknown> = {}
        try {
          body = xhr.responseText ? (JSON.parse(xhr.responseText) as Record<string, unknown>) : {}
        } catch {
          body = { detail: xhr.responseText.slice(0, 300) }
        }
        if (xhr.status === 401 && !retried && accessToken) {
          void refreshSession().then((u) => (u ? run(true) : reject(new ApiError(401, body))), reject)
          return
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(body as T)
        else reject(new ApiError(xhr.status, body))
      }
      xhr.onerror = () => reject(new Error('The import failed: the connection was interrupted.'))
      xhr.send(file)
    }
    run(false)
  })
}
