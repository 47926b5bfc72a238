/** Test factories that go through the HTTP API, as a client would. */
import { randomUUID } from 'node:crypto'
import { expect } from 'vitest'
import { ensureAdmin } from '../../src/features/accounts/accounts.service.js'
import { startTestApp, type TestApp } from './test-app.js'

export interface TestUser {
  id: string
  email: string
  password: string
  role: string
  accessToken: string
  refreshToken: string
  /** `{authorization: 'Bearer …'}` for `app.inject`. */
  headers: { authorization: string }
}

export const PASSWORD = 'correct horse battery'

const extraFields: Record<string, Record<string, string>> = {
  patient: {},
  doctor: { specialty: 'Cardiology', licenseNumber: 'MD-12345' },
  pharmacist: { pharmacyName: 'Corner Pharmacy', licenseNumber: 'PH-555' },
}

/**
 * Registers a user of `role` with a unique email; asserts 201. Its email counts as verified
 * (SPEC §8) unless `opts.emailVerified` is false: the suites that test verification click the
 * emailed link themselves; the others need mail to reach their users.
 */
export async function registerUser(
  t: TestApp,
  role: 'patient' | 'doctor' | 'pharmacist' = 'patient',
  fields: Record<string, string> = {},
  opts: { emailVerified?: boolean } = {},
): Promise<TestUser> {
  const email = `${role}-${randomUUID()}@example.test`
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: PASSWORD, role, name: `Test ${role}`, ...extraFields[role], ...fields },
  })
  expect(res.statusCode, res.body).toBe(201)
  const body = res.json()
  if (opts.emailVerified !== false) await markEmailVerified(t, body.user.id)
  return {
    id: body.user.id,
    email,
    password: PASSWORD,
    role,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    headers: { authorization: `Bearer ${body.accessToken}` },
  }
}

/** Marks a user's email verified, as clicking the link of SPEC §8 would (test setup only). */
export async function markEmailVerified(t: TestApp, userId: string): Promise<void> {
  await t.deps.db.updateTable('users').set({ emailVerifiedAt: new Date() }).where('id', '=', userId).execute()
}

/** Logs in; asserts 200. */
export async function loginAs(t: TestApp, email: string, password = PASSWORD): Promise<TestUser> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  expect(res.statusCode, res.body).toBe(200)
  const body = res.json()
  return {
    id: body.user.id,
    email,
    password,
    role: body.user.role,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    headers: { authorization: `Bearer ${body.accessToken}` },
  }
}

/** An active admin (bootstrapped as ADMIN_EMAIL would be), logged in. */
export async function createAdmin(t: TestApp): Promise<TestUser> {
  const email = `admin-${randomUUID()}@example.test`
  await ensureAdmin(t.deps, email, PASSWORD)
  return loginAs(t, email)
}

/** Registers a doctor or pharmacist and has an admin verify them. */
export async function registerVerified(t: TestApp, role: 'doctor' | 'pharmacist', admin?: TestUser): Promise<TestUser> {
  const user = await registerUser(t, role)
  const a = admin ?? (await createAdmin(t))
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${user.id}/verify`, headers: a.headers })
  expect(res.statusCode, res.body).toBe(200)
  return user
}

/**
 * Starts a test app (`startTestApp(env, opts)`) with an admin account: the first lines of most
 * test files' `beforeAll`, e.g. `({ t, admin } = await startWithAdmin())`.
 */
export async function startWithAdmin(env: Record<string, string> = {}, opts: { now?: () => Date } = {}): Promise<{ t: TestApp; admin: TestUser }> {
  const t = await startTestApp(env, opts)
  return { t, admin: await createAdmin(t) }
}
