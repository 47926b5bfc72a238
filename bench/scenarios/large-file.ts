/**
 * A large upload and download streamed through real HTTP requests (SPEC §4.3, §7): the
 * multipart body is generated on the fly (a PDF header, then pseudo-random bytes in
 * 256 KiB chunks, never held whole in memory), the download is hashed as it arrives.
 * Measures MiB/s both ways and the server's RSS growth during each, on local disk
 * (`runLargeFile`) and on S3 (`runLargeFileOnS3`, against an s3rver it starts).
 */
import { createHash, randomBytes, randomFillSync } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { startS3Server } from '../../test/helpers/s3-server.js'
import type { BenchPatient } from '../api-client.js'
import { authHeaders, registerPatient } from '../api-client.js'
import { MIB, type TransferResult } from '../report.js'
import { startBenchServer, type BenchServer } from '../server-process.js'
import { withServerMemory } from './memory.js'

const CHUNK = 256 * 1024
const PDF_HEADER = Buffer.from('%PDF-1.7\n')
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

/** `bytes` of a fake PDF in chunks, hashing them into `hash` as they are produced. */
async function* pdfChunks(bytes: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  const chunks = Math.ceil(bytes / CHUNK)
  for (let i = 0; i < chunks; i++) {
    const chunk = randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, bytes - i * CHUNK)))
    if (i === 0) PDF_HEADER.copy(chunk, 0, 0, Math.min(PDF_HEADER.length, chunk.length))
    hash.update(chunk)
    yield chunk
  }
}

interface HttpAnswer {
  status: number
  body: string
}

/** POSTs a streamed multipart body with an exact Content-Length; resolves with the answer. */
function postStream(url: URL, headers: Record<string, string>, body: AsyncIterable<Buffer>): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    // The server may answer (413, 415) before the body is sent; the answer is what counts.
    pipeline(Readable.from(body), req).catch(() => undefined)
  })
}

/**
 * Uploads `sizeMb` MiB as `lab_report` for the patient (`POST /patients/me/records`), then
 * downloads it (`GET …/{id}/content`) and compares the sha256 of what came back with what
 * was sent (and with the record's `sha256`). Returns the upload and download results (the
 * download's `sha256Matches`); only the upload when it was not a 201.
 */
export async function runLargeFile(server: BenchServer, patient: BenchPatient, sizeMb: number): Promise<TransferResult[]> {
  const bytes = sizeMb * MIB
  const auth = await authHeaders(server.baseUrl, patient)
  const boundary = `----carelocker-bench-${randomBytes(8).toString('hex')}`
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nlab_report\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBench upload ${sizeMb} MB\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-${sizeMb}mb.pdf"\r\n` +
      'Content-Type: application/pdf\r\n\r\n',
  )
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const sent = createHash('sha256')
  async function* body(): AsyncGenerator<Buffer> {
    yield head
    yield* pdfChunks(bytes, sent)
    yield tail
  }

  const url = new URL(`${server.baseUrl}/api/v1/patients/me/records`)
  const up = await withServerMemory(server, async () => {
    const t0 = performance.now()
    const answer = await postStream(url, {
      ...auth,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + bytes + tail.length),
    }, body())
    return { answer, seconds: (performance.now() - t0) / 1000 }
  })
  const uploadSha = sent.digest('hex')
  const upload: TransferResult = {
    kind: 'transfer',
    name: 'upload',
    bytes,
    seconds: round(up.value.seconds, 2),
    mbPerSec: round(bytes / MIB / up.value.seconds),
    status: up.value.answer.status,
    sha256: uploadSha,
    serverMemory: up.memory,
  }
  if (up.value.answer.status !== 201) {
    console.error(`upload → ${up.value.answer.status}: ${up.value.answer.body.slice(0, 300)}`)
    return [upload]
  }
  const record = JSON.parse(up.value.answer.body) as { id: string; sha256: string }

  const received = createHash('sha256')
  let receivedBytes = 0
  const down = await withServerMemory(server, async () => {
    const t0 = performance.now()
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(new URL(`${server.baseUrl}/api/v1/patients/me/records/${record.id}/content`), { headers: auth }, (res) => {
          const sink = new Writable({
            write(chunk: Buffer, _enc, done) {
              received.update(chunk)
              receivedBytes += chunk.length
              done()
            },
          })
          pipeline(res, sink).then(() => resolve(res.statusCode ?? 0), reject)
        })
        .on('error', reject)
    })
    return { status, seconds: (performance.now() - t0) / 1000 }
  })
  const downloadSha = received.digest('hex')
  const download: TransferResult = {
    kind: 'transfer',
    name: 'download',
    bytes: receivedBytes,
    seconds: round(down.value.seconds, 2),
    mbPerSec: round(receivedBytes / MIB / down.value.seconds),
    status: down.value.status,
    sha256: downloadSha,
    sha256Matches: downloadSha === uploadSha && record.sha256 === uploadSha,
    serverMemory: down.memory,
  }
  return [upload, download]
}

/**
 * `runLargeFile` with `STORAGE=s3` (SPEC §11: streamed multipart upload, memory flat):
 * starts s3rver (a real S3-compatible server, objects in a temporary directory) and a
 * second bench server on it with `env` (the engine's; PGlite gets its own new DATA_DIR,
 * PostgreSQL shares the database as a second node would), then uploads and downloads
 * `sizeMb` MiB. Stops both and removes their directories, whatever happens.
 */
export async function runLargeFileOnS3(env: Record<string, string>, sizeMb: number): Promise<TransferResult[]> {
  const s3 = await startS3Server({ bucket: 'carelocker-bench' })
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-bench-s3-'))
  let server: BenchServer | undefined
  try {
    server = await startBenchServer({ ...env, ...s3.env, DATA_DIR: dataDir })
    const results = await runLargeFile(server, await registerPatient(server.baseUrl, 'upload-s3'), sizeMb)
    return results.map((result) => ({ ...result, storage: 's3' as const }))
  } finally {
    await server?.stop()
    await s3.close()
    await rm(dataDir, { recursive: true, force: true })
  }
}
