import type { Readable } from 'node:stream'
import { AppError } from '../app/errors.js'

/** An inclusive byte range, as in an HTTP `Range: bytes=start-end` header (RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number
  end: number
}

/**
 * Where opaque bytes live (SPEC §4.3: local files under `$DATA_DIR/blobs`, or S3).
 * Drivers know nothing about encryption; `encrypted-blobs.ts` sits on top.
 */
export interface BlobStore {
  /** Streams body to key atomically (temp file + rename for local): if body errors or is destroyed, nothing remains at key and the promise rejects with that error. Returns bytes written. */
  put(key: string, body: Readable): Promise<{ bytes: number }>
  /** Stored bytes, whole or the inclusive range. Rejects with a NotFound-ish error (export class BlobNotFoundError) if missing. */
  get(key: string, range?: ByteRange): Promise<Readable>
  /** Idempotent. */
  delete(key: string): Promise<void>
  exists(key: string): Promise<boolean>
  /**
   * Every complete blob (what `get` can read; never a put in progress), in no particular
   * order, fetched page by page as the caller iterates. For the orphan sweeper and backups
   * (SPEC §11). `lastModified` is when the put finished; `bytes` the stored size.
   */
  list(): AsyncIterable<BlobEntry>
  /**
   * Removes what puts that never finished left behind (a process killed mid-upload): local
   * temp files, S3 incomplete multipart uploads, when they were started before `before`.
   * Returns how many were removed. A store that cannot list them (an S3 server without
   * ListMultipartUploads) removes none and says so in `unsupported`.
   */
  removeIncomplete(before: Date): Promise<{ removed: number; unsupported?: boolean }>
}

/** One stored blob as `BlobStore.list` yields it. */
export interface BlobEntry {
  key: string
  lastModified: Date
  bytes: number
}

/** No blob is stored under `key`. Not an HTTP error by itself: the service decides (404, or 500 when a row points to a missing blob). */
export class BlobNotFoundError extends Error {
  readonly key: string

  constructor(key: string) {
    super(`No blob is stored under key "${key}".`)
    this.name = 'BlobNotFoundError'
    this.key = key
  }
}

/**
 * 503: the blob store does not answer (S3 unreachable, timing out or failing with a 5xx;
 * SPEC §11). Rendered as problem+json `type …/storage-unavailable`; only file routes meet it,
 * the rest of the API keeps working. Carries the driver's error as `cause` for the log.
 */
export class StorageUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(503, 'storage-unavailable', 'File storage unavailable', 'File storage is not answering; try again in a moment. Nothing was stored or changed.', {
      headers: { 'Retry-After': '30' },
    })
    if (cause !== undefined) this.cause = cause
  }
}

/** A key that a driver refuses (see `assertBlobKey`). A programming error, not user input. */
export class InvalidBlobKeyError extends Error {
  constructor(key: string) {
    super(`Invalid blob key ${JSON.stringify(key)}: expected 2–128 characters of [A-Za-z0-9_-].`)
    this.name = 'InvalidBlobKeyError'
  }
}

const KEY_PATTERN = /^[A-Za-z0-9_-]{2,128}$/

/** True for a name a blob key can be (listings skip anything else a directory or bucket holds). */
export const isBlobKey = (name: string): boolean => KEY_PATTERN.test(name)

/**
 * Throws InvalidBlobKeyError unless key is 2–128 characters of `[A-Za-z0-9_-]`, so a key can
 * never name a path outside the store (no `/`, `.`, `..`) and always has a 2-character shard.
 * Keys compare case-sensitively; on a case-insensitive file system (macOS default) use
 * lower-case keys such as UUIDs.
 */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw new InvalidBlobKeyError(String(key))
}

/** Throws RangeError unless range is a valid inclusive range of non-negative safe integers with start ≤ end. */
export function assertByteRange(range: ByteRange): void {
  const { start, end } = range
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range ${start}-${end}.`)
  }
}
