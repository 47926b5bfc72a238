/** Listing, metadata edits, deletion and integrity checks of records (SPEC §4.3). */
import { readFile, writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { exists, recordFixtures, recordHelpers, sha256, url } from '../../../test/helpers/records.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const { PDF, PNG } = recordFixtures()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())
const { uploadOk, get, blobPathOf } = recordHelpers(() => t)

describe('listing', () => {
  it('filters by q (case-insensitive, literal), category and from/to, and pages by cursor without duplicates', async () => {
    const p = await registerUser(t)
    const specs: [string, Record<string, string>][] = [
      ['a', { category: 'lab_report', recordDate: '2025-01-10', title: 'Lipid PANEL', description: 'cholesterol' }],
      ['b', { category: 'imaging', recordDate: '2025-02-20', doctorName: 'Dr. Grace Hopper' }],
      ['c', { category: 'vaccination', recordDate: '2025-03-30', title: '100% done' }],
      ['d', { category: 'lab_report', recordDate: '2025-03-30', description: 'follow-up panel' }],
      ['e', { category: 'insurance', recordDate: '2024-12-31' }],
    ]
    const ids: Record<string, string> = {}
    for (const [key, fields] of specs) ids[key] = (await uploadOk(p, PNG, { fields })).id
    const names = async (query: string) => {
      const res = await get(p, url('me', `?${query}`))
      expect(res.statusCode, res.body).toBe(200)
      const inv = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]))
      return res.json().items.map((r: { id: string }) => inv[r.id]).join('')
    }
    expect(await names('')).toBe('dcbae') // same date: the later upload first
    expect(await names('q=panel')).toBe('da')
    expect(await names('q=HOPPER')).toBe('b')
    expect(await names('q=Insurance_2024')).toBe('e') // file name
    expect(await names('q=%25')).toBe('c') // a literal %, not a wildcard
    expect(await names('q=_')).toBe('dcbae') // every fileName has a literal _
    expect(await names('category=lab_report')).toBe('da')
    expect(await names('from=2025-02-20&to=2025-03-30')).toBe('dcb')
    expect(await names('from=2025-02-20T23:59:59Z')).toBe('dcb')
    expect(await names('to=2025-01-10T00:00:00.000Z')).toBe('ae')
    expect(await names('category=lab_report&q=cholesterol&from=2025-01-01')).toBe('a')

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await get(p, url('me', `?limit=2${cursor ? `&cursor=${cursor}` : ''}`))
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body.items.length).toBeLessThanOrEqual(2)
      seen.push(...body.items.map((r: { id: string }) => r.id))
      cursor = body.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([ids.d, ids.c, ids.b, ids.a, ids.e])
    const filtered = (await get(p, url('me', '?limit=1&category=lab_report'))).json()
    const next = (await get(p, url('me', `?limit=1&category=lab_report&cursor=${filtered.nextCursor}`))).json()
    expect([filtered.items[0].id, next.items[0].id, next.nextCursor]).toEqual([ids.d, ids.a, null])
  })

  it('rejects bad query parameters with 400', async () => {
    const p = await registerUser(t)
    for (const [query, pointer] of [
      ['limit=0', '/limit'],
      ['limit=101', '/limit'],
      ['category=xray', '/category'],
      ['from=yesterday', '/from'],
      ['from=2025-02-01&to=2025-01-01', '/from'],
      ['cursor=not-a-cursor', '/cursor'],
      [`cursor=${Buffer.from(JSON.stringify(['x', 'y', 'z'])).toString('base64url')}`, '/cursor'],
      ['sort=asc', '/sort'],
    ]) {
      const res = await get(p, url('me', `?${query}`))
      expect(res.statusCode, query).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path), query).toContain(pointer)
    }
  })
})

