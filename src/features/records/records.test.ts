import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { parseRangeHeader } from './byte-range.js'
import { detectContentType, isPlainText } from './detect-content-type.js'
import { nextFileName } from './records-upload.service.js'

const FIXTURES = fixturePath('docs')
let PDF = Buffer.alloc(0)
let PNG = Buffer.alloc(0)
let DICOM = Buffer.alloc(0)

let t: TestApp
beforeAll(async () => {
  PDF = await readFile(path.join(FIXTURES, 'ccda-unstructured-UD_sample.pdf'))
  PNG = await readFile(path.join(FIXTURES, 'ccda-ResultsWithLabLocation.png'))
  DICOM = await readFile(path.join(FIXTURES, 'pydicom-CT_small.dcm'))
  t = await startTestApp()
})
afterAll(async () => t?.close())

// ---------------------------------------------------------------------------------------
// Helpers

type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer; contentType?: string }

/** A multipart/form-data body built by hand (RFC 7578), parts in the given order. */
function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----carelocker${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`
    if ('filename' in p) head += `; filename="${p.filename}"\r\nContent-Type: ${p.contentType ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`${head}\r\n\r\n`), 'data' in p ? p.data : Buffer.from(p.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const url = (pid: string, rest = '') => `/api/v1/patients/${pid}/records${rest}`

interface UploadOpts {
  pid?: string
  filename?: string
  fields?: Record<string, string>
  fieldsAfterFile?: boolean
  app?: TestApp
}

function upload(u: TestUser, data: Buffer, opts: UploadOpts = {}) {
  const fields = Object.entries({ category: 'lab_report', ...opts.fields }).map(([name, value]) => ({ name, value }))
  const file = { name: 'file', filename: opts.filename ?? 'document.bin', data }
  const body = multipart(opts.fieldsAfterFile ? [file, ...fields] : [...fields, file])
  return (opts.app ?? t).app.inject({ method: 'POST', url: url(opts.pid ?? 'me'), headers: { ...u.headers, ...body.headers }, payload: body.payload })
}

async function uploadOk(u: TestUser, data: Buffer, opts: UploadOpts = {}) {
  const res = await upload(u, data, opts)
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

const get = (u: TestUser, p: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: p, headers: { ...u.headers, ...headers } })

/** Every file under the blob directory (temp files included), relative paths. */
async function blobFiles(app: TestApp = t): Promise<string[]> {
  const root = path.join(app.dataDir, 'blobs')
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true })
    return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort()
  } catch {
    return []
  }
}

async function rowsOf(patientId: string, app: TestApp = t) {
  return app.deps.db.selectFrom('records').selectAll().where('patientId', '=', patientId).execute()
}

async function blobPathOf(recordId: string): Promise<string> {
  const row = await t.deps.db.selectFrom('records').select('blobKey').where('id', '=', recordId).executeTakeFirstOrThrow()
  return path.join(t.dataDir, 'blobs', row.blobKey.slice(0, 2), row.blobKey)
}

const exists = (p: string) => stat(p).then(() => true, () => false)

async function approvedConsultation(patientId: string, doctorId: string) {
  return t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved' }).returning('id').executeTakeFirstOrThrow()
}

const today = () => new Date().toISOString().slice(0, 10)

// ---------------------------------------------------------------------------------------

