/**
 * SPEC §4.7: every account change by an admin is an audit event — `user.verified`,
 * `user.disabled` — attributed to the admin, about `{type: 'user', id}`, written in the
 * change's own transaction: a refused change (409) leaves no event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import type { TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => ({ t, admin } = await startWithAdmin()))
afterAll(async () => t?.close())

const ADMIN_UA = 'CareLocker admin console test'

const act = (action: 'verify' | 'disable', userId: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/admin/users/${userId}/${action}`,
    headers: { ...admin.headers, 'user-agent': ADMIN_UA },
    remoteAddress: '203.0.113.9',
  })

/** Every event about account `userId`, in chain order. */
const eventsAbout = (userId: string) =>
  t.deps.db.selectFrom('auditEvents').selectAll().where('resourceType', '=', 'user').where('resourceId', '=', userId).orderBy('id').execute()

const chainIsIntact = async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin.headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().ok as boolean
}

describe('admin account changes are audited (SPEC §4.7)', () => {
  it('verifying a pending doctor writes user.verified by the admin, about the user', async () => {
    const doctor = await registerUser(t, 'doctor')
    const res = await act('verify', doctor.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().status).toBe('active')
    const events = await eventsAbout(doctor.id)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      action: 'user.verified',
      actorKind: 'admin',
      actorId: admin.id,
      resourceType: 'user',
      resourceId: doctor.id,
      patientId: null,
      ip: '203.0.113.9',
      userAgent: ADMIN_UA,
    })
    expect(await chainIsIntact()).toBe(true)
  })

  it("disabling an account writes user.disabled; a patient account's event belongs to the patient's log", async () => {
    const pharmacist = await registerUser(t, 'pharmacist')
    expect((await act('disable', pharmacist.id)).statusCode).toBe(200)
    expect(await eventsAbout(pharmacist.id)).toMatchObject([{ action: 'user.disabled', actorKind: 'admin', actorId: admin.id, resourceId: pharmacist.id, patientId: null }])

    const patient = await registerUser(t, 'patient')
    expect((await act('disable', patient.id)).statusCode).toBe(200)
    expect(await eventsAbout(patient.id)).toMatchObject([{ action: 'user.disabled', actorKind: 'admin', actorId: admin.id, resourceId: patient.id, patientId: patient.id }])
    expect(await chainIsIntact()).toBe(true)
  })

  it('a refused change (409) writes no event', async () => {
    const doctor = await registerUser(t, 'doctor')
    expect((await act('verify', doctor.id)).statusCode).toBe(200)
    expect((await act('verify', doctor.id)).statusCode).toBe(409)
    expect((await act('disable', doctor.id)).statusCode).toBe(200)
    expect((await act('disable', doctor.id)).statusCode).toBe(409)
    expect((await eventsAbout(doctor.id)).map((e) => e.action)).toEqual(['user.verified', 'user.disabled'])

    expect((await act('disable', admin.id)).statusCode).toBe(409)
    expect(await eventsAbout(admin.id)).toEqual([])
  })
})
