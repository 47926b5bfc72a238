/**
 * Online authenticated encryption of a file in segments: the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
 * Misuse-Resistance" (CRYPTO 2015, §7), instantiated with AES-256-GCM (NIST SP 800-38D).
 *
 * Layout: the plaintext is cut into SEGMENT_SIZE-byte segments (the last one shorter, possibly
 * empty); segment i is stored as GCM(ciphertext) ‖ 16-byte tag, at offset i × CIPHER_SEGMENT_SIZE.
 * Its nonce is 7 zero bytes ‖ uint32 BE i ‖ 0x01 for the final segment, else 0x00, so segments
 * cannot be reordered, dropped from the end or spliced from another file without a tag failing.
 * The nonce is a counter under a data key used for one file only, which is the deterministic
 * nonce construction of SP 800-38D §8.2.1: no nonce ever repeats under a key.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { assertByteRange, type ByteRange } from './blob-store.js'

/** Plaintext bytes per segment (64 KiB). */
export const SEGMENT_SIZE = 65536
/** GCM tag bytes appended to each segment. */
export const TAG_SIZE = 16
/** Stored bytes per full segment. */
export const CIPHER_SEGMENT_SIZE = SEGMENT_SIZE + TAG_SIZE
/** The segment counter is a uint32, so a file has at most 2^32 segments (256 TiB). */
export const MAX_PLAIN_SIZE = 2 ** 32 * SEGMENT_SIZE

const ALGORITHM = 'aes-256-gcm'
const KEY_SIZE = 32

/**
 * Stored or wrapped bytes failed authentication: altered, truncated, reordered, extended, or
 * decrypted with the wrong key. Never carries any plaintext. Map to a 5xx (the server's data
 * is bad), or to `matches: false` in a verify endpoint.
 */
export class IntegrityError extends Error {
  readonly code = 'integrity-error'

  constructor(message: string) {
    super(message)
    this.name = 'IntegrityError'
  }
}

/**
 * What to read and decrypt for a (range of a) file of plainSize bytes; made by `planRange`.
 * Segment indexes are absolute and inclusive.
 */
export interface SegmentPlan {
  /** Plaintext size of the whole file, in bytes (from the database, not from the stored bytes). */
  plainSize: number
  firstSegment: number
  lastSegment: number
  /** The stored bytes to fetch, inclusive: exactly segments firstSegment..lastSegment. */
  cipherRange: ByteRange
  /** Plaintext bytes to drop from the start of the first segment. */
  skip: number
  /** Plaintext bytes to emit in total. */
  length: number
}

/** Number of segments for a plaintext of plainSize bytes: ⌈plainSize / 65536⌉, and 1 for an empty file (one empty final segment). Throws RangeError on a negative, fractional or too large size. */
export function segmentCount(plainSize: number): number {
  assertPlainSize(plainSize)
  return plainSize === 0 ? 1 : Math.ceil(plainSize / SEGMENT_SIZE)
}

/** Stored size in bytes of a plaintext of plainSize bytes: plainSize + 16 × segmentCount(plainSize). */
export function ciphertextSize(plainSize: number): number {
  return plainSize + segmentCount(plainSize) * TAG_SIZE
}

/**
 * Plans a read of the inclusive plaintext range (the whole file when omitted) of a file of
 * plainSize bytes: which stored bytes to fetch (whole segments only) and which decrypted bytes
 * to keep. range must satisfy 0 ≤ start ≤ end < plainSize (the HTTP layer resolves suffix and
 * open-ended ranges and answers 416 first); otherwise throws RangeError. An empty file has no
 * valid range.
 */
export function planRange(plainSize: number, range?: ByteRange): SegmentPlan {
  const count = segmentCount(plainSize)
  if (range === undefined) {
    return {
      plainSize,
      firstSegment: 0,
      lastSegment: count - 1,
      cipherRange: { start: 0, end: ciphertextSize(plainSize) - 1 },
      skip: 0,
      length: plainSize,
    }
  }
  assertByteRange(range)
  if (range.end >= plainSize) {
    throw new RangeError(`Byte range ${range.start}-${range.end} is outside a file of ${plainSize} bytes.`)
  }
  const firstSegment = Math.floor(range.start / SEGMENT_SIZE)
  const lastSegment = Math.floor(range.end / SEGMENT_SIZE)
  return {
    plainSize,
    firstSegment,
    lastSegment,
    cipherRange: {
      start: firstSegment * CIPHER_SEGMENT_SIZE,
      end: lastSegment * CIPHER_SEGMENT_SIZE + segmentPlainLength(plainSize, lastSegment) + TAG_SIZE - 1,
    },
    skip: range.start - firstSegment * SEGMENT_SIZE,
    length: range.end - range.start + 1,
  }
}

/**
 * Encrypts a plaintext byte stream into the segment layout above with dataKey (32 bytes, used
 * for this file only; the caller may wipe its copy once this returns). Holds back one segment
 * until it knows whether more data follows, so memory is O(SEGMENT_SIZE) whatever the file
 * size. Emits one Buffer per segment. Throws RangeError on a bad key; the stream errors with
 * RangeError past MAX_PLAIN_SIZE.
 */