describe('metadata, deletion and integrity', () => {
  it('PATCH changes metadata only, keeps fileName, and rejects unknown fields', async () => {
    const p = await registerUser(t)
    const rec = await uploadOk(p, PDF, { fields: { category: 'lab_report', recordDate: '2025-05-05', title: 'Old', doctorName: 'Dr. X' } })
    const patch = (payload: unknown) => t.app.inject({ method: 'PATCH', url: url('me', `/${rec.id}`), headers: p.headers, payload: payload as object })
    const res = await patch({ title: 'New title', category: 'imaging', recordDate: '2025-04-04', doctorName: null, description: 'Annotated' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ ...rec, title: 'New title', category: 'imaging', recordDate: '2025-04-04', doctorName: null, description: 'Annotated' })
    expect(res.json().fileName).toBe('LabReport_2025-05-05.pdf')
    expect((await get(p, url('me', `/${rec.id}`))).json()).toEqual(res.json())
    for (const [payload, pointer] of [
      [{ contentType: 'text/plain' }, '/contentType'],
      [{ fileName: 'evil.exe' }, '/fileName'],
      [{ category: 'xray' }, '/category'],
      [{ recordDate: 'soon' }, '/recordDate'],
      [{ title: 5 }, '/title'],
    ] as const) {
      const bad = await patch(payload)
      expect(bad.statusCode, pointer).toBe(400)
      expect(bad.json().errors.map((e: { path: string }) => e.path)).toContain(pointer)
    }
    expect((await patch({})).json()).toEqual(res.json())
  })

  it('DELETE answers 204, destroys the data key and the blob; the record is gone everywhere', async () => {
    const p = await registerUser(t)
    const rec = await uploadOk(p, PNG)
    const blob = await blobPathOf(rec.id)
    expect(await exists(blob)).toBe(true)
    const del = await t.app.inject({ method: 'DELETE', url: url('me', `/${rec.id}`), headers: p.headers })
    expect(del.statusCode).toBe(204)
    expect(del.body).toBe('')
    for (const suffix of ['', '/content', '/verify']) expect((await get(p, url('me', `/${rec.id}${suffix}`))).statusCode).toBe(404)
    expect((await get(p, url('me'))).json().items).toEqual([])
    expect((await t.app.inject({ method: 'DELETE', url: url('me', `/${rec.id}`), headers: p.headers })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'PATCH', url: url('me', `/${rec.id}`), headers: p.headers, payload: { title: 'x' } })).statusCode).toBe(404)
    expect(await exists(blob)).toBe(false)
    const row = await t.deps.db.selectFrom('records').select(['wrappedKey', 'deletedAt']).where('id', '=', rec.id).executeTakeFirstOrThrow()
    expect(row.wrappedKey).toBeNull()
    expect(row.deletedAt).toBeInstanceOf(Date)
  })

  it('verify re-hashes the stored bytes; after one flipped byte it reports matches:false and the download fails without delivering bytes', async () => {
    const p = await registerUser(t)
    const rec = await uploadOk(p, PDF)
    expect((await get(p, url('me', `/${rec.id}/verify`))).json()).toEqual({ sha256: sha256(PDF), matches: true })
    const blob = await blobPathOf(rec.id)
    const stored = await readFile(blob)
    stored[10] = (stored[10] ?? 0) ^ 0x01
    await writeFile(blob, stored)
    expect((await get(p, url('me', `/${rec.id}/verify`))).json()).toEqual({ sha256: sha256(PDF), matches: false })
    const res = await get(p, url('me', `/${rec.id}/content`))
    expect(res.statusCode).toBe(500)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.rawPayload.includes(PDF.subarray(0, 16))).toBe(false)
    // A range inside an intact later segment still reads; one touching the bad segment fails.
    expect((await get(p, url('me', `/${rec.id}/content`), { range: 'bytes=70000-70099' })).statusCode).toBe(206)
    expect((await get(p, url('me', `/${rec.id}/content`), { range: 'bytes=0-99' })).statusCode).toBe(500)
  })
})
