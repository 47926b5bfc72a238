/** Records over HTTP (SPEC §4.3): uploads stored by their bytes, encrypted at rest, downloaded whole or by range; file names; the byte-range and type-detection helpers. */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../../test/helpers/factories.js'
import { recordFixtures, recordHelpers, sha256, today, url } from '../../../test/helpers/records.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { parseRangeHeader } from './byte-range.js'
import { detectContentType, isPlainText } from './detect-content-type.js'
import { nextFileName } from './records-upload.service.js'

const { PDF, PNG, DICOM } = recordFixtures()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => t?.close())
const { uploadOk, get, blobFiles } = recordHelpers(() => t)

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
