import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../../../test/helpers/factories.js'
import { createShlOk, pathOf, patientWithData, payloadOf, PROFILE } from '../../../../test/helpers/shl.js'
import { startTestApp, type TestApp } from '../../../../test/helpers/test-app.js'
import { decryptShlFile, encodeShlink, keyBytes } from '../../shl/shl-payload.js'

/** A free port on 127.0.0.1 (the app's PUBLIC_URL must name it before the app starts). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

let t: TestApp
let publicUrl: string
beforeAll(async () => {
  const port = await freePort()
  publicUrl = `http://127.0.0.1:${port}`
  t = await startTestApp({ PUBLIC_URL: publicUrl })
  await t.app.listen({ port, host: '127.0.0.1' })
})
afterAll(async () => t.close())

const importShl = (u: TestUser, body: object, query = '') =>
  t.app.inject({ method: 'POST', url: `/api/v1/patients/me/import${query}`, headers: u.headers, payload: body })
const fakeLink = (url: string, extra: object = {}) => encodeShlink({ url, key: 'A'.repeat(43), exp: Math.floor(Date.now() / 1000) + 3600, flag: 'L', v: 1, ...extra })

describe('receiving a SMART Health Link (SPEC §9)', () => {
  it('imports a link made on a real listener of this server: the counts equal those of a direct import of the same data', async () => {
    const { p, recordId } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: 'for my new doctor', include: { summary: true, recordIds: [recordId] } })
    const payload = payloadOf(created.shlink)
    expect(payload.url.startsWith(`${publicUrl}/api/v1/shl/`)).toBe(true)

    // The same data, imported directly: the summary bundle as FHIR JSON.
    const files = (await t.app.inject({ method: 'POST', url: pathOf(payload.url), payload: { recipient: 'test', passcode: 'for my new doctor' } })).json().files
    const jwe = (await t.app.inject({ method: 'GET', url: pathOf(files[0].location) })).body
    const bundle = JSON.parse(Buffer.from((await decryptShlFile(keyBytes(payload.key), jwe)).bytes).toString('utf8'))
    const direct = await registerUser(t, 'patient', { name: PROFILE.fullName })
    const directRes = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: direct.headers, payload: bundle })
    expect(directRes.statusCode, directRes.body).toBe(200)

    const receiver = await registerUser(t, 'patient', { name: PROFILE.fullName })
    const res = await importShl(receiver, { shlink: created.viewerUrl, passcode: 'for my new doctor' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual({ ...directRes.json().imported, records: 1 })
    expect(res.json().imported).toMatchObject({ allergies: 1, conditions: 2, medications: 1 })

    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: receiver.headers })).json()
    expect(profile.allergies.map((a: { substance: string }) => a.substance)).toEqual(['Penicillin'])
    expect(profile).toMatchObject({ dateOfBirth: PROFILE.dateOfBirth, sex: 'female' })
    const records = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: receiver.headers })).json().items
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ contentType: 'application/pdf' })

    // The sender sees the access, by the name the importer gives.
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/shl', headers: p.headers })).json()
    expect(list.items[0].accesses.map((a: { recipient: string }) => a.recipient)).toContain('CareLocker import')

    const again = await importShl(receiver, { shlink: created.shlink, passcode: 'for my new doctor' })
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json().imported).toEqual({ allergies: 0, conditions: 0, medications: 0, vitals: 0, labs: 0, records: 0 })
  })

  it('passes on a wrong passcode as 401 with the tries left, and a revoked link as 410', async () => {
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { passcode: 'right', include: { summary: true, recordIds: [] } })
    const receiver = await registerUser(t, 'patient', { name: PROFILE.fullName })
    const missing = await importShl(receiver, { shlink: created.shlink })
    expect(missing.statusCode).toBe(401)
    const wrong = await importShl(receiver, { shlink: created.shlink, passcode: 'wrong' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ type: 'https://carelocker.dev/problems/shl-passcode', remainingAttempts: 9 })
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/shl/${created.id}`, headers: p.headers })).statusCode).toBe(204)
    const gone = await importShl(receiver, { shlink: created.shlink, passcode: 'right' })
    expect(gone.statusCode).toBe(410)
    expect(gone.json().type).toBe('https://carelocker.dev/problems/shl-gone')
  })

  it('refuses malformed links, non-https and private addresses (SSRF) with 400, expired ones with 410, a failing server with 502', async () => {
    const receiver = await registerUser(t)
    const bad: Array<[object, number, string?]> = [
      [{ shlink: 'not a link' }, 400],
      [{ shlink: fakeLink('https://a.example/m'), extra: 1 }, 400],
      [{ shlink: 42 }, 400],
      [{ shlink: fakeLink('https://a.example/m'), passcode: 7 }, 400],
      [{ shlink: 'x'.repeat(9000) }, 400],
      [{ shlink: fakeLink('http://example.com/manifest') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://127.0.0.1/manifest') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://10.0.0.8/manifest') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://169.254.169.254/latest/meta-data') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://[::1]/manifest') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://[::ffff:127.0.0.1]/manifest') }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink(`https://localhost:${new URL(publicUrl).port}/manifest`) }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink(`https://user:pw@a.example/manifest`) }, 400, 'shl-url-refused'],
      [{ shlink: fakeLink('https://a.example/m', { exp: 1000 }) }, 410],
      [{ shlink: fakeLink('https://a.example/m', { flag: 'LP' }) }, 401],
      // This server's own origin, a route that is not a manifest: the other server "fails".
      [{ shlink: fakeLink(`${publicUrl}/health`) }, 502, 'shl-upstream-failed'],
    ]
    for (const [body, status, type] of bad) {
      const res = await importShl(receiver, body)
      expect(res.statusCode, `${JSON.stringify(body).slice(0, 120)} → ${res.body}`).toBe(status)
      if (type) expect(res.json().type).toBe(`https://carelocker.dev/problems/${type}`)
    }
    // Nothing was imported by any of them.
    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: receiver.headers })).json()
    expect(profile.allergies).toEqual([])
  })

  it('a link under this server’s origin whose files do not open with the key is 400, and nothing is imported', async () => {
    const { p } = await patientWithData(t)
    const created = await createShlOk(t, p, { include: { summary: true, recordIds: [] } })
    const payload = payloadOf(created.shlink)
    const receiver = await registerUser(t, 'patient', { name: PROFILE.fullName })
    const res = await importShl(receiver, { shlink: encodeShlink({ url: payload.url, key: 'B'.repeat(43), exp: payload.exp, flag: 'L', v: 1 }) })
    expect(res.statusCode, res.body).toBe(400)
    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: receiver.headers })).json()
    expect(profile.allergies).toEqual([])
  })
})
