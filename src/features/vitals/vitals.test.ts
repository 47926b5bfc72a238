import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { VITAL_TYPES, type VitalType } from './vital-types.js'

const DOMENICA = fixturePath('synthea/Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json')
const DAY = 86_400_000

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t.close())

const post = (u: TestUser, payload: Record<string, unknown>, pid = 'me') =>
  t.app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/vitals`, headers: u.headers, payload })
const get = (u: TestUser, path: string, pid = 'me') => t.app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/${path}`, headers: u.headers })
const errorPaths = (res: { json: () => { errors?: { path: string }[] } }) => (res.json().errors ?? []).map((e) => e.path)
const isoAgo = (ms: number) => new Date(Date.now() - ms).toISOString()

/** Inserts an approved consultation straight into the table (the consultation routes are another slice). */
async function consent(patientId: string, doctorId: string): Promise<string> {
  const row = await t.deps.db
    .insertInto('consultations')
    .values({ patientId, doctorId, status: 'approved', createdAt: new Date() })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

describe('recording vitals (SPEC §4.8)', () => {
  it('a patient records a blood pressure: 201 with LOINC, canonical unit, flag, recordedBy and measuredAt defaulting to now', async () => {
    const p = await registerUser(t)
    const before = Date.now()
    const res = await post(p, { type: 'blood_pressure', systolic: 128, diastolic: 82, note: 'after a walk' })
    expect(res.statusCode, res.body).toBe(201)
    const v = res.json()
    expect(v).toMatchObject({
      patientId: p.id,
      type: 'blood_pressure',
      loinc: '85354-9',
      systolic: 128,
      diastolic: 82,
      unit: 'mmHg',
      source: 'manual',
      flag: 'high', // stage 1 by the diastolic (ACC/AHA 2017)
      note: 'after a walk',
      recordedBy: { id: p.id, role: 'patient', name: 'Test patient' },
    })
    expect(v).not.toHaveProperty('value')
    expect(v).not.toHaveProperty('context')
    expect(Date.parse(v.measuredAt)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(v.measuredAt)).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it('converts to the canonical unit: mmol/L → mg/dL, lb → kg, °F → °C, in → cm', async () => {
    const p = await registerUser(t)
    const cases: [Record<string, unknown>, { value: number; unit: string; flag?: string }][] = [
      [{ type: 'blood_glucose', value: 5.5, unit: 'mmol/L', context: 'fasting' }, { value: 99.09, unit: 'mg/dL', flag: 'normal' }],
      [{ type: 'blood_glucose', value: 7, unit: 'mmol/L', context: 'fasting' }, { value: 126.11, unit: 'mg/dL', flag: 'high' }],
      [{ type: 'body_weight', value: 150, unit: 'lb' }, { value: 68.04, unit: 'kg' }],
      [{ type: 'body_temperature', value: 98.6, unit: '[degF]' }, { value: 37, unit: 'Cel', flag: 'normal' }],
      [{ type: 'body_temperature', value: 101.3, unit: '°F' }, { value: 38.5, unit: 'Cel', flag: 'high' }],
      [{ type: 'body_height', value: 70, unit: 'in' }, { value: 177.8, unit: 'cm' }],
      [{ type: 'heart_rate', value: 72 }, { value: 72, unit: '/min', flag: 'normal' }],
    ]
    for (const [body, expected] of cases) {
      const res = await post(p, body)
      expect(res.statusCode, res.body).toBe(201)
      expect(res.json(), JSON.stringify(body)).toMatchObject(expected)
    }
  })

  it('an implausible reading is 400 naming the range and unit in words, and nothing is stored (SPEC §4.8)', async () => {
    const p = await registerUser(t)
    const bp = await post(p, { type: 'blood_pressure', systolic: 400, diastolic: 95 })
    expect(bp.statusCode, bp.body).toBe(400)
    expect(bp.json().errors).toEqual([{ path: '/systolic', message: 'Systolic pressure 400 mmHg is outside the plausible range of 40–300 mmHg.' }])
    const temp = await post(p, { type: 'body_temperature', value: 47 })
    expect(temp.json().errors).toEqual([{ path: '/value', message: 'Body temperature 47 °C is outside the plausible range of 25–45 °C.' }])
    expect(temp.body).not.toContain('Cel')
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/vitals', headers: p.headers })
    expect(list.json().items).toEqual([])
  })

  it('a unit that does not fit the type, an implausible value or a wrong field is 400 naming the field', async () => {
    const p = await registerUser(t)
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'heart_rate', value: 70, unit: 'mmHg' }, '/unit'],
      [{ type: 'blood_glucose', value: 5, unit: 'kg' }, '/unit'],
      [{ type: 'oxygen_saturation', value: 101 }, '/value'],
      [{ type: 'oxygen_saturation', value: 49 }, '/value'],
      [{ type: 'blood_glucose', value: 60, unit: 'mmol/L' }, '/value'], // 1081 mg/dL
      [{ type: 'body_weight', value: 1200, unit: 'lb' }, '/value'], // 544 kg
      [{ type: 'body_temperature', value: 120, unit: '[degF]' }, '/value'], // 48.9 °C
      [{ type: 'heart_rate', value: 301 }, '/value'],
      [{ type: 'heart_rate' }, '/value'],
      [{ type: 'blood_pressure', systolic: 301, diastolic: 80 }, '/systolic'],
      [{ type: 'blood_pressure', systolic: 120, diastolic: 19 }, '/diastolic'],
      [{ type: 'blood_pressure', systolic: 80, diastolic: 90 }, '/diastolic'],
      [{ type: 'blood_pressure', value: 120 }, '/value'],
      [{ type: 'heart_rate', value: 70, context: 'fasting' }, '/context'],
      [{ type: 'blood_glucose', value: 90, context: 'after dinner' }, '/context'],
      [{ type: 'pulse', value: 70 }, '/type'],
      [{ type: 'heart_rate', value: 70, bogus: 1 }, '/bogus'],
      [{ type: 'heart_rate', value: '70' }, '/value'],
    ]
    for (const [body, path] of cases) {
      const res = await post(p, body)
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(errorPaths(res), JSON.stringify(body)).toContain(path)
    }
    const list = await get(p, 'vitals')
    expect(list.json().items).toEqual([])
  })

  it('a time more than 5 minutes in the future is 400 on /measuredAt; 4 minutes ahead and past times are accepted', async () => {
    const p = await registerUser(t)
    const future = await post(p, { type: 'heart_rate', value: 70, measuredAt: new Date(Date.now() + 6 * 60_000).toISOString() })
    expect(future.statusCode).toBe(400)
    expect(errorPaths(future)).toEqual(['/measuredAt'])
    const both = await post(p, { type: 'heart_rate', value: 999, measuredAt: new Date(Date.now() + DAY).toISOString() })
    expect(errorPaths(both).sort()).toEqual(['/measuredAt', '/value'])
    const soon = new Date(Date.now() + 4 * 60_000)
    const ok = await post(p, { type: 'heart_rate', value: 70, measuredAt: soon.toISOString() })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json().measuredAt).toBe(soon.toISOString())
    const offset = await post(p, { type: 'heart_rate', value: 71, measuredAt: '2025-03-01T10:00:00+02:00' })
    expect(offset.json().measuredAt).toBe('2025-03-01T08:00:00.000Z')
  })
})

