import { createHash } from 'node:crypto'
import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream'
import type { BlobStore, ByteRange } from './blob-store.js'
import { generateDataKey, unwrapDataKeyWithAny, wrapDataKey } from './envelope.js'
import { createDecryptTransform, createEncryptTransform, planRange } from './segment-cipher.js'

export { BlobNotFoundError, type ByteRange } from './blob-store.js'
export { IntegrityError } from './segment-cipher.js'

/** What the database keeps about a stored file: without wrappedKey the bytes are unreadable. */
export interface StoredBlob {
  wrappedKey: Buffer
  sizeBytes: number
  sha256: string /* hex of plaintext */
}

export interface EncryptedBlobs {
  /** Encrypts and stores plaintext under key; computes sha256 and size of the plaintext on the way. On any stream error the blob is removed and the error re-thrown. Memory does not grow with file size. */
  write(key: string, plaintext: Readable): Promise<StoredBlob>
  /** Plaintext bytes (whole or inclusive range). The returned stream errors with IntegrityError if the stored bytes were altered. */
  read(key: string, blob: { wrappedKey: Buffer; sizeBytes: number }, range?: ByteRange): Promise<Readable>
  /** Re-reads and decrypts the stored bytes, returns the sha256 hex of the plaintext (throws IntegrityError when a segment fails). */
  digest(key: string, blob: { wrappedKey: Buffer; sizeBytes: number }): Promise<string>
  remove(key: string): Promise<void>
}

/**
 * Encrypted file storage for medical records (SPEC §4.3) on top of any BlobStore: each file
 * gets a fresh data key (envelope.ts, wrapped by the 32-byte masterKey) and is encrypted in
 * authenticated 64 KiB segments (segment-cipher.ts, the STREAM construction over AES-256-GCM),
 * so no byte is released before its segment's tag is checked and a range read decrypts only
 * the segments it needs. New files are wrapped by masterKey; `previousMasterKeys` (during a
 * master key rotation, SPEC §11) are tried after it when reading. Throws RangeError when a key
 * is not 32 bytes.
 *
 * - `write` consumes plaintext (any Readable, also one whose first bytes were peeked and pushed
 *   back). If plaintext errors or is destroyed (aborted upload, size limit), it rejects with that
 *   error (ERR_STREAM_PREMATURE_CLOSE for a destroy without error) and leaves nothing in the
 *   store, not even a temp file; a blob already stored under key stays as it was. On any
 *   failure plaintext is destroyed. A successful write replaces what was under key.
 * - `read` rejects with RangeError for a range outside 0 ≤ start ≤ end < sizeBytes (resolve
 *   suffix ranges and answer 416 before), IntegrityError for a wrapped key that does not
 *   open, BlobNotFoundError when nothing is stored. The stream it returns may error later
 *   with IntegrityError: give it an error listener (Fastify's reply.send does). Destroying it
 *   releases the underlying file.
 * - `digest` is for `GET …/verify`: compare with the row's sha256; IntegrityError means the
 *   stored bytes no longer match either.
 * - `remove` is idempotent. Forgetting wrappedKey alone already makes the bytes unreadable.
 */
export function createEncryptedBlobs(store: BlobStore, masterKey: Buffer, previousMasterKeys: readonly Buffer[] = []): EncryptedBlobs {
  if (!Buffer.isBuffer(masterKey) || masterKey.length !== 32) throw new RangeError('The master key must be 32 bytes.')

  const write = async (key: string, plaintext: Readable): Promise<StoredBlob> => {
    const dataKey = generateDataKey()
    let wrappedKey: Buffer
    let encrypt: Transform
    try {
      wrappedKey = wrapDataKey(masterKey, dataKey)
      encrypt = createEncryptTransform(dataKey)
    } finally {
      dataKey.fill(0) // the transform holds its own copy in a KeyObject
    }

    const hash = createHash('sha256')
    let sizeBytes = 0
    const measure = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        hash.update(chunk)
        sizeBytes += chunk.length
        callback(null, chunk)
      },
    })

    // pipeline destroys every stage on any error, so an aborted plaintext fails store.put,
    // which then removes its temp file; and a failing store.put stops reading plaintext.
    const encrypted = new Promise<void>((resolve, reject) => {
      pipeline(plaintext, measure, encrypt, (err) => (err ? reject(err) : resolve()))
    })
    const [stored, piped] = await Promise.allSettled([store.put(key, encrypt), encrypted])
    // put's own error is the more precise one (e.g. a bad key, while the source only saw a premature close).
    if (stored.status === 'rejected') throw stored.reason
    if (piped.status === 'rejected') {
      await store.delete(key)
      throw piped.reason
    }
    return { wrappedKey, sizeBytes, sha256: hash.digest('hex') }
  }

  const read = async (
    key: string,
    blob: { wrappedKey: Buffer; sizeBytes: number },
    range?: ByteRange,
  ): Promise<Readable> => {
    const plan = planRange(blob.sizeBytes, range)
    const dataKey = unwrapDataKeyWithAny([masterKey, ...previousMasterKeys], blob.wrappedKey)
    let decrypt: Transform
    try {
      decrypt = createDecryptTransform(dataKey, plan)
    } finally {
      dataKey.fill(0)
    }
    // A whole read fetches the whole object, so bytes appended after the final segment are caught too.
    const stored = await store.get(key, range ? plan.cipherRange : undefined)
    // Errors reach the consumer as 'error' on the returned stream; the callback only has to exist.
    return pipeline(stored, decrypt, () => {})
  }

  const digest = async (key: string, blob: { wrappedKey: Buffer; sizeBytes: number }): Promise<string> => {
    const hash = createHash('sha256')
    for await (const chunk of await read(key, blob)) hash.update(chunk as Buffer)
    return hash.digest('hex')
  }

  const remove = (key: string): Promise<void> => store.delete(key)

  return { write, read, digest, remove }
}
