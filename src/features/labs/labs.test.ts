/** HTTP tests of lab results (SPEC §4.8b): list, filters, keyset pages, trends, access and audit; the data comes in through the FHIR import. */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

type Json = Record<string, unknown>

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t.close())

const get = (u: TestUser, path: string, pid = 'me') => t.app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/${path}`, headers: u.headers })
const importBundle = async (u: TestUser, bundle: unknown) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...u.headers, 'content-type': 'application/json' }, payload: JSON.stringify(bundle) })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

let n = 0
/** A laboratory Observation (FHIR R4) with a fresh id. */
const lab = (code: string, at: string, over: Json = {}): Json => ({
  resourceType: 'Observation',
  id: `lab-${++n}`,
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: 'http://loinc.org', code, display: `Test ${code}` }] },
  effectiveDateTime: at,
  ...over,
})
const qty = (value: number, code: string) => ({ valueQuantity: { value, unit: code, system: 'http://unitsofmeasure.org', code } })
const bundleOf = (...resources: Json[]) => ({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) })

/** Inserts an approved consultation straight into the table (the consultation routes are another slice). */
async function consent(patientId: string, doctorId: string): Promise<string> {
  const row = await t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved', createdAt: new Date() }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

describe('listing lab results (SPEC §4.8b)', () => {
  let p: TestUser
  beforeAll(async () => {
    p = await registerUser(t)
    const range = { referenceRange: [{ low: { value: 3.5, code: 'mmol/L' }, high: { value: 5.1, code: 'mmol/L' }, text: '3.5–5.1 mmol/L' }] }
    const result = await importBundle(
      p,
      bundleOf(
        lab('2823-3', '2024-01-10T08:00:00Z', { ...qty(4.2, 'mmol/L'), ...range }),
        lab('2823-3', '2024-03-10T08:00:00Z', { ...qty(5.9, 'mmol/L'), ...range }),
        lab('2823-3', '2024-02-10T08:00:00Z', { ...qty(3.1, 'mmol/L'), ...range, interpretation: [{ coding: [{ code: 'LL' }] }] }),
        lab('2823-3', '2024-02-20T08:00:00Z', { valueQuantity: { value: 4.4, code: 'mEq/L' } }),
        lab('4548-4', '2024-03-01', qty(7.2, '%')),
        lab('5778-6', '2024-03-02T09:30:00+01:00', { valueCodeableConcept: { text: 'Yellow' } }),
        lab('1988-5', '2024-03-03T00:00:00Z', { valueQuantity: { value: 5, comparator: '<', code: 'mg/L' } }),
      ),
    )
    expect(result.imported.labs).toBe(7)
  })

  it('lists newest first with value or text, unit, reference range, and the interpretation given or derived from the range', async () => {
    const res = await get(p, 'labs')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const items = res.json().items as Json[]
    expect(items.map((i) => i.effectiveAt)).toEqual([
      '2024-03-10T08:00:00.000Z',
      '2024-03-03T00:00:00.000Z',
      '2024-03-02T08:30:00.000Z',
      '2024-03-01T00:00:00.000Z',
      '2024-02-20T08:00:00.000Z',
      '2024-02-10T08:00:00.000Z',
      '2024-01-10T08:00:00.000Z',
    ])
    expect(items[0]).toEqual({
      id: expect.any(String),
      loinc: '2823-3',
      display: 'Test 2823-3',
      value: 5.9,
      unit: 'mmol/L',
      referenceRange: { low: 3.5, high: 5.1, text: '3.5–5.1 mmol/L' },
      interpretation: 'H', // derived: 5.9 > 5.1
      effectiveAt: '2024-03-10T08:00:00.000Z',
      source: 'import',
      recordedBy: { id: p.id, role: 'patient', name: 'Test patient' },
    })
    expect(items[1]).toMatchObject({ loinc: '1988-5', valueText: '< 5 mg/L', unit: 'mg/L' })
    expect(items[1]).not.toHaveProperty('value')
    expect(items[2]).toMatchObject({ loinc: '5778-6', valueText: 'Yellow', unit: null })
    expect(items[3]).toMatchObject({ loinc: '4548-4', value: 7.2, unit: '%' })
    expect(items[3]).not.toHaveProperty('interpretation') // no range, none given
    expect(items[5]).toMatchObject({ value: 3.1, interpretation: 'LL' }) // the source's, not the derived L
    expect(items[6]).toMatchObject({ value: 4.2, interpretation: 'N' })
  })

  it('filters by LOINC code and by an inclusive window (dates cover their UTC day)', async () => {
    const potassium = (await get(p, 'labs?code=2823-3')).json().items as Json[]
    expect(potassium).toHaveLength(4)
    expect(potassium.every((i) => i.loinc === '2823-3')).toBe(true)
    const window = (await get(p, 'labs?from=2024-03-01&to=2024-03-03')).json().items as Json[]
    expect(window.map((i) => i.loinc)).toEqual(['1988-5', '5778-6', '4548-4'])
    const instant = (await get(p, 'labs?from=2024-03-02T08:30:00Z&to=2024-03-02T08:30:00Z')).json().items as Json[]
    expect(instant.map((i) => i.loinc)).toEqual(['5778-6'])
    expect((await get(p, 'labs?code=9999-9')).json().items).toEqual([])
  })

  it('pages with a keyset cursor through every result exactly once', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get(p, `labs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      seen.push(...(res.json().items as Json[]).map((i) => i.id as string))
      cursor = res.json().nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    const all = (await get(p, 'labs')).json().items as Json[]
    expect(seen).toEqual(all.map((i) => i.id))
  })

  it('pages through results that share one time (a panel) without repeating or losing one', async () => {
    const q = await registerUser(t)
    const same = Array.from({ length: 23 }, (_, i) => lab('2951-2', '2024-05-05T09:25:28+00:00', qty(130 + i, 'mmol/L')))
    expect((await importBundle(q, bundleOf(...same))).imported.labs).toBe(23)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await get(q, `labs?limit=4${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      seen.push(...(res.json().items as Json[]).map((i) => i.id as string))
      cursor = res.json().nextCursor
    } while (cursor)
    expect(seen).toHaveLength(23)
    expect(new Set(seen).size).toBe(23)
  })

  it('refuses bad input with 400: tampered cursor, bad code, unknown field, bad limit or dates, from after to', async () => {
    const first = (await get(p, 'labs?limit=2')).json().nextCursor as string
    const decoded = JSON.parse(Buffer.from(first, 'base64url').toString()) as [string, string]
    const tampered = [
      Buffer.from(JSON.stringify([decoded[0], 'not-a-uuid'])).toString('base64url'),
      Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', decoded[1]])).toString('base64url'),
      Buffer.from(JSON.stringify([decoded[0]])).toString('base64url'),
      `${first}=`,
      'x'.repeat(600),
    ]
    for (const cursor of tampered) {
      const res = await get(p, `labs?cursor=${encodeURIComponent(cursor)}`)
      expect(res.statusCode, cursor).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    for (const query of ['code=4548', 'code=HbA1c', 'code=4548-4&code=2823-3', 'colour=red', 'limit=0', 'limit=101', 'limit=ten', 'from=2024-02-30', 'from=2024-03-02&to=2024-03-01']) {
      expect((await get(p, `labs?${query}`)).statusCode, query).toBe(400)
    }
    for (const query of ['', 'code=45484-', 'code=2823-3&bucket=day', 'code=2823-3&from=yesterday']) {
      expect((await get(p, `labs/trends?${query}`)).statusCode, query).toBe(400)
    }
  })

  it('trends: numeric points of one code in the latest unit, oldest first, with the latest range', async () => {
    const res = await get(p, 'labs/trends?code=2823-3')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({
      code: '2823-3',
      display: 'Test 2823-3',
      unit: 'mmol/L',
      points: [
        { effectiveAt: '2024-01-10T08:00:00.000Z', value: 4.2, interpretation: 'N' },
        { effectiveAt: '2024-02-10T08:00:00.000Z', value: 3.1, interpretation: 'LL' },
        { effectiveAt: '2024-03-10T08:00:00.000Z', value: 5.9, interpretation: 'H' },
      ],
      referenceRange: { low: 3.5, high: 5.1, text: '3.5–5.1 mmol/L' },
    })
    const windowed = (await get(p, 'labs/trends?code=2823-3&from=2024-02-01&to=2024-02-29')).json()
    expect(windowed.unit).toBe('mEq/L') // the latest numeric result in the window decides the unit
    expect(windowed.points).toEqual([{ effectiveAt: '2024-02-20T08:00:00.000Z', value: 4.4, interpretation: null }])
  })

  it('trends of a code with only textual results, or none, is 200 with no points', async () => {
    for (const code of ['5778-6', '1988-5', '9999-9']) {
      const res = await get(p, `labs/trends?code=${code}`)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ code, display: null, unit: null, points: [], referenceRange: null })
    }
  })
})

describe('who may read lab results (SPEC §3)', () => {
  it('another patient and a doctor without an approved consultation get 404; pharmacists, admins and pending doctors 403', async () => {
    const patient = await registerUser(t)
    await importBundle(patient, bundleOf(lab('4548-4', '2024-03-01', qty(6.1, '%'))))
    const other = await registerUser(t)
    const admin = await createAdmin(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const pending = await registerUser(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    await consent(patient.id, pending.id)
    await t.deps.db.insertInto('consultations').values({ patientId: patient.id, doctorId: doctor.id, status: 'ended', createdAt: new Date() }).execute()
    for (const [who, status] of [[other, 404], [doctor, 404], [pharmacist, 403], [admin, 403], [pending, 403]] as const) {
      expect((await get(who, 'labs', patient.id)).statusCode, `${who.role} list`).toBe(status)
      expect((await get(who, 'labs/trends?code=4548-4', patient.id)).statusCode, `${who.role} trends`).toBe(status)
    }
    // `me` is the caller: another patient sees their own (empty) list, never the patient's.
    expect((await get(other, 'labs')).json().items).toEqual([])
    // 404 before 400: a bad cursor does not tell a stranger that the patient exists.
    expect((await get(other, 'labs?cursor=bad', patient.id)).statusCode).toBe(404)
  })

  it("a doctor with an approved consultation reads; each read is audited as labs.viewed, the patient's own is not; refusals are labs.denied", async () => {
    const patient = await registerUser(t)
    await importBundle(patient, bundleOf(lab('4548-4', '2024-03-01', qty(6.1, '%'))))
    const doctor = await registerVerified(t, 'doctor')
    const consultation = await consent(patient.id, doctor.id)
    expect((await get(patient, 'labs')).statusCode).toBe(200)
    const list = await get(doctor, 'labs', patient.id)
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json().items).toMatchObject([{ loinc: '4548-4', value: 6.1 }])
    expect((await get(doctor, 'labs/trends?code=4548-4', patient.id)).json().points).toHaveLength(1)

    const events = () =>
      t.deps.db.selectFrom('auditEvents').select(['action', 'actorId', 'resourceType', 'resourceId']).where('patientId', '=', patient.id).where('action', 'like', 'labs.%').orderBy('id').execute()
    expect(await events()).toEqual([
      { action: 'labs.viewed', actorId: doctor.id, resourceType: 'labs', resourceId: patient.id },
      { action: 'labs.viewed', actorId: doctor.id, resourceType: 'labs', resourceId: patient.id },
    ])

    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', consultation).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await get(doctor, 'labs', patient.id)).statusCode).toBe(404)
    expect((await events()).map((e) => e.action)).toEqual(['labs.viewed', 'labs.viewed', 'labs.denied'])
  })
})

describe('a Synthea import keeps its lab results (SPEC §4.4, §4.8b)', () => {
  it("Domenica Brown's HbA1c results are listed and trended after the import", async () => {
    const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const json = readFileSync(fixturePath('synthea/Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json'), 'utf8')
    const bundle = JSON.parse(json) as { entry: { resource: { resourceType: string; code?: { coding?: { code?: string }[] } } }[] }
    const a1cCount = bundle.entry.filter((e) => e.resource.resourceType === 'Observation' && e.resource.code?.coding?.some((c) => c.code === '4548-4')).length
    const result = await importBundle(p, bundle)
    expect(result.imported.labs).toBeGreaterThan(100)
    const trend = (await get(p, 'labs/trends?code=4548-4')).json()
    expect(trend).toMatchObject({ code: '4548-4', unit: '%' })
    expect(trend.points).toHaveLength(a1cCount)
    const times = (trend.points as { effectiveAt: string }[]).map((x) => x.effectiveAt)
    expect(times).toEqual([...times].sort())
    expect((await get(p, 'labs?code=4548-4&limit=100')).json().items).toHaveLength(a1cCount)
  })
})