describe('listing vitals', () => {
  it('lists newest first, filters by type and by inclusive from/to (dates or instants), pages with a keyset cursor', async () => {
    const p = await registerUser(t)
    const at = (d: string) => `${d}T12:00:00.000Z`
    const days = ['2025-01-01', '2025-01-02', '2025-01-03', '2025-01-04', '2025-01-05']
    for (const d of days) {
      expect((await post(p, { type: 'heart_rate', value: 60, measuredAt: at(d) })).statusCode).toBe(201)
      expect((await post(p, { type: 'body_weight', value: 70, measuredAt: at(d) })).statusCode).toBe(201)
    }
    const all = (await get(p, 'vitals?limit=100')).json()
    expect(all.items).toHaveLength(10)
    expect(all.nextCursor).toBeNull()
    const times = all.items.map((v: { measuredAt: string }) => v.measuredAt)
    expect(times).toEqual([...times].sort().reverse())

    const hr = (await get(p, 'vitals?type=heart_rate')).json().items
    expect(hr.map((v: { type: string }) => v.type)).toEqual(Array(5).fill('heart_rate'))

    const window = (await get(p, 'vitals?type=heart_rate&from=2025-01-02&to=2025-01-04')).json().items
    expect(window.map((v: { measuredAt: string }) => v.measuredAt)).toEqual([at('2025-01-04'), at('2025-01-03'), at('2025-01-02')])
    const instants = (await get(p, `vitals?type=heart_rate&from=${encodeURIComponent(at('2025-01-02'))}&to=${encodeURIComponent(at('2025-01-03'))}`)).json().items
    expect(instants).toHaveLength(2)

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get(p, `vitals?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.statusCode, res.body).toBe(200)
      const page: { items: { id: string }[]; nextCursor: string | null } = res.json()
      seen.push(...page.items.map((v) => v.id))
      cursor = page.nextCursor
      pages += 1
    } while (cursor)
    expect(pages).toBe(4)
    expect(seen).toEqual(all.items.map((v: { id: string }) => v.id))

    expect((await get(p, 'vitals?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400)
    expect((await get(p, 'vitals?from=2025-01-05&to=2025-01-01')).statusCode).toBe(400)
    expect((await get(p, 'vitals?type=pulse')).statusCode).toBe(400)
    expect((await get(p, 'vitals?limit=101')).statusCode).toBe(400)
  })
})

describe('who may record and read vitals (SPEC §3)', () => {
  it('another patient and a doctor without an approved consultation get 404; pharmacists, admins and pending doctors 403', async () => {
    const patient = await registerUser(t)
    const other = await registerUser(t)
    const admin = await createAdmin(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const pending = await registerUser(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    await consent(patient.id, pending.id)
    const body = { type: 'heart_rate', value: 70 }
    for (const [who, status] of [[other, 404], [doctor, 404], [pharmacist, 403], [admin, 403], [pending, 403]] as const) {
      expect((await post(who, body, patient.id)).statusCode, `${who.role} POST`).toBe(status)
      expect((await get(who, 'vitals', patient.id)).statusCode, `${who.role} GET`).toBe(status)
      expect((await get(who, 'vitals/trends?type=heart_rate', patient.id)).statusCode, `${who.role} trends`).toBe(status)
    }
    // A rejected or ended consultation grants nothing either.
    await t.deps.db.insertInto('consultations').values({ patientId: patient.id, doctorId: doctor.id, status: 'ended', createdAt: new Date() }).execute()
    expect((await get(doctor, 'vitals', patient.id)).statusCode).toBe(404)
    expect((await get(patient, 'vitals')).json().items).toEqual([])
    expect((await post(patient, body)).statusCode).toBe(201)
  })

  it('a doctor with an approved consultation records (recordedBy the doctor) and reads; both are audited, the patient reading is not; ending it removes access', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const consultation = await consent(patient.id, doctor.id)
    const res = await post(doctor, { type: 'oxygen_saturation', value: 91 }, patient.id)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ recordedBy: { id: doctor.id, role: 'doctor', name: 'Test doctor' }, flag: 'low', unit: '%', loinc: '59408-5' })
    expect((await get(doctor, 'vitals', patient.id)).json().items).toHaveLength(1)
    expect((await get(doctor, 'vitals/trends?type=oxygen_saturation&bucket=day', patient.id)).json().items).toHaveLength(1)
    expect((await get(patient, 'vitals')).json().items[0].recordedBy.role).toBe('doctor')

    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorId', 'resourceType', 'resourceId']).where('patientId', '=', patient.id).orderBy('id').execute()
    expect(events).toEqual([
      { action: 'vitals.recorded', actorId: doctor.id, resourceType: 'vital', resourceId: res.json().id },
      { action: 'vitals.viewed', actorId: doctor.id, resourceType: 'vitals', resourceId: patient.id },
      { action: 'vitals.viewed', actorId: doctor.id, resourceType: 'vitals', resourceId: patient.id },
    ])

    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', consultation).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await get(doctor, 'vitals', patient.id)).statusCode).toBe(404)
    expect((await post(doctor, { type: 'heart_rate', value: 70 }, patient.id)).statusCode).toBe(404)
    const denied = await t.deps.db.selectFrom('auditEvents').select('action').where('patientId', '=', patient.id).where('action', '=', 'vitals.denied').execute()
    expect(denied).toHaveLength(2)
  })
})

describe('vital trends (SPEC §4.8)', () => {
  let synthea: TestUser
  beforeAll(async () => {
    // Her own locker: the name shares a word with the bundle's Patient (SPEC §4.4 identity check).
    synthea = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/patients/me/import',
      headers: { ...synthea.headers, 'content-type': 'application/json' },
      payload: readFileSync(DOMENICA, 'utf8'),
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported.vitals).toBeGreaterThan(50)
  })

  const round2 = (v: number) => Math.round(v * 100) / 100
  /** Month buckets computed in JavaScript from rows read straight from the table. */
  async function handBuckets(patientId: string, type: VitalType) {
    const rows = await t.deps.db.selectFrom('vitals').select(['value', 'systolic', 'diastolic', 'measuredAt']).where('patientId', '=', patientId).where('type', '=', type).execute()
    const buckets = new Map<string, { v: number[]; s: number[]; d: number[] }>()
    for (const r of rows) {
      const key = new Date(Date.UTC(r.measuredAt.getUTCFullYear(), r.measuredAt.getUTCMonth(), 1)).toISOString()
      const b = buckets.get(key) ?? { v: [], s: [], d: [] }
      if (r.value !== null) b.v.push(r.value)
      if (r.systolic !== null) b.s.push(r.systolic)
      if (r.diastolic !== null) b.d.push(r.diastolic)
      buckets.set(key, b)
    }
    const stats = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), mean: xs.reduce((a, x) => a + x, 0) / xs.length })
    return [...buckets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([bucketStart, b]) =>
        type === 'blood_pressure'
          ? { bucketStart, count: b.s.length, systolic: stats(b.s), diastolic: stats(b.d) }
          : { bucketStart, count: b.v.length, ...stats(b.v) },
      )
  }
  const expectStats = (api: { min: number; max: number; mean: number }, hand: { min: number; max: number; mean: number }) => {
    expect(api.min).toBe(hand.min)
    expect(api.max).toBe(hand.max)
    expect(Math.abs(api.mean - round2(hand.mean))).toBeLessThan(0.011)
  }

  it('trends over an imported Synthea patient match a hand computation on the same rows (bucket=month, whole range)', async () => {
    const imported = (await get(synthea, 'vitals?limit=100')).json().items
    expect(imported.every((v: { source: string }) => v.source === 'import')).toBe(true)
    let typesSeen = 0
    for (const type of VITAL_TYPES) {
      const hand = await handBuckets(synthea.id, type)
      const res = await get(synthea, `vitals/trends?type=${type}&bucket=month&from=1900-01-01`)
      expect(res.statusCode, res.body).toBe(200)
      const body = res.json()
      expect(body).toMatchObject({ type, bucket: 'month', from: '1900-01-01T00:00:00.000Z' })
      expect(body.items.map((i: { bucketStart: string; count: number }) => [i.bucketStart, i.count])).toEqual(hand.map((h) => [h.bucketStart, h.count]))
      for (const [i, h] of hand.entries()) {
        const item = body.items[i]
        if (h.systolic && h.diastolic) {
          expectStats(item.systolic, h.systolic)
          expectStats(item.diastolic, h.diastolic)
        } else if ('min' in h) {
          expectStats(item, h)
        }
      }
      if (hand.length > 0) typesSeen += 1
    }
    expect(typesSeen).toBeGreaterThanOrEqual(6) // BP, heart rate, glucose, weight, height, respiratory rate at least
    const bp = (await get(synthea, 'vitals/trends?type=blood_pressure&bucket=month&from=1900-01-01')).json()
    expect(bp.unit).toBe('mmHg')
    expect(bp.items[0]).toEqual({ bucketStart: expect.any(String), count: expect.any(Number), systolic: expect.any(Object), diastolic: expect.any(Object) })
  })

  it('defaults to the last 90 days in ISO weeks starting Monday (UTC); day buckets are UTC days', async () => {
    const p = await registerUser(t)
    for (const [ago, value] of [[1, 60], [1.2, 80], [10, 70], [100, 90]] as const) {
      expect((await post(p, { type: 'heart_rate', value, measuredAt: isoAgo(ago * DAY) })).statusCode).toBe(201)
    }
    const res = await get(p, 'vitals/trends?type=heart_rate')
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ type: 'heart_rate', unit: '/min', bucket: 'week' })
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(90 * DAY - 1)
    const items: { bucketStart: string; count: number; min: number; max: number; mean: number }[] = body.items
    expect(items.reduce((n, i) => n + i.count, 0)).toBe(3) // the reading 100 days ago is outside the window
    for (const i of items) {
      const start = new Date(i.bucketStart)
      expect(start.getUTCDay()).toBe(1)
      expect(start.toISOString().slice(11)).toBe('00:00:00.000Z')
    }
    const byDay = (await get(p, `vitals/trends?type=heart_rate&bucket=day&from=1900-01-01`)).json().items
    expect(byDay.reduce((n: number, i: { count: number }) => n + i.count, 0)).toBe(4)
    expect(byDay.every((i: { bucketStart: string }) => i.bucketStart.endsWith('T00:00:00.000Z'))).toBe(true)
  })

  it('type is required; an unknown bucket, unknown fields or from after to are 400', async () => {
    const p = await registerUser(t)
    for (const q of ['', '?bucket=week', '?type=heart_rate&bucket=year', '?type=heart_rate&from=2025-02-01&to=2025-01-01', '?type=heart_rate&limit=5']) {
      const res = await get(p, `vitals/trends${q}`)
      expect(res.statusCode, q).toBe(400)
    }
  })
})
