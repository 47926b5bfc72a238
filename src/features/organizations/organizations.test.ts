import { randomUUID } from 'node:crypto'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import type { TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => ({ t, admin } = await startWithAdmin()))
afterAll(async () => t?.close())

interface OrgDto { id: string; name: string; type: string; address: string | null; phone: string | null; createdAt: string; updatedAt: string }

const call = (u: TestUser | null, method: InjectOptions['method'], url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u ? u.headers : {}, ...(payload ? { payload } : {}) })

const k = () => randomUUID().slice(0, 8)

async function org(body: object): Promise<OrgDto> {
  const res = await call(admin, 'POST', '/admin/organizations', body)
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

const orgEvents = (id: string) => t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind', 'actorId']).where('resourceId', '=', id).orderBy('id').execute()

describe('organizations (SPEC §10)', () => {
  it('an admin creates and changes organizations, audited; a name is unique whatever its case (409)', async () => {
    const name = `St. Mary ${k()}`
    const o = await org({ name: `  ${name}  `, type: 'hospital', address: '1 Main St', phone: '+33 1 23 45 67 89' })
    expect(o).toEqual({ id: expect.any(String), name, type: 'hospital', address: '1 Main St', phone: '+33 1 23 45 67 89', createdAt: expect.any(String), updatedAt: expect.any(String) })
    const dup = await call(admin, 'POST', '/admin/organizations', { name: name.toUpperCase(), type: 'clinic' })
    expect(dup.statusCode).toBe(409)
    expect(dup.json().type).toBe('https://carelocker.dev/problems/organization-name-taken')

    const patched = await call(admin, 'PATCH', `/admin/organizations/${o.id}`, { name: `${name} Hospital`, phone: null })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ name: `${name} Hospital`, type: 'hospital', address: '1 Main St', phone: null })
    const other = await org({ name: `Other ${k()}`, type: 'laboratory' })
    expect((await call(admin, 'PATCH', `/admin/organizations/${other.id}`, { name: `${name} hospital` })).statusCode).toBe(409)
    expect((await call(admin, 'PATCH', `/admin/organizations/${randomUUID()}`, { name: 'x' })).statusCode).toBe(404)
    expect(await orgEvents(o.id)).toEqual([
      { action: 'organization.created', actorKind: 'admin', actorId: admin.id },
      { action: 'organization.updated', actorKind: 'admin', actorId: admin.id },
    ])
  })

  it('bad input is 400 and changes nothing; only admins write (403), anonymous 401', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const o = await org({ name: `Lab ${k()}`, type: 'laboratory' })
    for (const body of [{ name: '', type: 'clinic' }, { name: 'x', type: 'spa' }, { name: 'x' }, { name: 'x', type: 'clinic', extra: 1 }, { name: 'a\nb', type: 'clinic' }, { name: 42, type: 'clinic' }]) {
      expect((await call(admin, 'POST', '/admin/organizations', body)).statusCode, JSON.stringify(body)).toBe(400)
    }
    for (const body of [{}, { type: 'spa' }, { name: null }, { bogus: true }]) {
      expect((await call(admin, 'PATCH', `/admin/organizations/${o.id}`, body)).statusCode, JSON.stringify(body)).toBe(400)
    }
    expect((await call(admin, 'PATCH', '/admin/organizations/nope', { name: 'x' })).statusCode).toBe(400)
    for (const u of [patient, doctor]) {
      expect((await call(u, 'POST', '/admin/organizations', { name: `X ${k()}`, type: 'clinic' })).statusCode).toBe(403)
      expect((await call(u, 'PATCH', `/admin/organizations/${o.id}`, { name: 'Taken over' })).statusCode).toBe(403)
    }
    expect((await call(null, 'GET', '/organizations')).statusCode).toBe(401)
    const after = await call(patient, 'GET', `/organizations?q=${encodeURIComponent(o.name)}`)
    expect(after.json().items).toEqual([o])
  })

  it('any signed-in user searches by name (literal, case-insensitive) and type, in name order with keyset pages', async () => {
    const tag = k()
    const made = [
      await org({ name: `b ${tag} Clinic`, type: 'clinic' }),
      await org({ name: `A ${tag} 100%`, type: 'pharmacy' }),
      await org({ name: `C ${tag} Hospital`, type: 'hospital' }),
    ]
    const patient = await registerUser(t)
    const all = await call(patient, 'GET', `/organizations?q=${tag.toUpperCase()}`)
    expect(all.statusCode, all.body).toBe(200)
    expect(all.json().items.map((o: OrgDto) => o.id)).toEqual([made[1]!.id, made[0]!.id, made[2]!.id])
    expect((await call(patient, 'GET', `/organizations?q=${tag}&type=hospital`)).json().items.map((o: OrgDto) => o.id)).toEqual([made[2]!.id])
    expect((await call(patient, 'GET', `/organizations?q=${encodeURIComponent(`${tag} 100%`)}`)).json().items.map((o: OrgDto) => o.id)).toEqual([made[1]!.id])
    expect((await call(patient, 'GET', `/organizations?q=${encodeURIComponent(`${tag} _00`)}`)).json().items).toEqual([])
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(patient, 'GET', `/organizations?q=${tag}&limit=1${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...res.json().items.map((o: OrgDto) => o.id))
      cursor = res.json().nextCursor
    } while (cursor)
    expect(seen).toEqual([made[1]!.id, made[0]!.id, made[2]!.id])
    for (const q of ['type=spa', 'cursor=nope', 'limit=0', 'bogus=1']) expect((await call(patient, 'GET', `/organizations?${q}`)).statusCode, q).toBe(400)
  })

  it('a doctor or pharmacist joins one at registration (unknown id 400) or by an admin (audited); the User and directory show {id, name}, renames included', async () => {
    const o = await org({ name: `Clinic ${k()}`, type: 'clinic' })
    const register = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `r-${randomUUID()}@example.test`, password: PASSWORD, name: 'Dr. Reg', ...payload } })
    const doc = await register({ role: 'doctor', specialty: 'GP', licenseNumber: 'MD-1', organizationId: o.id })
    expect(doc.statusCode, doc.body).toBe(201)
    expect(doc.json().user.doctor).toEqual({ specialty: 'GP', licenseNumber: 'MD-1', organization: { id: o.id, name: o.name } })
    const ph = await register({ role: 'pharmacist', pharmacyName: 'Corner', licenseNumber: 'PH-1', organizationId: o.id })
    expect(ph.statusCode, ph.body).toBe(201)
    expect(ph.json().user.pharmacist.organization).toEqual({ id: o.id, name: o.name })
    for (const payload of [
      { role: 'doctor', specialty: 'GP', licenseNumber: 'MD-1', organizationId: randomUUID() },
      { role: 'doctor', specialty: 'GP', licenseNumber: 'MD-1', organizationId: 'nope' },
      { role: 'patient', organizationId: o.id },
      { role: 'doctor', specialty: 'GP', licenseNumber: 'MD-1', organization: 'Free text' },
    ]) {
      const res = await register(payload)
      expect(res.statusCode, res.body).toBe(400)
    }

    const doctor = await registerVerified(t, 'doctor', admin)
    const put = (u: TestUser, id: string, body: object) => call(u, 'PUT', `/admin/users/${id}/organization`, body)
    const set = await put(admin, doctor.id, { organizationId: o.id })
    expect(set.statusCode, set.body).toBe(200)
    expect(set.json().doctor.organization).toEqual({ id: o.id, name: o.name })
    const renamed = `${o.name} Renamed`
    expect((await call(admin, 'PATCH', `/admin/organizations/${o.id}`, { name: renamed })).statusCode).toBe(200)
    expect((await call(doctor, 'GET', '/auth/me')).json().user.doctor.organization).toEqual({ id: o.id, name: renamed })
    const patient = await registerUser(t)
    expect((await call(patient, 'GET', `/doctors?organizationId=${o.id}`)).json().items).toEqual([{ id: doctor.id, name: 'Test doctor', specialty: 'Cardiology', organization: { id: o.id, name: renamed } }])

    expect((await put(admin, patient.id, { organizationId: o.id })).statusCode).toBe(409)
    expect((await put(admin, admin.id, { organizationId: o.id })).statusCode).toBe(409)
    expect((await put(admin, randomUUID(), { organizationId: o.id })).statusCode).toBe(404)
    expect((await put(admin, doctor.id, { organizationId: randomUUID() })).statusCode).toBe(400)
    expect((await put(admin, doctor.id, {})).statusCode).toBe(400)
    expect((await put(doctor, doctor.id, { organizationId: null })).statusCode).toBe(403)
    const cleared = await put(admin, doctor.id, { organizationId: null })
    expect(cleared.statusCode).toBe(200)
    expect(cleared.json().doctor.organization).toBeUndefined()
    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorKind']).where('resourceType', '=', 'user').where('resourceId', '=', doctor.id).where('action', '=', 'user.organization_changed').execute()
    expect(events).toEqual([
      { action: 'user.organization_changed', actorKind: 'admin' },
      { action: 'user.organization_changed', actorKind: 'admin' },
    ])
  })
})
