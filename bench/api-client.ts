/** Minimal HTTP client for setting up bench scenarios through the public API (fetch). */
import { randomUUID } from 'node:crypto'

export interface BenchPatient {
  id: string
  email: string
  password: string
}

const PASSWORD = 'bench password 0123'

/** Fetches `url` and returns the parsed JSON; throws with status and body on a non-2xx answer. */
export async function requestJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(60_000) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname} → ${res.status}: ${text.slice(0, 300)}`)
  return (text ? JSON.parse(text) : null) as T
}

/** Registers a new patient (`POST /auth/register`) with a unique email. */
export async function registerPatient(baseUrl: string, label: string): Promise<BenchPatient> {
  const email = `bench-${label}-${randomUUID()}@example.test`
  const body = await requestJson<{ user: { id: string } }>(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, role: 'patient', name: `Bench ${label}` }),
  })
  return { id: body.user.id, email, password: PASSWORD }
}

/**
 * Signs in (`POST /auth/login`) and returns `{authorization: 'Bearer …'}`. Called right
 * before each scenario: access tokens live ≤ 15 minutes (SPEC §6).
 */
export async function authHeaders(baseUrl: string, patient: BenchPatient): Promise<{ authorization: string }> {
  const body = await requestJson<{ accessToken: string }>(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: patient.email, password: patient.password }),
  })
  return { authorization: `Bearer ${body.accessToken}` }
}
