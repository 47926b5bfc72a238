/** Refused and aborted uploads (SPEC §4.3): 400 with the field path, 413, 415, a client gone mid-stream — and none of them leaves a row or a blob. */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { multipart, recordFixtures, recordHelpers, url } from '../../../test/helpers/records.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const { PDF, PNG, DICOM } = recordFixtures()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())
const { upload, blobFiles, rowsOf } = recordHelpers(() => t)

describe('refused uploads leave no row and no blob', () => {
  it('answers 415 for an .exe renamed .pdf, a DICOM without its preamble, binary junk and an empty file is 400', async () => {
    const p = await registerUser(t)
    const before = await blobFiles()
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(4000)])
    for (const [data, filename] of [
      [exe, 'invoice.pdf'],
      [DICOM.subarray(128), 'ct.dcm'],
      [Buffer.concat([Buffer.from('plain start '), Buffer.from([0, 1, 2, 3]), randomBytes(100)]), 'notes.txt'],
      [Buffer.from('PK\x03\x04zipzipzip'), 'a.docx'],
    ] as const) {
      const res = await upload(p, data, { filename, fields: { category: 'other' } })
      expect(res.statusCode, filename).toBe(415)
      expect(res.json().type).toBe('https://carelocker.dev/problems/unsupported-media-type')
    }
    const empty = await upload(p, Buffer.alloc(0))
    expect(empty.statusCode).toBe(400)
    expect(empty.json().errors).toEqual([{ path: '/file', message: 'The file is empty.' }])
    expect(await rowsOf(p.id)).toEqual([])
    expect(await blobFiles()).toEqual(before)
  })

  it('answers 400 with the field path for unknown fields, a bad category or date, and deletes a blob written before bad fields', async () => {
    const p = await registerUser(t)
    const before = await blobFiles()
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)
    const cases: [Record<string, string>, string, boolean][] = [
      [{ isPublic: 'true' }, '/isPublic', false],
      [{ isPublic: 'true' }, '/isPublic', true],
      [{ category: 'xray' }, '/category', false],
      [{ category: 'xray' }, '/category', true],
      [{ recordDate: '2026-02-30' }, '/recordDate', true],
      [{ recordDate: '20-01-2024' }, '/recordDate', false],
      [{ recordDate: tomorrow }, '/recordDate', true],
      [{ title: 'x'.repeat(201) }, '/title', true],
    ]
    for (const [fields, pointer, after] of cases) {
      const res = await upload(p, PNG, { fields, fieldsAfterFile: after })
      expect(res.statusCode, `${pointer} after=${after}`).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(pointer)
    }
    // No category at all, a file under another name, no file, two files.
    const noCategory = multipart([{ name: 'file', filename: 'a.png', data: PNG }])
    const res1 = await t.app.inject({ method: 'POST', url: url('me'), headers: { ...p.headers, ...noCategory.headers }, payload: noCategory.payload })
    expect(res1.json().errors.map((e: { path: string }) => e.path)).toEqual(['/category'])
    const wrongName = multipart([{ name: 'category', value: 'other' }, { name: 'upload', filename: 'a.png', data: PNG }])
    const res2 = await t.app.inject({ method: 'POST', url: url('me'), headers: { ...p.headers, ...wrongName.headers }, payload: wrongName.payload })
    expect(res2.statusCode).toBe(400)
    expect(res2.json().errors[0].path).toBe('/upload')
    const noFile = multipart([{ name: 'category', value: 'other' }])
    const res3 = await t.app.inject({ method: 'POST', url: url('me'), headers: { ...p.headers, ...noFile.headers }, payload: noFile.payload })
    expect(res3.statusCode).toBe(400)
    expect(res3.json().errors[0].path).toBe('/file')
    const twoFiles = multipart([{ name: 'category', value: 'other' }, { name: 'file', filename: 'a.png', data: PNG }, { name: 'file', filename: 'b.png', data: PNG }])
    const res4 = await t.app.inject({ method: 'POST', url: url('me'), headers: { ...p.headers, ...twoFiles.headers }, payload: twoFiles.payload })
    expect(res4.statusCode).toBe(400)
    // JSON instead of multipart.
    const json = await t.app.inject({ method: 'POST', url: url('me'), headers: p.headers, payload: { category: 'other' } })
    expect(json.statusCode).toBe(415)
    expect(await rowsOf(p.id)).toEqual([])
    expect(await blobFiles()).toEqual(before)
  })

  it('answers 413 over MAX_UPLOAD_MB and stores nothing', async () => {
    const small = await startTestApp({ MAX_UPLOAD_MB: '1' })
    try {
      const p = await registerUser(small)
      const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(1.5 * 1024 * 1024)])
      for (const fieldsAfterFile of [false, true]) {
        const res = await upload(p, big, { app: small, fieldsAfterFile })
        expect(res.statusCode, res.body).toBe(413)
        expect(res.json().type).toBe('https://carelocker.dev/problems/payload-too-large')
      }
      expect(await rowsOf(p.id, small)).toEqual([])
      expect(await blobFiles(small)).toEqual([])
      // Just under the limit is fine.
      const ok = await upload(p, big.subarray(0, 1024 * 1024), { app: small })
      expect(ok.statusCode, ok.body).toBe(201)
    } finally {
      await small.close()
    }
  })

  it('an upload aborted by the client mid-stream leaves no row and no blob', async () => {
    const p = await registerUser(t)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.app.server.address() as AddressInfo
    const before = await blobFiles()
    const boundary = '----carelockerabort'
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: url('me'),
      headers: { ...p.headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(10 * 1024 * 1024) },
    })
    req.on('error', () => undefined)
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nother\r\n`)
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`)
    req.write(Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(512 * 1024)]))
    // Wait until the server is streaming into a temp blob, then cut the connection.
    const deadline = Date.now() + 10_000
    while ((await blobFiles()).length === before.length) {
      if (Date.now() > deadline) throw new Error('the upload never reached the blob store')
      await new Promise((r) => setTimeout(r, 20))
    }
    req.destroy()
    const settle = Date.now() + 10_000
    while ((await blobFiles()).length !== before.length) {
      if (Date.now() > settle) break
      await new Promise((r) => setTimeout(r, 20))
    }
    await new Promise((r) => setTimeout(r, 100))
    expect(await blobFiles()).toEqual(before)
    expect(await rowsOf(p.id)).toEqual([])
  })
})
