/** Two-factor helpers for tests (SPEC §8): enrol TOTP through the API and compute codes as an authenticator app would. */
import { expect } from 'vitest'
import { Secret, TOTP } from 'otpauth'
import type { TestApp } from './test-app.js'
import type { TestUser } from './factories.js'

/** The 6-digit RFC 6238 code (SHA1, 30 s) of base32 `secret` at `at` (default: now); `stepOffset` moves it by whole steps. */
export function totpCode(secret: string, at: Date = new Date(), stepOffset = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at.getTime() + stepOffset * 30_000 })
}

export interface Enrolment {
  secret: string
  otpauthUrl: string
  recoveryCodes: string[]
}

/** Sets up and confirms TOTP for `user` through the API (asserting 200s), with a code of `at`. */
export async function enrolTotp(t: TestApp, user: Pick<TestUser, 'headers'>, at: Date = new Date()): Promise<Enrolment> {
  const setup = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/setup', headers: user.headers, payload: {} })
  expect(setup.statusCode, setup.body).toBe(200)
  const { secret, otpauthUrl } = setup.json() as { secret: string; otpauthUrl: string }
  const confirm = await t.app.inject({ method: 'POST', url: '/api/v1/auth/mfa/totp/confirm', headers: user.headers, payload: { code: totpCode(secret, at) } })
  expect(confirm.statusCode, confirm.body).toBe(200)
  return { secret, otpauthUrl, recoveryCodes: (confirm.json() as { recoveryCodes: string[] }).recoveryCodes }
}

/** `POST /auth/login` for an account with a second factor: asserts the `mfaToken` step and returns the token. */
export async function mfaTokenFor(t: TestApp, email: string, password: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })
  expect(res.statusCode, res.body).toBe(200)
  const body = res.json() as { mfaRequired?: boolean; mfaToken?: string }
  expect(body.mfaRequired).toBe(true)
  return body.mfaToken as string
}
