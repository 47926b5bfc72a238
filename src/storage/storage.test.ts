/**
 * Encrypted blobs on each blob store driver (local files, S3): round trips, ranges, tamper
 * detection, streaming writes and failed writes leaving nothing. The stored format itself:
 * storage-format.test.ts; the local store's own rules: storage-local.test.ts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collect, collectUntilError, largestFileSize, listFiles, SIZES, totalFileSize } from '../../test/helpers/storage.js'
import { startS3Server, type S3TestServer } from '../../test/helpers/s3-server.js'
import type { BlobStore, ByteRange } from './blob-store.js'
import { createEncryptedBlobs, type EncryptedBlobs, type StoredBlob } from './encrypted-blobs.js'
import { unwrapDataKey } from './envelope.js'
import { createLocalBlobStore } from './local-blob-store.js'
import { createS3BlobStore, type S3BlobStore } from './s3-blob-store.js'
import { CIPHER_SEGMENT_SIZE, ciphertextSize, IntegrityError, SEGMENT_SIZE } from './segment-cipher.js'

let root: string
let store: BlobStore
let masterKey: Buffer
let blobs: EncryptedBlobs

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'carelocker-storage-'))
  store = createLocalBlobStore(path.join(root, 'blobs'))
  masterKey = randomBytes(32)
  blobs = createEncryptedBlobs(store, masterKey)
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/**
 * A blob store under test with what the tests look at: every file or object it left
 * (`leftovers`), and the bytes it has written so far (`bytesWritten`, to see streaming).
 */
interface Driver {
  name: string
  open(): Promise<BlobStore>
  leftovers(): Promise<string[]>
  bytesWritten(): Promise<number>
  /** Whether a put's partial bytes are visible while it runs (a local temp file; S3 buffers a part first). */
  partialVisible: boolean
  cleanUp(): Promise<void>
}

let s3: S3TestServer | undefined
let s3Stores: S3BlobStore[] = []

const localDriver: Driver = {
  name: 'local',
  open: async () => store,
  leftovers: async () => (await listFiles(root)).map((file) => path.basename(file)),
  bytesWritten: () => largestFileSize(root),
  partialVisible: true,
  cleanUp: async () => undefined,
}

const s3Driver: Driver = {
  name: 's3',
  open: async () => {
    s3 ??= await startS3Server()
    const s3Store = createS3BlobStore(s3.storage)
    s3Stores.push(s3Store)
    return s3Store
  },
  leftovers: async () => {
    const keys: string[] = []
    for await (const entry of store.list()) keys.push(entry.key)
    return keys
  },
  bytesWritten: async () => (s3 ? totalFileSize(s3.directory) : 0),
  partialVisible: false,
  cleanUp: async () => {
    for await (const entry of store.list()) await store.delete(entry.key)
    for (const s3Store of s3Stores) s3Store.close()
    s3Stores = []
  },
}

afterAll(async () => {
  await s3?.close()
})

const newKey = () => randomUUID()

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

async function writeRandom(size: number): Promise<{ key: string; plaintext: Buffer; blob: StoredBlob }> {
  const key = newKey()
  const plaintext = randomBytes(size)
  const blob = await blobs.write(key, Readable.from([plaintext]))
  return { key, plaintext, blob }
}

/** The stored (encrypted) bytes of key, read and replaced through the store itself, so tampering works on every driver. */
async function storedBytes(key: string): Promise<Buffer> {
  return collect(await store.get(key))
}

async function replaceStored(key: string, bytes: Buffer): Promise<void> {
  await store.put(key, Readable.from([bytes]))
}

async function flipByte(key: string, offset: number): Promise<void> {
  const bytes = await storedBytes(key)
  bytes[offset] = bytes[offset]! ^ 0x01
  await replaceStored(key, bytes)
}

