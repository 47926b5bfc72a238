/** Test helpers for medical records (SPEC §4.3): fixture documents, hand-built multipart bodies, uploads, and what the blob store and the table hold. */
import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { expect } from 'vitest'
import type { TestUser } from './factories.js'
import { fixturePath } from './fixtures.js'
import type { TestApp } from './test-app.js'

/** Real documents from the shared fixtures: a PDF, a PNG and a DICOM Part 10 file. */
export function recordFixtures(): { PDF: Buffer; PNG: Buffer; DICOM: Buffer } {
  const docs = fixturePath('docs')
  return {
    PDF: readFileSync(path.join(docs, 'ccda-unstructured-UD_sample.pdf')),
    PNG: readFileSync(path.join(docs, 'ccda-ResultsWithLabLocation.png')),
    DICOM: readFileSync(path.join(docs, 'pydicom-CT_small.dcm')),
  }
}

export type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer; contentType?: string }

/** A multipart/form-data body built by hand (RFC 7578), parts in the given order. */
export function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
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

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
/** `/api/v1/patients/{pid}/records{rest}`. */
export const url = (pid: string, rest = '') => `/api/v1/patients/${pid}/records${rest}`
export const exists = (p: string) => stat(p).then(() => true, () => false)
/** Today's UTC date, `YYYY-MM-DD`. */
export const today = () => new Date().toISOString().slice(0, 10)

export interface UploadOpts {
  pid?: string
  filename?: string
  fields?: Record<string, string>
  fieldsAfterFile?: boolean
  app?: TestApp
}

/**
 * Helpers bound to a test file's app (`app()` is read at call time, so it may be set in
 * `beforeAll`): uploads (fields before the file unless `fieldsAfterFile`, category
 * `lab_report` unless given), GET, the blob files and record rows of a patient.
 */
export function recordHelpers(app: () => TestApp) {
  const upload = (u: TestUser, data: Buffer, opts: UploadOpts = {}) => {
    const fields = Object.entries({ category: 'lab_report', ...opts.fields }).map(([name, value]) => ({ name, value }))
    const file = { name: 'file', filename: opts.filename ?? 'document.bin', data }
    const body = multipart(opts.fieldsAfterFile ? [file, ...fields] : [...fields, file])
    return (opts.app ?? app()).app.inject({ method: 'POST', url: url(opts.pid ?? 'me'), headers: { ...u.headers, ...body.headers }, payload: body.payload })
  }
  return {
    upload,
    /** Uploads, asserts 201, returns the Record. */
    async uploadOk(u: TestUser, data: Buffer, opts: UploadOpts = {}) {
      const res = await upload(u, data, opts)
      expect(res.statusCode, res.body).toBe(201)
      return res.json()
    },
    get: (u: TestUser, p: string, headers: Record<string, string> = {}) => app().app.inject({ method: 'GET', url: p, headers: { ...u.headers, ...headers } }),
    /** Every file under the blob directory (temp files included), relative paths. */
    async blobFiles(of: TestApp = app()): Promise<string[]> {
      const root = path.join(of.dataDir, 'blobs')
      try {
        const entries = await readdir(root, { recursive: true, withFileTypes: true })
        return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort()
      } catch {
        return []
      }
    },
    rowsOf: (patientId: string, of: TestApp = app()) => of.deps.db.selectFrom('records').selectAll().where('patientId', '=', patientId).execute(),
    /** Where the local store keeps a record's encrypted bytes. */
    async blobPathOf(recordId: string): Promise<string> {
      const row = await app().deps.db.selectFrom('records').select('blobKey').where('id', '=', recordId).executeTakeFirstOrThrow()
      return path.join(app().dataDir, 'blobs', row.blobKey.slice(0, 2), row.blobKey)
    },
  }
}
