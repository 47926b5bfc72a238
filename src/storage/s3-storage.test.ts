/**
 * `STORAGE=s3` through the HTTP API against a real S3-compatible server (s3rver, started
 * here) on the test's database engine (SPEC §11): files round-trip with ranges, a delete
 * removes the object, a wrong bucket or credentials stop the start, and with S3 stopped the
 * file routes answer a 503 problem while the rest of the API keeps working and an upload
 * leaves no row. The orphan sweeper's rules run on both drivers.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../test/helpers/factories.js'
import { fixturePath } from '../../test/helpers/fixtures.js'
import { startS3Server, type S3TestServer } from '../../test/helpers/s3-server.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { multipartBody, uploadRecord } from '../../test/helpers/uploads.js'
import type { BlobStore } from './blob-store.js'
import { createLocalBlobStore } from './local-blob-store.js'
import { sweepOrphans } from './orphan-sweeper.js'
import { createS3BlobStore, type S3BlobStore } from './s3-blob-store.js'

let s3: S3TestServer
let t: TestApp
let raw: S3BlobStore
let PDF = Buffer.alloc(0)

beforeAll(async () => {
  PDF = await readFile(path.join(fixturePath('docs'), 'ccda-unstructured-UD_sample.pdf'))
  s3 = await startS3Server()
  t = await startTestApp(s3.env)
  raw = createS3BlobStore(s3.storage)
})
afterAll(async () => {
  raw?.close()
  await t?.close()
  await s3?.close()
})

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const records = (rest = '') => `/api/v1/patients/me/records${rest}`
const get = (u: TestUser, url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers: { ...u.headers, ...headers } })

async function objectKeys(): Promise<string[]> {
  const keys: string[] = []
  for await (const entry of raw.list()) keys.push(entry.key)
  return keys
}

async function blobKeyOf(id: string): Promise<string> {
  return (await t.deps.db.selectFrom('records').select('blobKey').where('id', '=', id).executeTakeFirstOrThrow()).blobKey
}

describe('records on S3', () => {
  it('stores the encrypted file as one object, serves it whole and by ranges, verifies it, and a delete removes the object', async () => {
    const p = await registerUser(t)
    const big = Buffer.concat([PDF, randomBytes(3 * 65536)]) // a PDF by its first bytes, several segments long
    const rec = await uploadRecord(t, p, { name: 'scan.pdf', bytes: big })
    const key = await blobKeyOf(rec.id)
    expect(await objectKeys()).toContain(key)
    const stored = Buffer.concat(await (await raw.get(key)).toArray())
    expect(stored.includes(big.subarray(70_000, 70_016))).toBe(false)

    const whole = await get(p, records(`/${rec.id}/content`))
    expect(whole.statusCode).toBe(200)
    expect(sha256(whole.rawPayload)).toBe(sha256(big))

    const part = await get(p, records(`/${rec.id}/content`), { range: 'bytes=65530-131080' })
    expect(part.statusCode).toBe(206)
    expect(part.headers['content-range']).toBe(`bytes 65530-131080/${big.length}`)
    expect(part.rawPayload.equals(big.subarray(65530, 131081))).toBe(true)

    expect((await get(p, records(`/${rec.id}/verify`))).json()).toEqual({ sha256: sha256(big), matches: true })

    const del = await t.app.inject({ method: 'DELETE', url: records(`/${rec.id}`), headers: p.headers })
    expect(del.statusCode).toBe(204)
    expect(await objectKeys()).not.toContain(key)
  })

  it('refused uploads store no object: 413 over MAX_UPLOAD_MB (after a multipart upload began), 415 for a type not kept', async () => {
    const small = await startTestApp({ ...s3.env, MAX_UPLOAD_MB: '6' })
    try {
      const p = await registerUser(small)
      const before = await objectKeys()
      const post = async (name: string, bytes: Buffer) => {
        const { body, contentType } = await multipartBody({ category: 'other' }, { name, bytes })
        return small.app.inject({ method: 'POST', url: records(), headers: { ...p.headers, 'content-type': contentType }, payload: body })
      }
      const tooLarge = await post('big.pdf', Buffer.concat([PDF, randomBytes(7 * 1024 * 1024)]))
      expect(tooLarge.statusCode, tooLarge.body).toBe(413)
      const exe = await post('invoice.pdf', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(4000)]))
      expect(exe.statusCode, exe.body).toBe(415)
      expect(await small.deps.db.selectFrom('records').select('id').where('patientId', '=', p.id).execute()).toEqual([])
      expect(await objectKeys()).toEqual(before)
    } finally {
      await small.close()
    }
  })

  it('a wrong bucket stops the start with a message naming S3_BUCKET, refused credentials S3_ACCESS_KEY_ID, an endpoint that does not answer S3_ENDPOINT', async () => {
    await expect(startTestApp({ ...s3.env, S3_BUCKET: 'no-such-bucket' })).rejects.toThrow(/S3_BUCKET: the bucket "no-such-bucket" does not exist/)
    await expect(startTestApp({ ...s3.env, S3_ACCESS_KEY_ID: 'UNKNOWN-KEY' })).rejects.toThrow(/S3_ACCESS_KEY_ID: S3 refused the credentials/)
    await expect(startTestApp({ ...s3.env, S3_BUCKET: 'ab' })).rejects.toThrow(/S3_BUCKET: must be a bucket name/)
    await expect(startTestApp({ ...s3.env, S3_ENDPOINT: 'http://127.0.0.1:1' })).rejects.toThrow(/S3_ENDPOINT: the S3 endpoint does not answer/)
  })

  it('with S3 stopped, file routes answer a 503 storage-unavailable problem, the rest works, and an upload leaves no row; all recover when S3 is back', async () => {
    const p = await registerUser(t)
    const rec = await uploadRecord(t, p, { name: 'scan.pdf', bytes: PDF })
    await s3.stop()
    try {
      for (const url of [records(`/${rec.id}/content`), records(`/${rec.id}/verify`)]) {
        const res = await get(p, url)
        expect(res.statusCode, url).toBe(503)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/storage-unavailable', title: 'File storage unavailable', status: 503 })
      }
      const { body, contentType } = await multipartBody({ category: 'lab_report' }, { name: 'new.pdf', bytes: PDF })
      const upload = await t.app.inject({ method: 'POST', url: records(), headers: { ...p.headers, 'content-type': contentType }, payload: body })
      expect(upload.statusCode, upload.body).toBe(503)
      expect(upload.json().type).toBe('https://carelocker.dev/problems/storage-unavailable')

      expect((await get(p, '/api/v1/patients/me/profile')).statusCode).toBe(200)
      const list = await get(p, records())
      expect(list.statusCode).toBe(200)
      expect(list.json().items.map((r: { id: string }) => r.id)).toEqual([rec.id])
      const rows = await t.deps.db.selectFrom('records').select('id').where('patientId', '=', p.id).execute()
      expect(rows).toEqual([{ id: rec.id }])
    } finally {
      await s3.start()
    }
    expect((await get(p, records(`/${rec.id}/content`))).statusCode).toBe(200)
    await uploadRecord(t, p, { name: 'new.pdf', bytes: PDF })
  })
})

describe.each([
  { name: 'local', open: (app: TestApp): BlobStore => createLocalBlobStore(path.join(app.dataDir, 'orphan-sweep-blobs')) },
  { name: 's3', open: (): BlobStore => raw },
])('the orphan sweeper on $name storage', ({ open }) => {
  it('removes blobs with no row once older than the age, and never a blob a record references', async () => {
    const store = open(t)
    const p = await registerUser(t)
    const rec = await uploadRecord(t, p, { name: 'scan.pdf', bytes: PDF })
    const referenced = await blobKeyOf(rec.id)
    // On S3 the record's object is in the swept store; on local disk put a blob under its key too.
    if (!(await store.exists(referenced))) await store.put(referenced, Readable.from([Buffer.from('kept')]))
    const orphan = randomUUID()
    await store.put(orphan, Readable.from([randomBytes(100)]))
    const engine = t.deps.database.engine

    const young = await sweepOrphans(t.deps.db, store, { ageMinutes: 60, now: () => new Date(), engine })
    expect(young.locked).toBe(true)
    expect(await store.exists(orphan)).toBe(true)

    const result = await sweepOrphans(t.deps.db, store, { ageMinutes: 1, now: () => new Date(Date.now() + 120_000), engine })
    expect(result.removed).toBeGreaterThanOrEqual(1)
    expect(await store.exists(orphan)).toBe(false)
    expect(await store.exists(referenced)).toBe(true)
    expect((await get(p, records(`/${rec.id}/content`))).statusCode).toBe(200)
  })
})
