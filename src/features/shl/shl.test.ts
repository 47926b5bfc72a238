import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, registerUser, registerVerified } from '../../../test/helpers/factories.js'
import { createShl, createShlOk, pathOf, patientWithData, payloadOf, PROFILE, SHL_PDF } from '../../../test/helpers/shl.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'
import { decryptShlFile, keyBytes } from './shl-payload.js'
import { eraseSmartHealthLinks } from './shl.service.js'

let now = new Date()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({}, { now: () => now })
})
afterAll(async () => t.close())

const manifest = (url: string, payload: object) => t.app.inject({ method: 'POST', url: pathOf(url), payload })
const getFile = (location: string) => t.app.inject({ method: 'GET', url: pathOf(location) })
const blobCount = async (linkId: string) => (await t.deps.db.selectFrom('smartHealthLinkFiles').select('blobKey').where('linkId', '=', linkId).execute()).length

describe('SMART Health Links: sending (SPEC §9)', () => {
  it('makes a link whose payload, manifest and files follow the IG; the files decrypt with the key from the link only', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const created = await createShlOk(t, p, { label: 'For Dr. Smith', passcode: '2468', expiresInDays: 7, include: { summary: true, recordIds: [recordId] } })
    expect(created.shlink).toMatch(/^shlink:\/[A-Za-z0-9_-]+$/)
    expect(created.viewerUrl).toBe(`http://carelocker.test/shl#${created.shlink}`)
    expect(created.qrPngUrl).toMatch(/^data:image\/png;base64,/)
    expect(created.flags).toBe('LP')
    const payload = payloadOf(created.shlink)
    expect(payload).toMatchObject({ flag: 'LP', label: 'For Dr. Smith', v: 1, exp: Math.floor(new Date(created.expiresAt).getTime() / 1000) })
    expect(payload.url).toMatch(/^http:\/\/carelocker\.test\/api\/v1\/shl\/[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(payload.url.split('/').pop()!, 'base64url')).toHaveLength(32)
    expect(Buffer.from(payload.key, 'base64url')).toHaveLength(32)

    // Neither the key nor the manifest id is stored readable.
    const manifestId = payload.url.split('/').pop()!
    const row = await t.deps.db.selectFrom('smartHealthLinks').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(manifestId)
    expect(JSON.stringify(row)).not.toContain(payload.key)

    const res = await manifest(payload.url, { recipient: 'Dr. Smith', passcode: '2468' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('*')
    expect(res.headers['cache-control']).toBe('no-store')
    const files = res.json().files as Array<{ contentType: string; location: string }>
    expect(files.map((f) => f.contentType)).toEqual(['application/fhir+json', 'application/pdf'])

    const key = keyBytes(payload.key)
    const summaryRes = await getFile(files[0]!.location)
    expect(summaryRes.statusCode).toBe(200)
    expect(summaryRes.headers['content-type']).toMatch(/^application\/jose/)
    expect(summaryRes.headers['access-control-allow-origin']).toBe('*')
    const summary = await decryptShlFile(key, summaryRes.body)
    expect(summary.contentType).toBe('application/fhir+json')
    const bundle = JSON.parse(Buffer.from(summary.bytes).toString('utf8'))
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'document' })
    expect(bundle.entry[0].resource).toMatchObject({ resourceType: 'Composition', type: { coding: [{ code: '60591-5' }] } })
    const allergy = bundle.entry.find((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'AllergyIntolerance')
    expect(allergy.resource.code.text).toBe('Penicillin')

    const pdf = await decryptShlFile(key, (await getFile(files[1]!.location)).body)
    expect(pdf.contentType).toBe('application/pdf')
    expect(Buffer.from(pdf.bytes).equals(SHL_PDF)).toBe(true)

    // Another key does not open it.
    await expect(decryptShlFile(new Uint8Array(32), summaryRes.body)).rejects.toMatchObject({ status: 400 })
  })

  it('lists links with status and accesses, never the link or key again; the access is audited as the share recipient', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { include: { summary: true, recordIds: [] } })
    expect(created.flags).toBe('L')
    const payload = payloadOf(created.shlink)
    expect((await manifest(payload.url, { recipient: 'Emergency room, St. Mary' })).statusCode).toBe(200)

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: p.headers })
    expect(list.statusCode, list.body).toBe(200)
    expect(list.body).not.toContain(payload.key)
    expect(list.body).not.toContain(created.shlink)
    const item = list.json().items[0]
    expect(item).toMatchObject({ id: created.id, status: 'active', flags: 'L', passcodeRequired: false, attemptsLeft: null, include: { summary: true, recordIds: [] } })
    expect(item.accesses).toEqual([{ recipient: 'Emergency room, St. Mary', at: now.toISOString() }])

    await t.deps.audit.sealNow()
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: p.headers })
    expect(audit.statusCode, audit.body).toBe(200)
    const events = audit.json().items as Array<{ action: string; actor: { kind: string; id?: string; name?: string }; resource: { id: string } }>
    expect(events).toContainEqual(expect.objectContaining({ action: 'shl.accessed', actor: { kind: 'share', id: created.id, name: 'Emergency room, St. Mary' }, resource: { type: 'shl', id: created.id } }))
    expect(events).toContainEqual(expect.objectContaining({ action: 'shl.created', resource: { type: 'shl', id: created.id } }))
  })

  it('embeds a file when the recipient asks for embeddedLengthMax and it fits', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { include: { summary: true, recordIds: [] } })
    const payload = payloadOf(created.shlink)
    const big = await manifest(payload.url, { recipient: 'Viewer', embeddedLengthMax: 10_000_000 })
    const [file] = big.json().files
    expect(file).toHaveProperty('embedded')
    const opened = await decryptShlFile(keyBytes(payload.key), file.embedded)
    expect(JSON.parse(Buffer.from(opened.bytes).toString('utf8')).resourceType).toBe('Bundle')
    const small = await manifest(payload.url, { recipient: 'Viewer', embeddedLengthMax: 10 })
    expect(small.json().files[0]).toHaveProperty('location')
  })

  it('refuses bad input with 400, other patients’ records with 404, and every role but the patient', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const other = await patientWithData(t)
    const ok = { include: { summary: true, recordIds: [] } }
    const bad: object[] = [
      { ...ok, extra: 1 },
      { include: { summary: true, recordIds: [], more: true } },
      { ...ok, label: 'x'.repeat(81) },
      { ...ok, label: 'line\nbreak' },
      { ...ok, expiresInDays: 0 },
      { ...ok, expiresInDays: 366 },
      { ...ok, expiresInDays: 1.5 },
      { ...ok, passcode: '12' },
      { ...ok, passcode: 1234 },
      { include: { summary: false, recordIds: [] } },
      { include: { summary: 'yes', recordIds: [] } },
      { include: { summary: true, recordIds: ['not-a-uuid'] } },
      {},
    ]
    for (const payload of bad) {
      const res = await createShl(t, p, payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    }
    expect((await createShl(t, p, { ...ok, label: 'x'.repeat(80), expiresInDays: 365 })).statusCode).toBe(201)
    const huge = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/shl', headers: { ...p.headers, 'content-type': 'application/json' }, payload: JSON.stringify({ ...ok, label: 'x'.repeat(5_000_000) }) })
    expect([400, 413]).toContain(huge.statusCode)

    const before = await t.deps.db.selectFrom('smartHealthLinkFiles').select('id').execute()
    const foreign = await createShl(t, p, { include: { summary: true, recordIds: [recordId, other.recordId] } })
    expect(foreign.statusCode, foreign.body).toBe(404)
    expect(await t.deps.db.selectFrom('smartHealthLinkFiles').select('id').execute()).toHaveLength(before.length)
    const deleted = await uploadRecord(t, p, { name: 'gone.pdf', bytes: SHL_PDF })
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${deleted.id}`, headers: p.headers })).statusCode).toBe(204)
    expect((await createShl(t, p, { include: { summary: false, recordIds: [deleted.id] } })).statusCode).toBe(404)

    const doctor = await registerVerified(t, 'doctor')
    for (const [method, url] of [['POST', '/api/v1/patients/me/shl'], ['GET', '/api/v1/patients/me/shl'], ['DELETE', '/api/v1/patients/me/shl/00000000-0000-4000-8000-000000000000']] as const) {
      const res = await t.app.inject({ method, url, headers: doctor.headers, ...(method === 'POST' ? { payload: ok } : {}) })
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect((await t.app.inject({ method, url, ...(method === 'POST' ? { payload: ok } : {}) })).statusCode).toBe(401)
    }
  })

  it('the manifest refuses bad requests: no recipient, a long one, unknown fields, an unknown link', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const { url } = payloadOf((await createShlOk(t, p, { include: { summary: true, recordIds: [] } })).shlink)
    for (const body of [{}, { recipient: '' }, { recipient: 'x'.repeat(101) }, { recipient: 'A', extra: 1 }, { recipient: 7 }, { recipient: 'A', embeddedLengthMax: -1 }]) {
      const res = await manifest(url, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.headers['access-control-allow-origin']).toBe('*')
    }
    expect((await manifest(url, { recipient: 'x'.repeat(100) })).statusCode).toBe(200)
    const unknown = await manifest(`${url.slice(0, -4)}AAAA`, { recipient: 'A' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.headers['access-control-allow-origin']).toBe('*')
    expect((await t.app.inject({ method: 'GET', url: pathOf(url) })).statusCode).toBe(405)
    const preflight = await t.app.inject({ method: 'OPTIONS', url: pathOf(url), headers: { origin: 'https://viewer.example', 'access-control-request-method': 'POST' } })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' })
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined()
    // The patient's own routes are not open cross-origin.
    const own = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: { ...p.headers, origin: 'https://viewer.example' } })
    expect(own.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('SMART Health Links: passcodes, expiry, revocation (SPEC §9)', () => {
  it('a missing passcode is 401 and not counted; each wrong one counts down over the link’s life; the last kills it for good', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: 'open sesame', include: { summary: true, recordIds: [] } })
    const { url } = payloadOf(created.shlink)
    const missing = await manifest(url, { recipient: 'A' })
    expect(missing.statusCode).toBe(401)
    expect(missing.json()).toMatchObject({ type: 'https://carelocker.dev/problems/passcode-required', remainingAttempts: 10 })
    const wrong = await manifest(url, { recipient: 'A', passcode: 'nope' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ type: 'https://carelocker.dev/problems/wrong-passcode', remainingAttempts: 9 })
    expect(wrong.headers['access-control-allow-origin']).toBe('*')
    // A right one does not reset the count.
    expect((await manifest(url, { recipient: 'A', passcode: 'open sesame' })).statusCode).toBe(200)
    for (let left = 8; left >= 0; left--) {
      const res = await manifest(url, { recipient: 'A', passcode: `wrong ${left}` })
      expect(res.statusCode).toBe(401)
      expect(res.json().remainingAttempts).toBe(left)
    }
    const dead = await manifest(url, { recipient: 'A', passcode: 'open sesame' })
    expect(dead.statusCode).toBe(404)
    expect(dead.json().type).toBe('https://carelocker.dev/problems/shl-dead')
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: p.headers })
    expect(list.json().items[0]).toMatchObject({ status: 'dead', attemptsLeft: 0 })
  })

  it('concurrent wrong passcodes count exactly: never more failures than tries, never below zero', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: 'right one', include: { summary: true, recordIds: [] } })
    const { url } = payloadOf(created.shlink)
    const answers = await Promise.all(Array.from({ length: 14 }, (_, i) => manifest(url, { recipient: 'Guesser', passcode: `guess ${i}` })))
    const codes = answers.map((a) => a.statusCode).sort()
    expect(codes.filter((c) => c === 401)).toHaveLength(10)
    expect(codes.filter((c) => c === 404)).toHaveLength(4)
    expect(answers.filter((a) => a.statusCode === 401).map((a) => a.json().remainingAttempts).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const row = await t.deps.db.selectFrom('smartHealthLinks').select('attemptsLeft').where('id', '=', created.id).executeTakeFirstOrThrow()
    expect(row.attemptsLeft).toBe(0)
  })

  it('with one try left, concurrent right passcodes all open the link: none sees it dead while another is checked (review L5)', async () => {
    now = new Date()
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: 'last chance', include: { summary: true, recordIds: [] } })
    const { url } = payloadOf(created.shlink)
    for (let i = 0; i < 9; i++) expect((await manifest(url, { recipient: 'A', passcode: `wrong ${i}` })).statusCode).toBe(401)
    const answers = await Promise.all(Array.from({ length: 5 }, () => manifest(url, { recipient: 'B', passcode: 'last chance' })))
    expect(answers.map((a) => `${a.statusCode} ${a.statusCode === 200 ? '' : a.json().type}`)).toEqual(Array(5).fill('200 '))
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: p.headers })
    expect(list.json().items[0]).toMatchObject({ status: 'active', attemptsLeft: 1 })
  })

  it('locations are fresh random tokens that work for an hour; an altered one is 404', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const { url } = payloadOf((await createShlOk(t, p, { include: { summary: true, recordIds: [recordId] } })).shlink)
    const first = (await manifest(url, { recipient: 'A' })).json().files
    const second = (await manifest(url, { recipient: 'A' })).json().files
    expect(first[0].location).not.toBe(second[0].location)
    const location = first[0].location as string
    expect(location).toMatch(/^http:\/\/carelocker\.test\/api\/v1\/shl-files\/[A-Za-z0-9_-]{43}$/)
    const altered = location.slice(0, -1) + (location.endsWith('A') ? 'B' : 'A')
    expect((await getFile(altered)).statusCode).toBe(404)
    expect((await getFile(location)).statusCode).toBe(200)
    now = new Date(now.getTime() + 59 * 60_000)
    expect((await getFile(location)).statusCode).toBe(200)
    now = new Date(now.getTime() + 60_000)
    const late = await getFile(location)
    expect(late.statusCode).toBe(410)
    expect(late.json().type).toBe('https://carelocker.dev/problems/shl-location-expired')
    now = new Date()
  })

  it('an expired link is 404 shl-expired; a record deleted after is left out of the manifest', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const created = await createShlOk(t, p, { expiresInDays: 1, include: { summary: true, recordIds: [recordId] } })
    const { url } = payloadOf(created.shlink)
    const location = (await manifest(url, { recipient: 'A' })).json().files[1].location
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${recordId}`, headers: p.headers })).statusCode).toBe(204)
    expect((await manifest(url, { recipient: 'A' })).json().files.map((f: { contentType: string }) => f.contentType)).toEqual(['application/fhir+json'])
    expect((await getFile(location)).statusCode).toBe(404)

    now = new Date(now.getTime() + 24 * 3600_000)
    const expired = await manifest(url, { recipient: 'A' })
    expect(expired.statusCode).toBe(404)
    expect(expired.json().type).toBe('https://carelocker.dev/problems/shl-expired')
    const again = await loginAs(t, p.email)
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: again.headers })
    expect(list.json().items[0]).toMatchObject({ id: created.id, status: 'expired' })
    now = new Date()
  })

  it('revoking answers 204, deletes the files, and the link and its locations answer 404 from then on; only the owner revokes', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const other = await registerUser(t)
    const created = await createShlOk(t, p, { include: { summary: true, recordIds: [recordId] } })
    const { url } = payloadOf(created.shlink)
    const location = (await manifest(url, { recipient: 'A' })).json().files[0].location
    const keys = (await t.deps.db.selectFrom('smartHealthLinkFiles').select('blobKey').where('linkId', '=', created.id).execute()).map((r) => r.blobKey)
    expect(keys).toHaveLength(2)
    const del = (u: { headers: object }, id = created.id) => t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/shl/${id}`, headers: u.headers as Record<string, string> })
    expect((await del(other)).statusCode).toBe(404)
    expect((await del(p, 'not-a-uuid')).statusCode).toBe(400)
    expect((await del(p)).statusCode).toBe(204)
    expect((await del(p)).statusCode).toBe(404)
    expect(await blobCount(created.id)).toBe(0)
    for (const k of keys) expect(await t.deps.blobs.remove(k).then(() => 'removed')).toBe('removed')
    const revoked = await manifest(url, { recipient: 'A' })
    expect(revoked.statusCode).toBe(404)
    expect(revoked.json().type).toBe('https://carelocker.dev/problems/shl-revoked')
    expect((await getFile(location)).statusCode).toBe(404)
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: p.headers })
    expect(list.json().items[0]).toMatchObject({ status: 'revoked', accesses: [{ recipient: 'A' }] })
    await t.deps.audit.sealNow()
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: p.headers })
    expect(audit.json().items).toContainEqual(expect.objectContaining({ action: 'shl.revoked', resource: { type: 'shl', id: created.id } }))
    expect(audit.json().items).toContainEqual(expect.objectContaining({ action: 'shl.refused', actor: expect.objectContaining({ kind: 'share', name: 'A' }) }))
  })

  it('eraseSmartHealthLinks deletes every link, file and access of the patient and no one else’s', async () => {
    now = new Date()
    const { p, recordId } = await patientWithData(t)
    const other = await patientWithData(t)
    const mine = await createShlOk(t, p, { include: { summary: true, recordIds: [recordId] } })
    const theirs = await createShlOk(t, other.p, { include: { summary: true, recordIds: [] } })
    await manifest(payloadOf(mine.shlink).url, { recipient: 'A' })
    const blobKeys = await t.deps.db.transaction().execute((trx) => eraseSmartHealthLinks(trx, t.deps, p.id))
    expect(blobKeys).toHaveLength(2) // the summary and the record, for the caller to remove after its commit
    expect(await t.deps.db.selectFrom('smartHealthLinks').select('id').where('patientId', '=', p.id).execute()).toEqual([])
    expect(await blobCount(mine.id)).toBe(0)
    expect((await manifest(payloadOf(mine.shlink).url, { recipient: 'A' })).statusCode).toBe(404)
    expect((await manifest(payloadOf(theirs.shlink).url, { recipient: 'A' })).statusCode).toBe(200)
    void PROFILE
  })
})
