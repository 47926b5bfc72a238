/**
 * `POST /admin/users/{id}/enable` (SPEC §4.1): a disabled account comes back `active`, or
 * `pending` for a doctor or pharmacist an admin never verified; 409 unless disabled;
 * audited as `user.enabled` in the change's transaction (SPEC §4.7).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import type { TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => ({ t, admin } = await startWithAdmin()))
afterAll(async () => t?.close())

const act = (action: 'verify' | 'disable' | 'enable', userId: string, headers = admin.headers) =>
  t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${userId}/${action}`, headers })

const eventsAbout = (userId: string) =>
  t.deps.db.selectFrom('auditEvents').selectAll().where('resourceType', '=', 'user').where('resourceId', '=', userId).orderBy('id').execute()

const me = (u: TestUser) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: u.headers })

describe('enabling a disabled account', () => {
  it('a disabled patient is active again and can sign in; the sessions ended by the disable stay ended', async () => {
    const patient = await registerUser(t, 'patient')
    expect((await act('disable', patient.id)).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: patient.email, password: patient.password } })).statusCode).toBe(403)

    const res = await act('enable', patient.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id: patient.id, email: patient.email, role: 'patient', status: 'active' })
    expect((await me(patient)).statusCode).toBe(401)
    const again = await loginAs(t, patient.email)
    expect((await me(again)).json().user.status).toBe('active')
  })

  it('a verified doctor comes back active; a doctor who was never verified comes back pending', async () => {
    const verified = await registerVerified(t, 'doctor', admin)
    expect((await act('disable', verified.id)).statusCode).toBe(200)
    expect((await act('enable', verified.id)).json().status).toBe('active')

    const unverified = await registerUser(t, 'pharmacist')
    expect((await act('disable', unverified.id)).statusCode).toBe(200)
    expect((await act('enable', unverified.id)).json().status).toBe('pending')
    // …and still needs an admin's verification.
    expect((await act('verify', unverified.id)).json().status).toBe('active')
  })

  it('is 409 for an account that is not disabled, 404 for an unknown one, 400 for a malformed id', async () => {
    const active = await registerUser(t, 'patient')
    const pending = await registerUser(t, 'doctor')
    for (const u of [active, pending]) {
      const res = await act('enable', u.id)
      expect(res.statusCode).toBe(409)
      expect(res.json().type).toBe('https://carelocker.dev/problems/invalid-status-transition')
    }
    expect((await act('enable', admin.id)).statusCode).toBe(409)
    expect((await act('enable', '00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
    expect((await act('enable', 'not-a-uuid')).statusCode).toBe(400)
  })

  it('writes user.enabled by the admin about the account; a refused enable writes nothing', async () => {
    const patient = await registerUser(t, 'patient')
    expect((await act('enable', patient.id)).statusCode).toBe(409)
    expect((await act('disable', patient.id)).statusCode).toBe(200)
    expect((await act('enable', patient.id)).statusCode).toBe(200)
    expect((await act('enable', patient.id)).statusCode).toBe(409)
    expect(await eventsAbout(patient.id)).toMatchObject([
      { action: 'user.disabled', actorKind: 'admin', actorId: admin.id },
      { action: 'user.enabled', actorKind: 'admin', actorId: admin.id, resourceType: 'user', resourceId: patient.id, patientId: patient.id },
    ])
    const chain = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin.headers })
    expect(chain.json().ok).toBe(true)
  })

  it('only an admin may enable: 403 for other roles, 401 without a token', async () => {
    const patient = await registerUser(t, 'patient')
    expect((await act('disable', patient.id)).statusCode).toBe(200)
    const other = await registerUser(t, 'patient')
    expect((await act('enable', patient.id, other.headers)).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${patient.id}/enable` })).statusCode).toBe(401)
    expect((await act('enable', patient.id)).json().status).toBe('active')
  })
})
