/**
 * The budget of one SMART Health Link receive (security review H1): a link's files may not
 * add up to more than MAX_IMPORT_MB however many locations the manifest lists, and its
 * SMART Health Cards may not inflate past 100 cards / 16 MB in all. The "other server" is a
 * local listener named as this server's PUBLIC_URL (so the SSRF rules let the import reach it).
 */
import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { deflateRawSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../../test/helpers/test-app.js'
import { encodeShlink, encryptShlFile, keyBytes } from '../../shl/shl-payload.js'

const KEY = randomBytes(32).toString('base64url')
const FILE_BYTES = 300 * 1024 // each large file: 300 KB of plaintext, ~400 KB as a JWE

/** A compact JWS whose payload is `json` raw-DEFLATEd (signature not checked by the importer). */
const cardJws = (json: object) =>
  [Buffer.from('{"alg":"ES256","zip":"DEF"}').toString('base64url'), deflateRawSync(Buffer.from(JSON.stringify(json))).toString('base64url'), 'c2ln'].join('.')
const emptyBundle = { resourceType: 'Bundle', type: 'collection', entry: [] }
const card = (pad = '') => cardJws({ vc: { credentialSubject: { fhirVersion: '4.0.1', fhirBundle: emptyBundle } }, pad })

let upstream: Server
let base: string
let t: TestApp
const served = { files: 0, bytes: 0 }
const manifests = new Map<string, Array<{ contentType: string; location?: string; embedded?: string }>>()
let bigJwe: string

beforeAll(async () => {
  const key = keyBytes(KEY)
  bigJwe = await encryptShlFile(key, randomBytes(FILE_BYTES), 'application/octet-stream')
  const smallJwe = await encryptShlFile(key, randomBytes(1024), 'application/octet-stream')
  const shc = (jwsList: string[]) => encryptShlFile(key, Buffer.from(JSON.stringify({ verifiableCredential: jwsList })), 'application/smart-health-card')

  upstream = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    req.resume()
    if (req.method === 'POST' && manifests.has(url.pathname)) {
      res.setHeader('content-type', 'application/json')
      return res.end(JSON.stringify({ files: manifests.get(url.pathname) }))
    }
    if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
      const body = url.pathname.startsWith('/files/big/') ? bigJwe : smallJwe
      served.files += 1
      served.bytes += body.length
      res.setHeader('content-type', 'application/jose')
      return res.end(body)
    }
    res.statusCode = 404
    res.end()
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`

  const locations = (kind: string, n: number) => Array.from({ length: n }, (_, i) => ({ contentType: 'application/octet-stream', location: `${base}/files/${kind}/${i}` }))
  manifests.set('/m/many-large', locations('big', 100))
  manifests.set('/m/few-small', locations('small', 3))
  // Three cards of ~7 MB each once inflated (a few KB compressed): 21 MB > 16 MB in all.
  const sevenMb = 'a'.repeat(7 * 1024 * 1024)
  manifests.set('/m/inflating-cards', [{ contentType: 'application/smart-health-card', embedded: await shc([card(sevenMb), card(sevenMb), card(sevenMb)]) }])
  manifests.set('/m/many-cards', [{ contentType: 'application/smart-health-card', embedded: await shc(Array.from({ length: 101 }, () => card())) }])
  manifests.set('/m/two-cards', [{ contentType: 'application/smart-health-card', embedded: await shc([card(), card('b'.repeat(1024 * 1024))]) }])

  t = await startTestApp({ PUBLIC_URL: base, MAX_IMPORT_MB: '1' })
})
afterAll(async () => {
  await t.close()
  await new Promise<void>((resolve) => upstream.close(() => resolve()))
})

const linkTo = (path: string) => encodeShlink({ url: `${base}${path}`, key: KEY, exp: Math.floor(Date.now() / 1000) + 3600, flag: 'L', v: 1 })

async function importLink(path: string) {
  const p = await registerUser(t)
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: p.headers, payload: { shlink: linkTo(path) } })
  return { p, res }
}

describe('the budget of a SMART Health Link receive (review H1)', () => {
  it('a manifest of 100 large locations is refused with 413 once MAX_IMPORT_MB has been read in all, and nothing is imported', async () => {
    served.files = 0
    served.bytes = 0
    const { p, res } = await importLink('/m/many-large')
    expect(res.statusCode, res.body).toBe(413)
    expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/payload-too-large', detail: expect.stringMatching(/1 MB/) })
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    // 1 MB holds two ~400 KB files; the third goes over and no fourth is asked for.
    expect(served.files).toBe(3)
    expect(served.bytes).toBeLessThanOrEqual(3 * bigJwe.length)
    const records = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: p.headers })).json()
    expect(records.items).toEqual([])
  })

  it('SMART Health Cards inflating past 16 MB in all are 413, as are more than 100 cards', async () => {
    const inflating = (await importLink('/m/inflating-cards')).res
    expect(inflating.statusCode, inflating.body).toBe(413)
    expect(inflating.json().detail).toMatch(/100 cards, 16 MB/)
    const many = (await importLink('/m/many-cards')).res
    expect(many.statusCode, many.body).toBe(413)
    expect(many.json().detail).toMatch(/100 cards, 16 MB/)
  })

  it('a link within the budget still imports', async () => {
    const small = (await importLink('/m/few-small')).res
    expect(small.statusCode, small.body).toBe(200)
    expect(small.json().skipped).toContainEqual(expect.objectContaining({ resourceType: 'application/octet-stream', count: 3 }))
    const cards = (await importLink('/m/two-cards')).res
    expect(cards.statusCode, cards.body).toBe(200)
    expect(cards.json().skipped).toContainEqual(expect.objectContaining({ resourceType: 'SmartHealthCard', count: 2 }))
  })
})
