/**
 * The `MFA_REQUIRED_ROLES` gate under SPEC §8's default (doctor, pharmacist, admin): without
 * a second factor, 403 `mfa-setup-required` everywhere but the account, MFA and passkey
 * routes — the bootstrap admin included; enrolling lifts it on the same session at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { enrolTotp, totpCode } from '../../../test/helpers/mfa.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let now = new Date()

beforeAll(async () => {
  t = await startTestApp({ MFA_REQUIRED_ROLES: 'doctor,pharmacist,admin' }, { now: () => now })
})
afterAll(async () => t?.close())

const call = (u: Pick<TestUser, 'headers'>, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, ...(payload ? { payload } : {}) })
const slugOf = (res: { body: string }) => ((JSON.parse(res.body) as { type?: string }).type ?? '').split('/').pop()

/** Clinical or admin routes of each role, and the account routes every role keeps. */
const SAMPLE: Record<'doctor' | 'pharmacist' | 'admin', [method: 'GET' | 'POST', url: string][]> = {
  doctor: [['GET', '/doctor/patients'], ['GET', '/consultations'], ['GET', '/prescriptions']],
  pharmacist: [['GET', '/pharmacy/history'], ['POST', '/pharmacy/lookup']],
  admin: [['GET', '/admin/users'], ['GET', '/admin/jobs']],
}
const ACCOUNT: [method: 'GET' | 'POST', url: string][] = [['GET', '/auth/me']]

async function expectGated(u: TestUser, role: keyof typeof SAMPLE, gated: boolean) {
  for (const [method, url] of SAMPLE[role]) {
    const res = await call(u, method, url, method === 'POST' ? {} : undefined)
    if (gated) {
      expect(res.statusCode, `${role} ${method} ${url}`).toBe(403)
      expect(slugOf(res), `${role} ${method} ${url}`).toBe('mfa-setup-required')
    } else {
      expect(slugOf(res), `${role} ${method} ${url}: ${res.body}`).not.toBe('mfa-setup-required')
      expect(res.statusCode, `${role} ${method} ${url}`).not.toBe(403)
    }
  }
  for (const [method, url] of ACCOUNT) expect((await call(u, method, url)).statusCode).toBe(200)
}

async function verified(role: 'doctor' | 'pharmacist'): Promise<TestUser> {
  const u = await registerUser(t, role)
  // Verified by an admin (test setup: the admin's own gate is tested below).
  await t.deps.db.updateTable('users').set({ status: 'active', verifiedAt: now }).where('id', '=', u.id).execute()
  return u
}

describe('MFA_REQUIRED_ROLES (SPEC §8, default doctor,pharmacist,admin)', () => {
  it('an unenrolled doctor, pharmacist and bootstrap admin get 403 mfa-setup-required on their routes but keep /auth/me and the MFA routes; after enrolling they pass on the same session', async () => {
    const users = { doctor: await verified('doctor'), pharmacist: await verified('pharmacist'), admin: await createAdmin(t) }
    for (const role of ['doctor', 'pharmacist', 'admin'] as const) {
      await expectGated(users[role], role, true)
      now = new Date(now.getTime() + 30_000)
      await enrolTotp(t, users[role], now)
      await expectGated(users[role], role, false)
    }
  })

  it('a patient is never gated; a pending doctor hears account-not-verified first and may enrol meanwhile', async () => {
    const patient = await registerUser(t)
    expect((await call(patient, 'GET', '/consultations')).statusCode).toBe(200)
    const pending = await registerUser(t, 'doctor')
    const res = await call(pending, 'GET', '/doctor/patients')
    expect(res.statusCode).toBe(403)
    expect(slugOf(res)).toBe('account-not-verified')
    expect((await call(pending, 'POST', '/auth/mfa/totp/setup', {})).statusCode).toBe(200)
  })

  it('turning the only factor off is allowed, and the gate applies again at once', async () => {
    const doctor = await verified('doctor')
    now = new Date(now.getTime() + 30_000)
    const { recoveryCodes } = await enrolTotp(t, doctor, now)
    await expectGated(doctor, 'doctor', false)
    const off = await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: doctor.headers, payload: { password: PASSWORD, code: recoveryCodes[0] } })
    expect(off.statusCode, off.body).toBe(204)
    await expectGated(doctor, 'doctor', true)
  })

  it('an enrolled doctor signs in with password and code and passes the gate; the password alone opens no session', async () => {
    const doctor = await verified('doctor')
    now = new Date(now.getTime() + 30_000)
    const { secret } = await enrolTotp(t, doctor, now)
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: doctor.email, password: PASSWORD } })
    const { mfaToken } = login.json() as { mfaToken: string }
    expect(login.json()).not.toHaveProperty('accessToken')
    now = new Date(now.getTime() + 30_000)
    const done = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login/mfa', payload: { mfaToken, code: totpCode(secret, now) } })
    expect(done.statusCode, done.body).toBe(200)
    const headers = { authorization: `Bearer ${(done.json() as { accessToken: string }).accessToken}` }
    await expectGated({ ...doctor, headers }, 'doctor', false)
  })
})