describe('upload and download', () => {
  it('stores PDF, PNG and DICOM by their bytes, lists them newest first and returns identical bytes', async () => {
    const p = await registerUser(t)
    const pdf = await uploadOk(p, PDF, { filename: 'scan (final).PDF', fields: { category: 'lab_report', recordDate: '2024-01-15', title: 'Blood panel', doctorName: 'Dr. Ada Lovelace', description: 'Fasting' } })
    const png = await uploadOk(p, PNG, { filename: 'results.png', fields: { category: 'imaging', recordDate: '2025-06-01' } })
    const dcm = await uploadOk(p, DICOM, { filename: 'ct.dcm', fields: { category: 'imaging', recordDate: '2023-03-03' }, fieldsAfterFile: true })

    expect(pdf).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      patientId: p.id,
      fileName: 'LabReport_2024-01-15.pdf',
      originalFileName: 'scan (final).PDF',
      title: 'Blood panel',
      category: 'lab_report',
      contentType: 'application/pdf',
      sizeBytes: PDF.length,
      sha256: sha256(PDF),
      recordDate: '2024-01-15',
      doctorName: 'Dr. Ada Lovelace',
      description: 'Fasting',
      uploadedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      uploadedBy: { id: p.id, role: 'patient', name: 'Test patient' },
      source: 'upload',
    })
    expect(png).toMatchObject({ fileName: 'Imaging_2025-06-01.png', contentType: 'image/png', title: null, doctorName: null, description: null })
    expect(dcm).toMatchObject({ fileName: 'Imaging_2023-03-03.dcm', contentType: 'application/dicom', sizeBytes: DICOM.length })

    const list = await get(p, url('me'))
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((r: { id: string }) => r.id)).toEqual([png.id, pdf.id, dcm.id])
    expect(list.json().nextCursor).toBeNull()

    for (const [rec, bytes] of [[pdf, PDF], [png, PNG], [dcm, DICOM]] as const) {
      const res = await get(p, url('me', `/${rec.id}/content`))
      expect(res.statusCode).toBe(200)
      expect(sha256(res.rawPayload)).toBe(sha256(bytes))
      expect(res.headers['content-type']).toBe(rec.contentType)
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${rec.fileName}"`)
      expect(res.headers.etag).toBe(`"${sha256(bytes)}"`)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers['accept-ranges']).toBe('bytes')
      expect(res.headers['content-length']).toBe(String(bytes.length))
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect((await get(p, url('me', `/${rec.id}`))).json()).toEqual(rec)
    }
    // `me` and the patient's own id are the same locker.
    expect((await get(p, url(p.id))).json()).toEqual(list.json())
  })

  it('serves byte ranges (206 with Content-Range) across encrypted segments, 416 for unsatisfiable ones and 304 for a matching ETag', async () => {
    const p = await registerUser(t)
    const rec = await uploadOk(p, PDF)
    const size = PDF.length
    const content = url('me', `/${rec.id}/content`)
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=65530-65545', 65530, 65545], // spans the first segment boundary (64 KiB)
      ['bytes=70000-140000', 70000, 140000],
      ['bytes=150000-', 150000, size - 1],
      ['bytes=-500', size - 500, size - 1],
      [`bytes=${size - 10}-${size + 1000}`, size - 10, size - 1], // last position clamped
      [`bytes=-${size + 5}`, 0, size - 1],
    ]
    for (const [range, start, end] of cases) {
      const res = await get(p, content, { range })
      expect(res.statusCode, range).toBe(206)
      expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${size}`)
      expect(res.headers['content-length'], range).toBe(String(end - start + 1))
      expect(res.rawPayload.equals(PDF.subarray(start, end + 1)), range).toBe(true)
    }
    for (const range of [`bytes=${size}-`, `bytes=${size + 1}-${size + 5}`, 'bytes=5-2', 'bytes=-0', 'bytes=abc']) {
      const res = await get(p, content, { range })
      expect(res.statusCode, range).toBe(416)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.headers['content-range']).toBe(`bytes */${size}`)
    }
    // Another unit, several ranges, or an If-Range for another version: the whole file.
    for (const headers of [{ range: 'items=0-5' }, { range: 'bytes=0-1,5-6' }, { range: 'bytes=0-1', 'if-range': '"other"' }] as Record<string, string>[]) {
      const res = await get(p, content, headers)
      expect(res.statusCode).toBe(200)
      expect(res.rawPayload.length).toBe(size)
    }
    expect((await get(p, content, { range: 'bytes=0-1', 'if-range': `"${rec.sha256}"` })).statusCode).toBe(206)
    const head = await t.app.inject({ method: 'HEAD', url: content, headers: p.headers })
    expect(head.statusCode).toBe(200)
    expect(head.headers['content-length']).toBe(String(size))
    expect(head.rawPayload.length).toBe(0)
    const notModified = await get(p, content, { 'if-none-match': `"${rec.sha256}"` })
    expect(notModified.statusCode).toBe(304)
    expect(notModified.rawPayload.length).toBe(0)
    expect(notModified.headers.etag).toBe(`"${rec.sha256}"`)
  })

  it('keeps only ciphertext on disk: no blob file contains the plaintext', async () => {
    const p = await registerUser(t)
    const marker = `CARELOCKER-PLAINTEXT-MARKER-${randomBytes(6).toString('hex')}`
    const text = await uploadOk(p, Buffer.from(`Discharge note\r\n\tPatient is well.\n${marker}\n`), { filename: 'note.txt', fields: { category: 'discharge_summary' } })
    expect(text).toMatchObject({ contentType: 'text/plain', fileName: `DischargeSummary_${today()}.txt` })
    await uploadOk(p, PDF)
    const files = await blobFiles()
    expect(files.length).toBeGreaterThanOrEqual(2)
    for (const f of files) {
      const bytes = await readFile(path.join(t.dataDir, 'blobs', f))
      expect(bytes.includes('%PDF')).toBe(false)
      expect(bytes.includes(marker)).toBe(false)
    }
    const res = await get(p, url('me', `/${text.id}/content`))
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(res.body).toContain(marker)
  })
})

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

describe('file names', () => {
  it('adds _2, _3… for the same category and date, also for concurrent uploads, and reuses a name freed by a delete', async () => {
    const p = await registerUser(t)
    const fields = { category: 'lab_report', recordDate: '2026-01-05' }
    const first = await uploadOk(p, PDF, { fields })
    const second = await uploadOk(p, PDF, { fields })
    expect([first.fileName, second.fileName]).toEqual(['LabReport_2026-01-05.pdf', 'LabReport_2026-01-05_2.pdf'])
    // Another extension or category does not count.
    expect((await uploadOk(p, PNG, { fields })).fileName).toBe('LabReport_2026-01-05.png')
    const concurrent = await Promise.all([1, 2, 3].map(() => uploadOk(p, PDF, { fields })))
    expect(concurrent.map((r) => r.fileName).sort()).toEqual(['LabReport_2026-01-05_3.pdf', 'LabReport_2026-01-05_4.pdf', 'LabReport_2026-01-05_5.pdf'])
    expect((await t.app.inject({ method: 'DELETE', url: url('me', `/${second.id}`), headers: p.headers })).statusCode).toBe(204)
    expect((await uploadOk(p, PDF, { fields })).fileName).toBe('LabReport_2026-01-05_2.pdf')
    // Another patient starts again without a suffix.
    const other = await registerUser(t)
    expect((await uploadOk(other, PDF, { fields })).fileName).toBe('LabReport_2026-01-05.pdf')
  })

  it('computes names from category stems', () => {
    expect(nextFileName('discharge_summary', '2026-11-20', '.pdf', new Set())).toBe('DischargeSummary_2026-11-20.pdf')
    expect(nextFileName('lab_report', '2026-11-20', '.pdf', new Set(['LabReport_2026-11-20.pdf', 'LabReport_2026-11-20_2.pdf']))).toBe('LabReport_2026-11-20_3.pdf')
  })
})

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

describe('who may do what (SPEC §3)', () => {
  it('another patient, a doctor without an approved consultation and a mismatched pid get 404 on every record route', async () => {
    const owner = await registerUser(t)
    const rec = await uploadOk(owner, PNG)
    const stranger = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    for (const u of [stranger, doctor]) {
      expect((await get(u, url(owner.id))).statusCode).toBe(404)
      for (const suffix of ['', '/content', '/verify']) expect((await get(u, url(owner.id, `/${rec.id}${suffix}`))).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'PATCH', url: url(owner.id, `/${rec.id}`), headers: u.headers, payload: { title: 'x' } })).statusCode).toBe(404)
      expect((await t.app.inject({ method: 'DELETE', url: url(owner.id, `/${rec.id}`), headers: u.headers })).statusCode).toBe(404)
      expect((await upload(u, PNG, { pid: owner.id })).statusCode).toBe(404)
    }
    // The stranger's own locker does not contain the owner's record either.
    for (const suffix of ['', '/content', '/verify']) expect((await get(stranger, url('me', `/${rec.id}${suffix}`))).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'DELETE', url: url('me', `/${rec.id}`), headers: stranger.headers })).statusCode).toBe(404)
    // A doctor has no `me` locker.
    expect((await get(doctor, url('me'))).statusCode).toBe(404)
    expect(await rowsOf(owner.id)).toHaveLength(1)
  })

  it('a pending doctor, a pharmacist and an admin get 403 on the record routes', async () => {
    const owner = await registerUser(t)
    const rec = await uploadOk(owner, PNG)
    const pending = await registerUser(t, 'doctor')
    const admin = await createAdmin(t)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const [u, code] of [[pending, 'account-not-verified'], [pharmacist, 'forbidden'], [admin, 'forbidden']] as const) {
      const list = await get(u, url(owner.id))
      expect(list.statusCode).toBe(403)
      expect(list.json().type).toBe(`https://carelocker.dev/problems/${code}`)
      expect((await get(u, url(owner.id, `/${rec.id}/content`))).statusCode).toBe(403)
      expect((await upload(u, PNG, { pid: owner.id })).statusCode).toBe(403)
      expect((await t.app.inject({ method: 'DELETE', url: url(owner.id, `/${rec.id}`), headers: u.headers })).statusCode).toBe(403)
    }
    expect((await t.app.inject({ method: 'GET', url: url(owner.id) })).statusCode).toBe(401)
  })

  it('a doctor with an approved consultation lists, reads, downloads and adds records, gets 403 on PATCH/DELETE, and 404 once it ended', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const rec = await uploadOk(patient, PDF)
    const consultation = await approvedConsultation(patient.id, doctor.id)

    expect((await get(doctor, url(patient.id))).json().items.map((r: { id: string }) => r.id)).toEqual([rec.id])
    expect((await get(doctor, url(patient.id, `/${rec.id}`))).json()).toEqual(rec)
    const content = await get(doctor, url(patient.id, `/${rec.id}/content`))
    expect(sha256(content.rawPayload)).toBe(rec.sha256)
    expect((await get(doctor, url(patient.id, `/${rec.id}/verify`))).json().matches).toBe(true)
    const added = await uploadOk(doctor, PNG, { pid: patient.id, fields: { category: 'clinical_note', doctorName: 'Dr. Test' } })
    expect(added).toMatchObject({ patientId: patient.id, uploadedBy: { id: doctor.id, role: 'doctor', name: 'Test doctor' } })
    expect((await get(patient, url('me', `/${added.id}`))).statusCode).toBe(200)

    const patch = await t.app.inject({ method: 'PATCH', url: url(patient.id, `/${rec.id}`), headers: doctor.headers, payload: { title: 'x' } })
    expect(patch.statusCode).toBe(403)
    const del = await t.app.inject({ method: 'DELETE', url: url(patient.id, `/${added.id}`), headers: doctor.headers })
    expect(del.statusCode).toBe(403)

    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', consultation.id).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await get(doctor, url(patient.id))).statusCode).toBe(404)
    for (const suffix of ['', '/content', '/verify']) expect((await get(doctor, url(patient.id, `/${rec.id}${suffix}`))).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'PATCH', url: url(patient.id, `/${rec.id}`), headers: doctor.headers, payload: { title: 'x' } })).statusCode).toBe(404)
    expect((await upload(doctor, PNG, { pid: patient.id })).statusCode).toBe(404)
    expect(await rowsOf(patient.id)).toHaveLength(2)
  })
})

