/**
 * Issue 9 on share links: a HEAD of the content neither counts a view nor decrypts
 * (SPEC §4.5); refused attempts are audited as `share.refused`, never as a view or a
 * download (SPEC §4.7); personal data is never cacheable (SPEC §6).
 */
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())

const BYTES = 'Haemoglobin 14.1 g/dL\n'

async function sharedRecord(payload: object = {}): Promise<{ p: TestUser; recordId: string; token: string; shareId: string }> {
  const p = await registerUser(t)
  const recordId = (await uploadRecord(t, p, { name: 'lab.txt', bytes: BYTES })).id
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${recordId}/shares`, headers: p.headers, payload })
  expect(res.statusCode, res.body).toBe(201)
  return { p, recordId, token: res.json().token, shareId: res.json().id }
}

const views = async (p: TestUser, shareId: string) =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/shares', headers: p.headers })).json().items.find((s: { id: string }) => s.id === shareId).views as number

const auditActions = async (p: TestUser) => {
  await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
  return (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: p.headers })).json().items.map((e: { action: string }) => e.action) as string[]
}

describe('HEAD on share content (SPEC §4.5)', () => {
  it('answers the headers without counting a view or decrypting the file', async () => {
    const { p, recordId, token, shareId } = await sharedRecord({ maxViews: 1 })
    // Damage the stored ciphertext: any decryption would now fail.
    const { blobKey } = await t.deps.db.selectFrom('records').select('blobKey').where('id', '=', recordId).executeTakeFirstOrThrow()
    const head = async () => t.app.inject({ method: 'HEAD', url: `/api/v1/shared/${token}/content` })
    const good = await head()
    expect(good.statusCode).toBe(200)
    expect(good.body).toBe('')
    expect(good.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'content-length': String(BYTES.length), 'cache-control': 'no-store' })
    expect(good.headers['content-disposition']).toMatch(/^attachment; filename="LabReport_/)
    await writeFile(path.join(t.dataDir, 'blobs', blobKey.slice(0, 2), blobKey), Buffer.alloc(64, 1))
    for (let i = 0; i < 3; i++) expect((await head()).statusCode).toBe(200)
    expect(await views(p, shareId)).toBe(0)
    expect(await auditActions(p)).not.toContain('record.downloaded')
    // A GET does decrypt, and fails on the damaged file; the failed download is not a view either.
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}/content` })).statusCode).toBeGreaterThanOrEqual(500)
    expect(await views(p, shareId)).toBe(0)
  })

  it('needs the passcode like a GET', async () => {
    const { token } = await sharedRecord({ passcode: 'blue-heron' })
    expect((await t.app.inject({ method: 'HEAD', url: `/api/v1/shared/${token}/content` })).statusCode).toBe(401)
    const ok = await t.app.inject({ method: 'HEAD', url: `/api/v1/shared/${token}/content`, headers: { 'x-share-passcode': 'blue-heron' } })
    expect(ok.statusCode).toBe(200)
  })
})

describe('refused share attempts are audited as refused (SPEC §4.7)', () => {
  it('an exhausted link refuses the next download as share.refused, with no download event', async () => {
    const { p, token } = await sharedRecord({ maxViews: 1 })
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}/content` })).statusCode).toBe(200)
    const refused = await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}/content` })
    expect(refused.statusCode).toBe(410)
    const actions = await auditActions(p)
    expect(actions.filter((a) => a === 'record.downloaded')).toHaveLength(1)
    expect(actions.filter((a) => a === 'share.refused')).toHaveLength(1)
  })

  it('a wrong passcode and a revoked link are share.refused; a missing passcode is not an attempt', async () => {
    const { p, token, shareId } = await sharedRecord({ passcode: 'blue-heron' })
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}` })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}`, headers: { 'x-share-passcode': 'wrong-one' } })).statusCode).toBe(401)
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/shares/${shareId}`, headers: p.headers })).statusCode).toBe(204)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}`, headers: { 'x-share-passcode': 'blue-heron' } })).statusCode).toBe(410)
    const actions = await auditActions(p)
    expect(actions.filter((a) => a === 'share.refused')).toHaveLength(2)
    expect(actions).not.toContain('record.viewed')
    expect(actions).not.toContain('share.accessed')
  })
})

describe('Cache-Control: no-store on every response with personal data (SPEC §6)', () => {
  it('covers authenticated answers, errors, public share routes and pages', async () => {
    const { p, token } = await sharedRecord()
    const responses = [
      await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: p.headers }),
      await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers }),
      await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: p.headers }),
      await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/records/00000000-0000-4000-8000-000000000000`, headers: p.headers }),
      await t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}` }),
      await t.app.inject({ method: 'GET', url: `/s/${token}` }),
      await t.app.inject({ method: 'GET', url: `/e/${'x'.repeat(43)}` }),
    ]
    for (const res of responses) expect(res.headers['cache-control'], `${res.statusCode} ${res.body.slice(0, 80)}`).toBe('no-store')
  })
})
