/**
 * Erasing a locker while the blob store is down (security review L4, SPEC §4.3, §11): the
 * post-commit removal of the records' ciphertext fails, the erasure still succeeds (the data
 * keys are gone), and the orphan sweeper removes the left-over blobs afterwards, because an
 * erased (shredded: wrapped key forgotten) record no longer counts as referencing its blob.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser } from '../../../test/helpers/factories.js'
import { recordFixtures, recordHelpers } from '../../../test/helpers/records.js'
import { startS3Server, type S3TestServer } from '../../../test/helpers/s3-server.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { sweepOrphans } from '../../storage/orphan-sweeper.js'
import { createS3BlobStore, type S3BlobStore } from '../../storage/s3-blob-store.js'

let s3: S3TestServer
let t: TestApp
let raw: S3BlobStore
beforeAll(async () => {
  s3 = await startS3Server()
  t = await startTestApp(s3.env)
  raw = createS3BlobStore(s3.storage)
})
afterAll(async () => {
  await t?.close()
  raw?.close()
  await s3?.close()
})
const { uploadOk } = recordHelpers(() => t)
const { PDF } = recordFixtures()

async function storedKeys(): Promise<Set<string>> {
  const keys = new Set<string>()
  for await (const entry of raw.list()) keys.add(entry.key)
  return keys
}

describe('erasure when the blob removal fails (review L4)', () => {
  it('the sweeper removes the ciphertext of an erased record; a live record of another patient stays', async () => {
    const p = await registerUser(t)
    const other = await registerUser(t)
    await uploadOk(p, PDF)
    await uploadOk(other, PDF)
    const keyOf = async (patientId: string) =>
      (await t.deps.db.selectFrom('records').select('blobKey').where('patientId', '=', patientId).executeTakeFirstOrThrow()).blobKey
    const erasedKey = await keyOf(p.id)
    const liveKey = await keyOf(other.id)

    await s3.stop()
    let erased
    try {
      erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/patients/me', headers: p.headers, payload: { password: PASSWORD } })
    } finally {
      await s3.start()
    }
    expect(erased.statusCode, erased.body).toBe(204)
    // The removal failed: the ciphertext is still in the bucket, its row shredded.
    expect((await storedKeys()).has(erasedKey)).toBe(true)

    const result = await sweepOrphans(t.deps.db, raw, {
      ageMinutes: 0,
      now: () => new Date(Date.now() + 60_000),
      engine: process.env.DATABASE_URL ? 'postgres' : 'pglite',
    })
    expect(result.locked).toBe(true)
    const left = await storedKeys()
    expect(left.has(erasedKey), 'the erased record’s blob is swept').toBe(false)
    expect(left.has(liveKey), 'a live record’s blob stays').toBe(true)
  })
})
