/**
 * SPEC §4.3: a refused upload (400, 413, 415) reaches the client promptly whatever the body
 * size, and the client's next request works. Driven through a real listener with Node's own
 * fetch (undici keeps connections alive), because `app.inject` has no socket to get stuck.
 * A hang fails a request's 20 s timeout instead of hanging the suite.
 */
import { randomBytes } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { multipartBody } from '../../../test/helpers/uploads.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const KB = 1024
const MB = 1024 * 1024
const REQUEST_TIMEOUT_MS = 20_000

let t: TestApp
let base = ''
let patient: TestUser

beforeAll(async () => {
  t = await startTestApp({ MAX_UPLOAD_MB: '1', MAX_IMPORT_MB: '1' })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v1`
  patient = await registerUser(t)
})
afterAll(async () => t?.close())

/** A request through the process-wide keep-alive client, failing instead of hanging. */
function call(p: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${p}`, {
    ...init,
    headers: { ...patient.headers, ...(init.headers as Record<string, string> | undefined) },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
}

/** The upload as FormData, sent with a Content-Length, the way a browser sends it. */
function uploadForm(category: string, bytes: Buffer): Promise<Response> {
  const form = new FormData()
  form.set('category', category)
  form.set('file', new Blob([new Uint8Array(bytes)]), 'document.pdf')
  return call('/patients/me/records', { method: 'POST', body: form })
}

/** `body` as a stream of 64 KB chunks, so it is sent chunked, without a Content-Length. */
function chunked(body: Buffer): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= body.length) return controller.close()
      controller.enqueue(new Uint8Array(body.subarray(offset, (offset += 64 * KB))))
    },
  })
}

/** The same upload with no Content-Length (Transfer-Encoding: chunked). */
async function uploadChunked(category: string, bytes: Buffer): Promise<Response> {
  const { body, contentType } = await multipartBody({ category }, { name: 'document.pdf', bytes })
  return call('/patients/me/records', { method: 'POST', headers: { 'content-type': contentType }, body: chunked(body), duplex: 'half' } as RequestInit)
}

const pdfOf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)])
/** A Windows executable: recognised by its bytes, and not a type CareLocker stores. */
const exeOf = (size: number) => Buffer.concat([Buffer.from('MZ'), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), randomBytes(size - 64)])

async function expectProblem(res: Response, status: number, slug: string): Promise<void> {
  const body = await res.text()
  expect(res.status, body).toBe(status)
  expect(JSON.parse(body).type).toBe(`https://carelocker.dev/problems/${slug}`)
}

/** The client's next requests on the same keep-alive client are answered (and no record was left behind). */
async function expectNextRequestsWork(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const res = await call('/patients/me/records')
    const body = await res.text()
    expect(res.status, body).toBe(200)
    expect(JSON.parse(body).items).toEqual([])
  }
}

async function blobFiles(): Promise<string[]> {
  const root = path.join(t.dataDir, 'blobs')
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => e.name)
}

const SIZES: [string, number][] = [
  ['200 KB', 200 * KB],
  ['1 MB', 1 * MB],
  ['5 MB', 5 * MB],
]

describe('a refused upload is answered promptly and the connection stays usable (SPEC §4.3)', () => {
  for (const [label, size] of SIZES) {
    it(`400 for a bad category with a ${label} file reaches the client, and its next requests work`, async () => {
      await expectProblem(await uploadForm('xray', pdfOf(size)), 400, 'validation-error')
      await expectNextRequestsWork()
    })

    it(`415 for a ${label} executable reaches the client, and its next requests work`, async () => {
      await expectProblem(await uploadForm('other', exeOf(size)), 415, 'unsupported-media-type')
      await expectNextRequestsWork()
    })
  }

  for (const [label, size] of [['1.5 MB', 1.5 * MB], ['5 MB', 5 * MB]] as const) {
    it(`413 for a ${label} file over MAX_UPLOAD_MB=1 reaches the client, and its next requests work`, async () => {
      await expectProblem(await uploadForm('lab_report', pdfOf(size)), 413, 'payload-too-large')
      await expectNextRequestsWork()
    })
  }

  it('refusals of a chunked upload (no Content-Length) reach the client too', async () => {
    await expectProblem(await uploadChunked('other', exeOf(5 * MB)), 415, 'unsupported-media-type')
    await expectNextRequestsWork()
    await expectProblem(await uploadChunked('lab_report', pdfOf(5 * MB)), 413, 'payload-too-large')
    await expectNextRequestsWork()
    await expectProblem(await uploadChunked('xray', pdfOf(200 * KB)), 400, 'validation-error')
    await expectNextRequestsWork()
  })

  it('a FHIR import over MAX_IMPORT_MB is answered 413, and the next requests work', async () => {
    for (const size of [1.5 * MB, 5 * MB]) {
      const json = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: [], pad: 'x'.repeat(size) }))
      const sized = await call('/patients/me/import', { method: 'POST', headers: { 'content-type': 'application/json' }, body: json })
      await expectProblem(sized, 413, 'payload-too-large')
      await expectNextRequestsWork()
      const streamed = await call('/patients/me/import', {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: chunked(json),
        duplex: 'half',
      } as RequestInit)
      await expectProblem(streamed, 413, 'payload-too-large')
      await expectNextRequestsWork()
    }
  })

  it('after all those refusals no blob is left, and an upload on the same client is stored', async () => {
    expect(await blobFiles()).toEqual([])
    const res = await uploadForm('lab_report', Buffer.from('Haemoglobin 14.1 g/dL\n'))
    expect(res.status, await res.clone().text()).toBe(201)
    expect((await res.json()).contentType).toBe('text/plain')
  })
})
