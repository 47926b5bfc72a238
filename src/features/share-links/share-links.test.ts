import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'

const PDF = readFileSync(fixturePath('docs/ccda-unstructured-UD_sample.pdf'))

let now = new Date()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({}, { now: () => now })
})
afterAll(async () => t.close())

const upload = async (u: TestUser): Promise<string> => (await uploadRecord(t, u, { name: 'report.pdf', bytes: PDF })).id

const share = (u: TestUser, recordId: string, payload: object = {}, pid = 'me') =>
  t.app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/records/${recordId}/shares`, headers: u.headers, payload })
const open = (token: string, passcode?: string, suffix = '') =>
  t.app.inject({ method: 'GET', url: `/api/v1/shared/${token}${suffix}`, ...(passcode !== undefined ? { headers: { 'x-share-passcode': passcode } } : {}) })
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('share links (SPEC §4.5)', () => {
  it('a link works until it expires, then answers 410; the token is shown once and stored hashed', async () => {
    now = new Date()
    const p = await registerUser(t)
    const recordId = await upload(p)
    const res = await share(p, recordId, { expiresInHours: 2 })
    expect(res.statusCode, res.body).toBe(201)
    const link = res.json()
    expect(link.url).toBe(`http://carelocker.test/s/${link.token}`)
    expect(Buffer.from(link.token, 'base64url').length).toBeGreaterThanOrEqual(16)
    expect(link).toMatchObject({ recordId, passcodeRequired: false, maxViews: null })
    const stored = await t.deps.db.selectFrom('shareLinks').selectAll().where('id', '=', link.id).executeTakeFirstOrThrow()
    expect(JSON.stringify(stored)).not.toContain(link.token)

    const meta = await open(link.token)
    expect(meta.statusCode).toBe(200)
    expect(meta.json().record).toMatchObject({ id: recordId, contentType: 'application/pdf' })
    const content = await open(link.token, undefined, '/content')
    expect(content.statusCode).toBe(200)
    expect(sha(content.rawPayload)).toBe(sha(PDF))

    now = new Date(now.getTime() + 2 * 3600_000 + 1000)
    expect((await open(link.token)).statusCode).toBe(410)
    expect((await open(link.token, undefined, '/content')).statusCode).toBe(410)
    // Two hours on, the old access token has expired too: sign in again.
    const again = await loginAs(t, p.email)
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/shares', headers: again.headers })
    expect(list.statusCode, list.body).toBe(200)
    const listed = list.json().items.find((s: { id: string }) => s.id === link.id)
    expect(listed).toMatchObject({ status: 'expired', views: 1 })
    expect(listed).not.toHaveProperty('token')
    expect(listed).not.toHaveProperty('url')
    now = new Date()
  })

  it('a revoked link is 410; an unknown token is 404', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p))).json()
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/shares/${link.id}`, headers: p.headers })).statusCode).toBe(204)
    expect((await open(link.token)).statusCode).toBe(410)
    expect((await open(link.token)).json().type).toBe('https://carelocker.dev/problems/share-revoked')
    expect((await open('x'.repeat(43))).statusCode).toBe(404)
  })

  it('maxViews: the link is exhausted after that many downloads', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p), { maxViews: 2 })).json()
    expect((await open(link.token, undefined, '/content')).statusCode).toBe(200)
    expect((await open(link.token)).statusCode).toBe(200)
    expect((await open(link.token, undefined, '/content')).statusCode).toBe(200)
    const third = await open(link.token, undefined, '/content')
    expect(third.statusCode).toBe(410)
    expect(third.json().type).toBe('https://carelocker.dev/problems/share-exhausted')
  })

  it('passcode: missing is 401 without counting, wrong is 401 with remainingAttempts, the fifth wrong try locks the link', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p), { passcode: '2468' })).json()
    expect(link.passcodeRequired).toBe(true)
    const missing = await open(link.token)
    expect(missing.statusCode).toBe(401)
    expect(missing.json().type).toBe('https://carelocker.dev/problems/passcode-required')
    expect((await open(link.token, '2468')).statusCode).toBe(200)
    for (let i = 1; i <= 4; i++) {
      const wrong = await open(link.token, '0000')
      expect(wrong.statusCode).toBe(401)
      expect(wrong.json().remainingAttempts).toBe(5 - i)
    }
    // A right passcode does not reset the count.
    expect((await open(link.token, '2468', '/content')).statusCode).toBe(200)
    const fifth = await open(link.token, '0000')
    expect(fifth.statusCode).toBe(401)
    expect(fifth.json().remainingAttempts).toBe(0)
    expect((await open(link.token, '2468')).statusCode).toBe(410)
    expect((await open(link.token)).statusCode).toBe(410)
  })

  it('parallel wrong guesses cannot exceed five tries: exactly five 401s, the rest 410', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p), { passcode: 'right-one' })).json()
    const results = await Promise.all(Array.from({ length: 12 }, () => open(link.token, 'wrong-guess')))
    const codes = results.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 401)).toHaveLength(5)
    expect(codes.filter((c) => c === 410)).toHaveLength(7)
    expect((await open(link.token, 'right-one')).statusCode).toBe(410)
    const row = await t.deps.db.selectFrom('shareLinks').select('failedAttempts').where('id', '=', link.id).executeTakeFirstOrThrow()
    expect(row.failedAttempts).toBe(5)
  })

  it('public share routes are read-only: POST, PUT, DELETE → 405', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p))).json()
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
      for (const suffix of ['', '/content']) {
        const res = await t.app.inject({ method, url: `/api/v1/shared/${link.token}${suffix}` })
        expect(res.statusCode, `${method} ${suffix}`).toBe(405)
        expect(res.headers.allow).toContain('GET')
      }
    }
  })

  it('deleting the record stops its shares (410)', async () => {
    const p = await registerUser(t)
    const recordId = await upload(p)
    const link = (await share(p, recordId)).json()
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${recordId}`, headers: p.headers })).statusCode).toBe(204)
    expect((await open(link.token)).statusCode).toBe(410)
  })

  it('only the owner shares, lists and revokes: others get 404, a treating doctor 403', async () => {
    const owner = await registerUser(t)
    const recordId = await upload(owner)
    const other = await registerUser(t)
    expect((await share(other, recordId, {}, owner.id)).statusCode).toBe(404)
    expect((await share(other, recordId)).statusCode).toBe(404)
    const doctor = await registerVerified(t, 'doctor')
    expect((await share(doctor, recordId, {}, owner.id)).statusCode).toBe(404)
    await t.deps.db.insertInto('consultations').values({ patientId: owner.id, doctorId: doctor.id, status: 'approved', createdAt: new Date() }).execute()
    expect((await share(doctor, recordId, {}, owner.id)).statusCode).toBe(403)
    const link = (await share(owner, recordId)).json()
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/shares/${link.id}`, headers: other.headers })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/shares', headers: doctor.headers })).statusCode).toBe(403)
    const bad = await share(owner, recordId, { expiresInHours: 721, passcode: '12', maxViews: 0, extra: true })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['/expiresInHours', '/extra', '/maxViews', '/passcode'])
  })

  it('the /s/<token> page shows the record without JavaScript and asks for a passcode when needed', async () => {
    const p = await registerUser(t)
    const recordId = await upload(p)
    const plain = (await share(p, recordId)).json()
    const pageRes = await t.app.inject({ method: 'GET', url: `/s/${plain.token}` })
    expect(pageRes.statusCode).toBe(200)
    expect(pageRes.headers['content-type']).toContain('text/html')
    expect(pageRes.body).toContain(`/api/v1/shared/${plain.token}/content`)
    const locked = (await share(p, recordId, { passcode: 'open-sesame' })).json()
    const form = await t.app.inject({ method: 'GET', url: `/s/${locked.token}` })
    expect(form.body).toContain('name="passcode"')
    const wrong = await t.app.inject({ method: 'POST', url: `/s/${locked.token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'passcode=nope' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.body).toContain('4 tries left')
    expect(wrong.body).toContain('role="alert"')
    // The right passcode answers with a fresh page (the record, no "Wrong passcode" left on
    // screen) whose Download form sends the passcode again in the body, never in a URL.
    const right = await t.app.inject({ method: 'POST', url: `/s/${locked.token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'passcode=open-sesame' })
    expect(right.statusCode).toBe(200)
    expect(right.headers['content-type']).toContain('text/html')
    expect(right.headers['cache-control']).toBe('no-store')
    expect(right.body).not.toContain('Wrong passcode')
    expect(right.body).not.toContain('role="alert"')
    expect(right.body).toContain('name="download" value="1"')
    expect(right.body).not.toContain(`/api/v1/shared/${locked.token}/content`)
    const download = await t.app.inject({ method: 'POST', url: `/s/${locked.token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'passcode=open-sesame&download=1' })
    expect(download.statusCode).toBe(200)
    expect(download.headers['content-disposition']).toMatch(/^attachment/)
    expect(sha(download.rawPayload)).toBe(sha(PDF))
    const wrongDownload = await t.app.inject({ method: 'POST', url: `/s/${locked.token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'passcode=nope&download=1' })
    expect(wrongDownload.statusCode).toBe(401)
    expect(wrongDownload.body).toContain('Wrong passcode')
    expect((await t.app.inject({ method: 'GET', url: `/s/${'y'.repeat(43)}` })).statusCode).toBe(404)
  })

  it('share accesses are in the patient’s audit log as actor kind "share"', async () => {
    const p = await registerUser(t)
    const link = (await share(p, await upload(p))).json()
    await open(link.token, undefined, '/content')
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: p.headers })
    expect(audit.statusCode).toBe(200)
    const actions = audit.json().items.map((e: { action: string; actor: { kind: string } }) => `${e.action}:${e.actor.kind}`)
    expect(actions).toContain('record.downloaded:share')
    expect(actions).toContain('share.created:patient')
  })
})
