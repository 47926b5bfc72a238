/**
 * SPEC §11 fault: a server process killed with SIGKILL in the middle of uploads leaves no
 * record row, and the orphan sweeper removes what the uploads had stored — on local disk
 * and on S3 (a real s3rver started here), on this run's database engine (PGlite in the
 * locker's DATA_DIR, reopened by the restarted process, or a fresh PostgreSQL database).
 *
 * Two uploads are in flight on a real server process when it is killed:
 * - A has sent its whole file part and the start of a next field, and is held there: its
 *   encrypted blob is complete in the store (a file, an S3 object) and its row is not
 *   written yet (the service inserts it once the body has been read);
 * - B has sent part of its file: on local disk its bytes are in a temp file; on S3 they
 *   are parts of a multipart upload (s3rver cannot list or abort those, so only S3's own
 *   API view — no object — is checked for B there).
 * The process is restarted with ORPHAN_SWEEP_AGE_MIN=0, so its start-up sweep removes both.
 */
import { readdir } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLocalBlobStore } from '../../src/storage/local-blob-store.js'
import type { BlobStore } from '../../src/storage/blob-store.js'
import { createS3BlobStore } from '../../src/storage/s3-blob-store.js'
import { clusterSecrets, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js'
import { waitUntil } from '../helpers/wait.js'
import { listRecordIds, login, newPlace, placeEnv, registerPatient, textFile, type LockerPlace } from './ops-helpers.js'

const MiB = 1024 * 1024

let s3: S3TestServer
beforeAll(async () => {
  s3 = await startS3Server()
})
afterAll(async () => {
  await s3?.close()
})

/** An upload the test writes by hand and never finishes (the server dies first). */
function heldUpload(node: NodeProcess, token: string): { send(chunk: Buffer | string): Promise<void>; boundary: string } {
  const boundary = `----sigkill${Date.now().toString(16)}`
  const req = http.request(`${node.url}/api/v1/patients/me/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  })
  // The server is killed under it: the socket error is the expected end.
  req.on('error', () => undefined)
  req.on('response', (res) => res.resume())
  const send = (chunk: Buffer | string) => new Promise<void>((resolve, reject) => req.write(chunk, (err) => (err ? reject(err) : resolve())))
  return { send, boundary }
}

const fieldPart = (boundary: string, name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
const fileHead = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`

async function keysIn(store: BlobStore): Promise<string[]> {
  const keys: string[] = []
  for await (const entry of store.list()) keys.push(entry.key)
  return keys
}

/** Every file under dir (temp files included), names only. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => e.name)
}

describe.each(['local', 's3'] as const)('SIGKILL mid-upload on %s storage', (driver) => {
  let place: LockerPlace
  const nodes: NodeProcess[] = []
  afterAll(async () => {
    for (const node of nodes) await node.stop()
    await place?.drop()
  })

  it('leaves no record row, and the sweeper of the restarted process removes the stored blob and the partial one', async () => {
    place = await newPlace()
    const blobsDir = path.join(place.dataDir, 'blobs')
    const s3Store = driver === 's3' ? createS3BlobStore(s3.storage) : undefined
    const store: BlobStore = s3Store ?? createLocalBlobStore(blobsDir)
    const env = { ...placeEnv(place), ...(driver === 's3' ? s3.env : {}) }
    const secrets = clusterSecrets()
    const before = await keysIn(store)

    const first = await startNodeProcess({ databaseUrl: place.databaseUrl, secrets, env })
    nodes.push(first)
    const patient = await registerPatient(first)

    const a = heldUpload(first, patient.token)
    await a.send(fieldPart(a.boundary, 'category', 'lab_report') + fileHead(a.boundary))
    await a.send(textFile(6 * MiB))
    // The file part ends here; the next part has begun, so the body is not read to its end.
    await a.send(`\r\n--${a.boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nnot yet`)

    const b = heldUpload(first, patient.token)
    await b.send(fieldPart(b.boundary, 'category', 'lab_report') + fileHead(b.boundary))
    await b.send(textFile(7 * MiB))

    const [storedA] = await waitUntil(async () => {
      const added = (await keysIn(store)).filter((k) => !before.includes(k))
      return added.length === 1 ? added : undefined
    }, 60_000, "upload A's complete blob in the store")
    if (driver === 'local') {
      await waitUntil(async () => (await filesUnder(blobsDir)).some((name) => name.endsWith('.tmp')), 60_000, "upload B's temp file")
    }

    process.kill(first.pid, 'SIGKILL')
    await waitUntil(() => first.exited(), 30_000, 'the killed process to exit')
    expect(await keysIn(store)).toContain(storedA) // the kill left it: nothing cleaned up after itself

    const second = await startNodeProcess({ databaseUrl: place.databaseUrl, secrets, env: { ...env, ORPHAN_SWEEP_AGE_MIN: '0' } })
    nodes.push(second)
    expect(await listRecordIds(second, await login(second, patient))).toEqual([])
    await waitUntil(async () => !(await keysIn(store)).includes(storedA!), 60_000, 'the sweeper to remove the orphaned blob')
    if (driver === 'local') {
      await waitUntil(async () => (await filesUnder(blobsDir)).length === 0, 60_000, "the sweeper to remove upload B's temp file")
    }
    expect((await keysIn(store)).filter((k) => !before.includes(k))).toEqual([])
    s3Store?.close()
  })
})