describe('pure helpers', () => {
  it('parses Range headers per RFC 9110', () => {
    expect(parseRangeHeader(undefined, 10)).toEqual({ kind: 'full' })
    expect(parseRangeHeader('bytes=2-4', 10)).toEqual({ kind: 'partial', start: 2, end: 4 })
    expect(parseRangeHeader('bytes=-3', 10)).toEqual({ kind: 'partial', start: 7, end: 9 })
    expect(parseRangeHeader('bytes=8-', 10)).toEqual({ kind: 'partial', start: 8, end: 9 })
    expect(parseRangeHeader('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRangeHeader('bytes=10-', 10)).toEqual({ kind: 'unsatisfiable' })
  })

  it('detects types by bytes, including HEIC and WebP, and text only when it is clean UTF-8', async () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(4), Buffer.from('mif1heic'), Buffer.alloc(64)])
    expect(await detectContentType(heic, true)).toEqual({ contentType: 'image/heic', extension: '.heic' })
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(64)])
    expect(await detectContentType(webp, true)).toEqual({ contentType: 'image/webp', extension: '.webp' })
    expect(await detectContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]), true)).toEqual({ contentType: 'image/jpeg', extension: '.jpg' })
    expect(await detectContentType(Buffer.from('Blutdruck 120/80 — gut ✓\n'), true)).toEqual({ contentType: 'text/plain', extension: '.txt' })
    // A multi-byte character cut at the end of a sample is fine; inside a complete file it is not.
    const cut = Buffer.from('ab✓').subarray(0, 4)
    expect(isPlainText(cut, false)).toBe(true)
    expect(isPlainText(cut, true)).toBe(false)
    expect(isPlainText(Buffer.from('a\u0000b'), true)).toBe(false)
    expect(isPlainText(Buffer.from('bell\u0007'), true)).toBe(false)
    expect(await detectContentType(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), true)).toBeUndefined()
  })
})