export function createEncryptTransform(dataKey: Buffer): Transform {
  const key = toSecretKey(dataKey)
  const pending = new ChunkQueue()
  let index = 0

  const seal = (pieces: Buffer[], last: boolean): Buffer => {
    if (index >= 2 ** 32) throw new RangeError(`A file may not exceed ${MAX_PLAIN_SIZE} bytes.`)
    const cipher = createCipheriv(ALGORITHM, key, segmentNonce(index, last))
    const out = pieces.map((piece) => cipher.update(piece))
    out.push(cipher.final(), cipher.getAuthTag())
    index += 1
    return Buffer.concat(out)
  }

  return new Transform({
    transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
        // Strictly more than a segment buffered: the first segment is certainly not the last.
        while (pending.length > SEGMENT_SIZE) this.push(seal(pending.take(SEGMENT_SIZE), false))
        callback()
      } catch (err) {
        callback(err as Error)
      }
    },
    flush(callback: TransformCallback) {
      try {
        // 0 bytes left only for an empty file: it still gets its (empty) final segment.
        this.push(seal(pending.take(pending.length), true))
        callback()
      } catch (err) {
        callback(err as Error)
      }
    },
  })
}

/**
 * Decrypts the stored bytes plan.cipherRange (fetched by the caller) into exactly the plaintext
 * range that planRange was given. Each segment's tag is checked before any byte of that segment
 * is pushed, so on tampering the stream errors with IntegrityError having emitted only bytes of
 * earlier, authentic segments. Also errors with IntegrityError when the input ends before
 * plan.lastSegment (truncation) or continues after it (extension). Memory is O(SEGMENT_SIZE).
 */
export function createDecryptTransform(dataKey: Buffer, plan: SegmentPlan): Transform {
  const key = toSecretKey(dataKey)
  const finalSegment = segmentCount(plan.plainSize) - 1
  const pending = new ChunkQueue()
  let index = plan.firstSegment
  let skip = plan.skip
  let remaining = plan.length

  const open = (stored: Buffer): Buffer => {
    const plainLength = stored.length - TAG_SIZE
    const decipher = createDecipheriv(ALGORITHM, key, segmentNonce(index, index === finalSegment))
    let plain: Buffer
    try {
      decipher.setAuthTag(stored.subarray(plainLength))
      plain = Buffer.concat([decipher.update(stored.subarray(0, plainLength)), decipher.final()])
    } catch {
      throw new IntegrityError(`Stored segment ${index} failed authentication.`)
    }
    index += 1
    const out = plain.subarray(skip, Math.min(plain.length, skip + remaining))
    skip = 0
    remaining -= out.length
    return out
  }

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        pending.push(chunk)
        while (index <= plan.lastSegment) {
          const needed = segmentPlainLength(plan.plainSize, index) + TAG_SIZE
          if (pending.length < needed) break
          const out = open(Buffer.concat(pending.take(needed)))
          if (out.length > 0) this.push(out)
        }
        if (index > plan.lastSegment && pending.length > 0) {
          throw new IntegrityError('Stored bytes continue after the last expected segment.')
        }
        callback()
      } catch (err) {
        callback(err as Error)
      }
    },
    flush(callback: TransformCallback) {
      callback(index <= plan.lastSegment ? new IntegrityError(`Stored bytes end before segment ${index}.`) : null)
    },
  })
}

/** Plaintext length of segment index in a file of plainSize bytes. */
function segmentPlainLength(plainSize: number, index: number): number {
  return Math.min(SEGMENT_SIZE, plainSize - index * SEGMENT_SIZE)
}

/** 7 zero bytes ‖ uint32 BE counter ‖ last-segment flag: 96 bits, the GCM nonce length SP 800-38D recommends. */
function segmentNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12)
  nonce.writeUInt32BE(index, 7)
  nonce[11] = last ? 0x01 : 0x00
  return nonce
}

function toSecretKey(dataKey: Buffer): KeyObject {
  if (!Buffer.isBuffer(dataKey) || dataKey.length !== KEY_SIZE) {
    throw new RangeError(`A data key is ${KEY_SIZE} bytes.`)
  }
  return createSecretKey(dataKey) // a copy: the caller may wipe its buffer
}

function assertPlainSize(plainSize: number): void {
  if (!Number.isSafeInteger(plainSize) || plainSize < 0 || plainSize > MAX_PLAIN_SIZE) {
    throw new RangeError(`Invalid plaintext size ${plainSize}.`)
  }
}

/** A FIFO of buffers from which exact byte counts can be taken without copying. */
class ChunkQueue {
  private readonly chunks: Buffer[] = []
  length = 0

  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  /** Removes and returns the first n bytes (n ≤ length) as slices of the queued buffers. */
  take(n: number): Buffer[] {
    const out: Buffer[] = []
    let wanted = n
    while (wanted > 0) {
      const head = this.chunks[0]
      if (head === undefined) throw new Error('ChunkQueue.take past its length.')
      if (head.length <= wanted) {
        out.push(head)
        this.chunks.shift()
        wanted -= head.length
      } else {
        out.push(head.subarray(0, wanted))
        this.chunks[0] = head.subarray(wanted)
        wanted = 0
      }
    }
    this.length -= n
    return out
  }
}
