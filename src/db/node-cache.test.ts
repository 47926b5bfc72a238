/**
 * The node read cache (src/db/node-cache.ts) on the engine under test, through the HTTP API:
 * a node reads its own writes at once, a change made straight in the database (where no code
 * path forgets anything) reaches the next read once the triggers' invalidations have come
 * back (`settle`), and a TRUNCATE forgets everything. Across two processes:
 * test/multinode/read-cache.multinode.test.ts.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { uploadRecord } from '../../test/helpers/uploads.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

const titles = async (u: TestUser): Promise<string[]> => {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records?limit=20', headers: u.headers })
  expect(res.statusCode).toBe(200)
  return (res.json().items as { title: string }[]).map((r) => r.title)
}
const note = (title: string) => ({ category: 'clinical_note', title })
const TEXT = { name: 'note.txt', bytes: 'A short clinical note.\n' }

describe('the node read cache', () => {
  it('serves the record list from the cache, and this node sees its own upload, rename and delete at once', async () => {
    const p = await registerUser(t)
    const first = await uploadRecord(t, p, TEXT, note('One'))
    expect(await titles(p)).toEqual(['One'])
    expect(await titles(p)).toEqual(['One'])
    await uploadRecord(t, p, TEXT, note('Two'))
    expect((await titles(p)).sort()).toEqual(['One', 'Two'])
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/patients/me/records/${first.id}`, headers: p.headers, payload: { title: 'Uno' } })
    expect(patch.statusCode).toBe(200)
    expect((await titles(p)).sort()).toEqual(['Two', 'Uno'])
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${first.id}`, headers: p.headers })).statusCode).toBe(204)
    expect(await titles(p)).toEqual(['Two'])
  })

  it('a change made straight in the database reaches the next read once its invalidation is back (trigger)', async () => {
    const p = await registerUser(t)
    const rec = await uploadRecord(t, p, TEXT, note('Before'))
    expect(await titles(p)).toEqual(['Before'])
    await t.deps.db.updateTable('records').set({ title: 'After' }).where('id', '=', rec.id).execute()
    await t.deps.database.cache.settle(t.deps.db)
    expect(await titles(p)).toEqual(['After'])
  })

  it("an uploader's new name reaches the cached pages that show it", async () => {
    const p = await registerUser(t)
    await uploadRecord(t, p, TEXT, note('Named'))
    const uploader = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: p.headers })
      return res.json().items[0].uploadedBy.name as string
    }
    const before = await uploader()
    await t.deps.db.updateTable('users').set({ name: `${before} Renamed` }).where('id', '=', p.id).execute()
    await t.deps.database.cache.settle(t.deps.db)
    expect(await uploader()).toBe(`${before} Renamed`)
  })

  it('a TRUNCATE forgets every cached page', async () => {
    const p = await registerUser(t)
    await uploadRecord(t, p, TEXT, note('Kept?'))
    expect(await titles(p)).toEqual(['Kept?'])
    // This file's app has a database of its own (test-app.ts), so truncating is safe here.
    await sql`TRUNCATE records CASCADE`.execute(t.deps.db)
    await t.deps.database.cache.settle(t.deps.db)
    expect(await titles(p)).toEqual([])
  })
})
