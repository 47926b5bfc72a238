import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let admin: TestUser
let patient: TestUser

beforeAll(async () => {
  t = await startTestApp()
  admin = await createAdmin(t)
  patient = await registerUser(t)
})
afterAll(async () => t?.close())

interface Page {
  items: { id: string; name: string; specialty: string; organization?: { id: string; name: string } }[]
  nextCursor: string | null
}

const search = (query: string, u: TestUser | null = patient) =>
  t.app.inject({ method: 'GET', url: `/api/v1/doctors${query ? `?${query}` : ''}`, headers: u ? u.headers : {} })

async function page(query: string, u: TestUser = patient): Promise<Page> {
  const res = await search(query, u)
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

/** A doctor with these details, verified by the admin unless `verify` is false. */
async function doctor(fields: { name: string; specialty: string; organizationId?: string }, verify = true): Promise<TestUser> {
  const u = await registerUser(t, 'doctor', { ...fields, licenseNumber: `LIC-${randomUUID().slice(0, 8)}` })
  if (verify) expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${u.id}/verify`, headers: admin.headers })).statusCode).toBe(200)
  return u
}

/** A token unique to one test, so tests sharing the database do not see each other's doctors. */
const tag = () => randomUUID().slice(0, 8)

describe('GET /doctors (SPEC §4.8)', () => {
  it('lists verified, active doctors only, with professional details only — never email or licence number', async () => {
    const spec = `Nephrology ${tag()}`
    const clinic = await t.app.inject({ method: 'POST', url: '/api/v1/admin/organizations', headers: admin.headers, payload: { name: `City Clinic ${spec}`, type: 'clinic' } })
    expect(clinic.statusCode, clinic.body).toBe(201)
    const org = { id: clinic.json().id as string, name: `City Clinic ${spec}` }
    const active = await doctor({ name: 'Dr. Ada Active', specialty: spec, organizationId: org.id })
    const bare = await doctor({ name: 'Dr. Bo Bare', specialty: spec })
    await doctor({ name: 'Dr. Pen Pending', specialty: spec }, false)
    const disabled = await doctor({ name: 'Dr. Dee Disabled', specialty: spec })
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${disabled.id}/disable`, headers: admin.headers })).statusCode).toBe(200)

    const res = await page(`specialty=${encodeURIComponent(spec)}`)
    expect(res).toEqual({
      items: [
        { id: active.id, name: 'Dr. Ada Active', specialty: spec, organization: org },
        { id: bare.id, name: 'Dr. Bo Bare', specialty: spec },
      ],
      nextCursor: null,
    })
    expect((await page(`organizationId=${org.id}`)).items.map((d) => d.id)).toEqual([active.id])
    const raw = (await search(`specialty=${encodeURIComponent(spec)}`)).body
    expect(raw).not.toContain('@example.test')
    expect(raw).not.toContain('LIC-')
    expect(raw).not.toMatch(/email|licen[cs]e/i)
  })

  it('q matches name or specialty case-insensitively, literally (no LIKE wildcards); specialty is a case-insensitive literal substring of the specialty', async () => {
    const k = tag()
    const a = await doctor({ name: `Dr. Zed ${k} Quill`, specialty: `Dermatology ${k}` })
    const b = await doctor({ name: `Dr. Yan ${k}`, specialty: `Pediatric Dermatology ${k}` })
    const c = await doctor({ name: `Dr. 100% ${k}_x`, specialty: `Oncology ${k}` })

    expect((await page(`q=${k.toUpperCase()}`)).items.map((d) => d.id).sort()).toEqual([a.id, b.id, c.id].sort())
    expect((await page(`q=${encodeURIComponent(`dermatology ${k}`)}`)).items.map((d) => d.id).sort()).toEqual([a.id, b.id].sort())
    expect((await page(`q=${encodeURIComponent(`ZED ${k} q`)}`)).items.map((d) => d.id)).toEqual([a.id])
    // `%` and `_` are literal characters, not wildcards.
    expect((await page(`q=${encodeURIComponent(`100% ${k}_`)}`)).items.map((d) => d.id)).toEqual([c.id])
    expect((await page(`q=${encodeURIComponent(`% ${k}`)}`)).items.map((d) => d.id)).toEqual([c.id])
    expect((await page(`q=${encodeURIComponent(`${k}%`)}`)).items).toEqual([])
    expect((await page(`q=${encodeURIComponent(`Zed_${k}`)}`)).items).toEqual([])
    // Specialty: any case, any part of it ("cardio" finds "Cardiology"), `%` and `_` literal.
    expect((await page(`specialty=${encodeURIComponent(`DERMATOLOGY ${k}`)}`)).items.map((d) => d.id).sort()).toEqual([a.id, b.id].sort())
    expect((await page(`specialty=${encodeURIComponent(`pediatric derm`)}&q=${k}`)).items.map((d) => d.id)).toEqual([b.id])
    expect((await page(`specialty=dermato&q=${k}`)).items.map((d) => d.id).sort()).toEqual([a.id, b.id].sort())
    expect((await page(`specialty=${encodeURIComponent('%')}&q=${k}`)).items).toEqual([])
    expect((await page(`specialty=${encodeURIComponent('Onc_logy')}&q=${k}`)).items).toEqual([])
    expect((await page(`specialty=cardiology&q=${k}`)).items).toEqual([])
    // Both filters together.
    expect((await page(`specialty=${encodeURIComponent(`oncology ${k}`)}&q=100`)).items.map((d) => d.id)).toEqual([c.id])
  })

  it('specialty=cardio finds a Cardiology doctor', async () => {
    const k = tag()
    const d = await doctor({ name: `Dr. Heart ${k}`, specialty: 'Cardiology' })
    expect((await page(`specialty=cardio&q=${k}`)).items.map((x) => x.id)).toEqual([d.id])
  })

  it('pages by name with an opaque keyset cursor: every doctor once, in order', async () => {
    const spec = `Neurology ${tag()}`
    const names = ['Dr. Emil', 'dr. bea', 'Dr. Carl', 'Dr. Anna', 'Dr. dora']
    for (const name of names) await doctor({ name, specialty: spec })
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const p: Page = await page(`specialty=${encodeURIComponent(spec)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(p.items.length).toBeLessThanOrEqual(2)
      seen.push(...p.items.map((d) => d.name))
      cursor = p.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(['Dr. Anna', 'dr. bea', 'Dr. Carl', 'Dr. dora', 'Dr. Emil'])
  })

  it('any verified account may search; anonymous callers get 401 and unverified ones 403 account-not-verified', async () => {
    const spec = `Geriatrics ${tag()}`
    await doctor({ name: 'Dr. Gerry', specialty: spec })
    const q = `specialty=${encodeURIComponent(spec)}`
    const verifiedDoctor = await doctor({ name: 'Dr. Searcher', specialty: 'General practice' })
    const pharmacist = await registerUser(t, 'pharmacist')
    for (const u of [patient, verifiedDoctor, admin]) expect((await page(q, u)).items).toHaveLength(1)
    expect((await search(q, null)).statusCode).toBe(401)
    for (const u of [pharmacist, await doctor({ name: 'Dr. Unverified', specialty: spec }, false)]) {
      const res = await search(q, u)
      expect(res.statusCode).toBe(403)
      expect(res.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
    }
  })

  it('bad input is 400 with the field', async () => {
    for (const [query, path] of [
      ['name=x', '/name'],
      ['limit=0', '/limit'],
      ['limit=101', '/limit'],
      ['limit=abc', '/limit'],
      [`q=${'x'.repeat(201)}`, '/q'],
      ['q=', '/q'],
      ['cursor=%%%', '/cursor'],
      ['cursor=WzEsMl0', '/cursor'],
    ] as const) {
      const res = await search(query)
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
  })
})