describe.each([localDriver, s3Driver])('encrypted blobs on $name storage', (driver) => {
  beforeEach(async () => {
    store = await driver.open()
    blobs = createEncryptedBlobs(store, masterKey)
  })

  afterEach(() => driver.cleanUp())

  it.each(SIZES)('round-trips %i random bytes with their size and sha256', async (size) => {
    const { key, plaintext, blob } = await writeRandom(size)
    expect(blob.sizeBytes).toBe(size)
    expect(blob.sha256).toBe(sha256(plaintext))
    expect((await storedBytes(key)).length).toBe(ciphertextSize(size))
    expect((await collect(await blobs.read(key, blob))).equals(plaintext)).toBe(true)
    expect(await blobs.digest(key, blob)).toBe(blob.sha256)
  })

  it('returns exactly the requested slice for every range: first byte, last byte, across and inside segments', async () => {
    for (const size of SIZES.filter((s) => s > 0)) {
      const { key, plaintext, blob } = await writeRandom(size)
      const candidates: ByteRange[] = [
        { start: 0, end: 0 },
        { start: size - 1, end: size - 1 },
        { start: 0, end: size - 1 },
        { start: 100, end: 200 },
        { start: 65535, end: 65535 },
        { start: 65536, end: 65536 },
        { start: 65535, end: 65536 },
        { start: 65530, end: 65540 },
        { start: 65536, end: 2 * 65536 - 1 },
        { start: 1, end: 3 * 65536 + 3 },
        { start: 2 * 65536 + 7, end: size - 1 },
      ]
      for (const range of candidates.filter((r) => r.start <= r.end && r.end < size)) {
        const got = await collect(await blobs.read(key, blob, range))
        expect(got.equals(plaintext.subarray(range.start, range.end + 1)), `size ${size} range ${range.start}-${range.end}`).toBe(true)
      }
    }
  })

  it('rejects a range past the end of the file with RangeError', async () => {
    const { key, blob } = await writeRandom(10)
    await expect(blobs.read(key, blob, { start: 5, end: 10 })).rejects.toThrow(RangeError)
  })

  it('stores no plaintext: neither a known phrase nor any window of random data', async () => {
    const phrase = 'Patient: Jane Doe, HIV status positive. '
    const text = Buffer.from(phrase.repeat(5000))
    const key = newKey()
    const blob = await blobs.write(key, Readable.from([text]))
    const stored = await storedBytes(key)
    expect(stored.includes('Jane Doe')).toBe(false)
    expect((await collect(await blobs.read(key, blob))).equals(text)).toBe(true)

    const random = await writeRandom(3 * 65536 + 5)
    const storedRandom = await storedBytes(random.key)
    for (const offset of [0, 65536, 2 * 65536 + 100, 3 * 65536]) {
      expect(storedRandom.includes(random.plaintext.subarray(offset, offset + 5))).toBe(false)
    }
  })

  it('a flipped byte in a middle segment fails with IntegrityError and no byte of that segment is emitted', async () => {
    const { key, plaintext, blob } = await writeRandom(3 * 65536 + 5)
    await flipByte(key, CIPHER_SEGMENT_SIZE + 1234) // inside segment 1
    const { emitted, error } = await collectUntilError(await blobs.read(key, blob))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(emitted.length).toBeLessThanOrEqual(SEGMENT_SIZE)
    expect(emitted.equals(plaintext.subarray(0, emitted.length))).toBe(true)
    await expect(blobs.digest(key, blob)).rejects.toThrow(IntegrityError)
  })

  it('a flipped byte anywhere (first byte, a tag, the last byte) fails the segment it is in, before any of its bytes', async () => {
    const size = 3 * 65536 + 5
    const stored = ciphertextSize(size)
    const cases = [
      { offset: 0, segment: 0 },
      { offset: CIPHER_SEGMENT_SIZE - 1, segment: 0 }, // last byte of segment 0's tag
      { offset: 2 * CIPHER_SEGMENT_SIZE + SEGMENT_SIZE, segment: 2 }, // first byte of segment 2's tag
      { offset: stored - 1, segment: 3 },
    ]
    for (const { offset, segment } of cases) {
      const { key, plaintext, blob } = await writeRandom(size)
      await flipByte(key, offset)
      const { emitted, error } = await collectUntilError(await blobs.read(key, blob))
      expect(error, `offset ${offset}`).toBeInstanceOf(IntegrityError)
      expect(emitted.length).toBeLessThanOrEqual(segment * SEGMENT_SIZE)
      expect(emitted.equals(plaintext.subarray(0, emitted.length))).toBe(true)
    }
  })

  it('a range read decrypts only its own segments, so an intact range of a damaged file still reads', async () => {
    const { key, plaintext, blob } = await writeRandom(3 * 65536 + 5)
    await flipByte(key, 2 * CIPHER_SEGMENT_SIZE + 10)
    const intact = await collect(await blobs.read(key, blob, { start: 10, end: 2 * 65536 - 1 }))
    expect(intact.equals(plaintext.subarray(10, 2 * 65536))).toBe(true)
    const { emitted, error } = await collectUntilError(await blobs.read(key, blob, { start: 2 * 65536, end: 2 * 65536 + 5 }))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(emitted.length).toBe(0)
  })

  it('a file cut after a whole segment (final segment removed) fails with IntegrityError', async () => {
    const { key, blob } = await writeRandom(3 * 65536 + 5)
    await replaceStored(key, (await storedBytes(key)).subarray(0, 3 * CIPHER_SEGMENT_SIZE))
    const { emitted, error } = await collectUntilError(await blobs.read(key, blob))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(emitted.length).toBeLessThanOrEqual(3 * SEGMENT_SIZE)
    await expect(blobs.digest(key, blob)).rejects.toThrow(IntegrityError)
  })

  it('a file cut inside a segment, or with bytes appended, fails with IntegrityError', async () => {
    const cut = await writeRandom(65537)
    await replaceStored(cut.key, (await storedBytes(cut.key)).subarray(0, CIPHER_SEGMENT_SIZE + 10))
    expect((await collectUntilError(await blobs.read(cut.key, cut.blob))).error).toBeInstanceOf(IntegrityError)

    const extended = await writeRandom(65537)
    await replaceStored(extended.key, Buffer.concat([await storedBytes(extended.key), Buffer.alloc(16)]))
    expect((await collectUntilError(await blobs.read(extended.key, extended.blob))).error).toBeInstanceOf(IntegrityError)
  })

  it('segments swapped in place fail with IntegrityError (the counter is in the nonce)', async () => {
    const { key, blob } = await writeRandom(3 * 65536)
    const stored = await storedBytes(key)
    const swapped = Buffer.concat([
      stored.subarray(CIPHER_SEGMENT_SIZE, 2 * CIPHER_SEGMENT_SIZE),
      stored.subarray(0, CIPHER_SEGMENT_SIZE),
      stored.subarray(2 * CIPHER_SEGMENT_SIZE),
    ])
    await replaceStored(key, swapped)
    const { emitted, error } = await collectUntilError(await blobs.read(key, blob))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(emitted.length).toBe(0)
  })

  it('a wrong master key cannot unwrap the data key', async () => {
    const { key, blob } = await writeRandom(1000)
    const other = createEncryptedBlobs(store, randomBytes(32))
    await expect(other.read(key, blob)).rejects.toThrow(IntegrityError)
    await expect(other.digest(key, blob)).rejects.toThrow(IntegrityError)
    expect(() => unwrapDataKey(randomBytes(32), blob.wrappedKey)).toThrow(IntegrityError)
  })

  it("another file's data key fails on the first segment", async () => {
    const a = await writeRandom(1000)
    const b = await writeRandom(1000)
    const { emitted, error } = await collectUntilError(await blobs.read(a.key, { ...a.blob, wrappedKey: b.blob.wrappedKey }))
    expect(error).toBeInstanceOf(IntegrityError)
    expect(emitted.length).toBe(0)
  })

  it('a plaintext stream destroyed with an error mid-way rejects with that error and leaves no file at all', async () => {
    const abort = new Error('client aborted the upload')
    let tempBytes = 0
    const source = randomSource(400_000, abort, (onDisk) => (tempBytes = onDisk))
    await expect(blobs.write(newKey(), source)).rejects.toBe(abort)
    if (driver.partialVisible) expect(tempBytes).toBeGreaterThan(0) // a temp file with ciphertext existed and was removed
    expect(await driver.leftovers()).toEqual([])
  })

  it('a plaintext stream destroyed without an error mid-way rejects and leaves no file at all', async () => {
    const source = randomSource(200_000)
    await expect(blobs.write(newKey(), source)).rejects.toThrow()
    expect(await driver.leftovers()).toEqual([])
  })

  it('a write under an invalid key rejects, stores nothing and releases the plaintext stream', async () => {
    const source = randomSource(200_000)
    await expect(blobs.write('../escape', source)).rejects.toThrow(/Invalid blob key/)
    expect(source.destroyed).toBe(true)
    expect(await driver.leftovers()).toEqual([])
  })

  it('an already destroyed plaintext stream rejects and stores nothing', async () => {
    const source = Readable.from([randomBytes(10)])
    source.destroy()
    await expect(blobs.write(newKey(), source)).rejects.toThrow()
    expect(await driver.leftovers()).toEqual([])
  })

  it('a failed write keeps the blob already stored under the same key', async () => {
    const { key, plaintext, blob } = await writeRandom(70_000)
    await expect(blobs.write(key, randomSource(100_000, new Error('aborted')))).rejects.toThrow('aborted')
    expect((await collect(await blobs.read(key, blob))).equals(plaintext)).toBe(true)
    expect(await driver.leftovers()).toEqual([key])
  })

  it('accepts a stream whose first bytes were peeked and pushed back', async () => {
    const plaintext = randomBytes(100_000)
    const source = Readable.from([plaintext.subarray(0, 50_000), plaintext.subarray(50_000)], { objectMode: false })
    const head = await new Promise<Buffer>((resolve) => source.once('readable', () => resolve(source.read(4100) as Buffer)))
    source.unshift(head)
    const key = newKey()
    const blob = await blobs.write(key, source)
    expect(blob.sha256).toBe(sha256(plaintext))
    expect((await collect(await blobs.read(key, blob))).equals(plaintext)).toBe(true)
  })

  it('streams 20 MB: most of the ciphertext is stored while the source is still producing', async () => {
    const chunk = randomBytes(SEGMENT_SIZE)
    const count = 320 // 20 MiB
    const expected = createHash('sha256')
    let onDiskBeforeLastChunk = 0
    async function* source() {
      for (let i = 0; i < count; i++) {
        if (i === count - 1) onDiskBeforeLastChunk = await driver.bytesWritten()
        expected.update(chunk)
        yield chunk
      }
    }
    const key = newKey()
    const blob = await blobs.write(key, Readable.from(source()))
    expect(blob.sizeBytes).toBe(count * SEGMENT_SIZE)
    expect(blob.sha256).toBe(expected.digest('hex'))
    expect(onDiskBeforeLastChunk).toBeGreaterThan(10 * 1024 * 1024)
    expect(await blobs.digest(key, blob)).toBe(blob.sha256)
  })

  it('remove is idempotent and leaves nothing', async () => {
    const { key } = await writeRandom(10)
    await blobs.remove(key)
    await blobs.remove(key)
    expect(await store.exists(key)).toBe(false)
    expect(await driver.leftovers()).toEqual([])
  })
})

/**
 * Random bytes in 16 KiB chunks; after `bytes`, destroys itself (with `error` when given),
 * first reporting how many bytes the store had on disk at that moment to `onAbort`.
 */
function randomSource(bytes: number, error?: Error, onAbort?: (bytesOnDisk: number) => void): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= bytes) {
        void largestFileSize(root).then((onDisk) => {
          onAbort?.(onDisk)
          this.destroy(error)
        })
        return
      }
      const chunk = randomBytes(16384)
      sent += chunk.length
      this.push(chunk)
    },
  })
}
