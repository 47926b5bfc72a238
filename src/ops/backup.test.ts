/**
 * The two races a live backup meets (SPEC §11, src/ops/backup.ts), made to happen for real
 * at the one moment that matters — after the snapshot, before the blobs are copied — by the
 * archive's output, which holds the backup there while a patient acts over HTTP:
 * - a record deleted then (data key destroyed, blob removed) is restored as deleted, never
 *   as a live record pointing to a missing file;
 * - a live record whose blob vanished from storage stops the backup with MissingBlobError.
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { uploadRecord } from '../../test/helpers/uploads.js'
import { createLocalBlobStore } from '../storage/local-blob-store.js'
import { createArchiveEncryptor, readEntries } from './archive.js'
import { MissingBlobError, writeBackup } from './backup.js'
import { restoreBackup } from './restore.js'

const apps: TestApp[] = []
afterAll(async () => {
  for (const t of apps) await t.close()
})

/** Shared by source and target: a restored locker runs with the backed-up one's secrets. */
const MASTER_KEY = randomBytes(32).toString('base64')
const JWT_SECRET = randomBytes(32).toString('base64url')
const start = async (env: Record<string, string> = {}) => {
  const t = await startTestApp({ MASTER_KEY, JWT_SECRET, ...env })
  apps.push(t)
  return t
}
const storeOf = (t: TestApp) => createLocalBlobStore(path.join(t.dataDir, 'blobs'))

/** A plaintext sink that runs `act` once, when the first byte after the snapshot (the sequences entry) arrives. */
function sinkActingAfterSnapshot(act: () => Promise<void>): { out: Writable; bytes: Buffer[] } {
  const bytes: Buffer[] = []
  let acted = false
  // highWaterMark 1: every write waits for its callback (backpressure), so the backup really pauses during `act`.
  const out = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, callback) {
      bytes.push(chunk)
      if (!acted && chunk.includes('sequences.json')) {
        acted = true
        act().then(() => callback(), callback)
      } else callback()
    },
  })
  return { out, bytes }
}

async function upload(t: TestApp, u: TestUser, text: string): Promise<string> {
  return (await uploadRecord(t, u, { name: 'a.txt', bytes: text })).id
}

describe('a backup while patients act', () => {
  it('restores a record deleted between the snapshot and the copy of its blob as deleted', async () => {
    const source = await start()
    const u = await registerUser(source)
    const kept = await upload(source, u, 'kept record')
    const doomed = await upload(source, u, 'deleted during the backup')
    const { out, bytes } = sinkActingAfterSnapshot(async () => {
      const res = await source.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${doomed}`, headers: u.headers })
      expect(res.statusCode).toBe(204)
    })
    const summary = await writeBackup({ db: source.deps.db.withoutPlugins(), engine: source.deps.database.engine, store: storeOf(source), out, now: new Date() })
    expect(summary).toMatchObject({ blobs: 1, shredded: 1 })
    const names: string[] = []
    for await (const e of readEntries((async function* () { yield* bytes })())) names.push(e.name)
    expect(names.filter((n) => n.startsWith('blob/'))).toHaveLength(1)

    // Into an empty locker (no job workers, so no sealer writes a tree head into it first).
    const file = path.join(source.dataDir, 'race.clbk')
    const key = randomBytes(32)
    const { input, done } = createArchiveEncryptor(key, createWriteStream(file))
    for (const b of bytes) input.write(b)
    input.end()
    await done
    const target = await start({ JOB_WORKERS: 'false' })
    const restored = await restoreBackup({ file, key, db: target.deps.db.withoutPlugins(), store: storeOf(target), masterKeys: [Buffer.from(MASTER_KEY, 'base64')] })
    expect(restored).toMatchObject({ blobs: 1, shredded: 1 })
    const list = await target.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: u.headers })
    expect(list.json().items.map((r: { id: string }) => r.id)).toEqual([kept])
    expect((await target.app.inject({ method: 'GET', url: `/api/v1/patients/me/records/${kept}/content`, headers: u.headers })).body).toBe('kept record')
    expect((await target.app.inject({ method: 'GET', url: `/api/v1/patients/me/records/${doomed}/content`, headers: u.headers })).statusCode).toBe(404)
  })

  it('stops with MissingBlobError when a live record’s blob is gone from storage', async () => {
    const source = await start()
    const u = await registerUser(source)
    const id = await upload(source, u, 'its file will vanish')
    const row = await source.deps.db.selectFrom('records').select('blobKey').where('id', '=', id).executeTakeFirstOrThrow()
    const { out } = sinkActingAfterSnapshot(() => storeOf(source).delete(row.blobKey))
    await expect(writeBackup({ db: source.deps.db.withoutPlugins(), engine: source.deps.database.engine, store: storeOf(source), out, now: new Date() })).rejects.toBeInstanceOf(MissingBlobError)
  })
})
