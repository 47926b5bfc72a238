import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { Readable } from 'node:stream'
import {
  assertBlobKey,
  assertByteRange,
  BlobNotFoundError,
  isBlobKey,
  type BlobEntry,
  type BlobStore,
  type ByteRange,
  StorageUnavailableError,
} from './blob-store.js'

/** `Config.storage` when `STORAGE=s3` (SPEC §1). */
export interface S3StoreConfig {
  /** `S3_ENDPOINT`; undefined: AWS itself. */
  endpoint: string | undefined
  /** `S3_BUCKET`, 3–63 characters. */
  bucket: string
  region: string
  /** Both undefined: the SDK's default chain (environment, profile, instance role). */
  accessKeyId: string | undefined
  secretAccessKey: string | undefined
  forcePathStyle: boolean
}

/** An S3 blob store with its client's lifetime. */
export interface S3BlobStore extends BlobStore {
  /**
   * The start-up check (SPEC §11): HeadBucket. Resolves when the bucket exists and the
   * credentials may use it; otherwise rejects with `S3AccessError` whose `variable` names
   * what to fix (S3_BUCKET, S3_ACCESS_KEY_ID, S3_ENDPOINT).
   */
  checkAccess(): Promise<void>
  /** Closes the client's sockets. */
  close(): void
}

/** The start-up check failed; `variable` is the environment variable to fix (SPEC §1: "a message naming the variable"). */
export class S3AccessError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`)
    this.name = 'S3AccessError'
  }
}

/** 5 MiB, S3's smallest part: with 2 parts in flight an upload holds about 15 MiB whatever the file size. */
const PART_SIZE = 5 * 1024 * 1024
const PARTS_IN_FLIGHT = 2
/** A stopped endpoint is refused at once; one that does not answer fails the request after this long. */
const CONNECT_TIMEOUT_MS = 5_000
const REQUEST_TIMEOUT_MS = 30_000

/**
 * A BlobStore on an S3-compatible object store (SPEC §11, `STORAGE=s3`), AWS SDK v3: key
 * `abc…` is the object `abc…` in the bucket. `put` streams through a multipart upload
 * (`@aws-sdk/lib-storage`, 5 MiB parts, 2 in flight: memory flat), so the object appears
 * whole when the upload completes and never in part; a body that errors fails the upload
 * and leaves no object. `get` with a range is a ranged GET of exactly those bytes. `list`
 * pages through ListObjectsV2 and skips objects whose names are not blob keys (a bucket
 * shared with something else); `removeIncomplete` aborts multipart uploads initiated before
 * its date (ListMultipartUploads; `unsupported` on a server without it, such as s3rver).
 *
 * Checksums are computed and validated only when an operation requires them
 * (`WHEN_REQUIRED`), which S3-compatible servers without the newer CRC headers need.
 * Errors: a key outside `[A-Za-z0-9_-]{2,128}` → InvalidBlobKeyError; a missing object →
 * BlobNotFoundError; the endpoint unreachable, timing out or answering 5xx →
 * StorageUnavailableError (503); anything else (access denied…) is the SDK's error.
 */
export function createS3BlobStore(config: S3StoreConfig): S3BlobStore {
  const client = new S3Client({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    ...(config.accessKeyId && config.secretAccessKey
      ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  })
  const Bucket = config.bucket

  return {
    async put(key: string, body: Readable): Promise<{ bytes: number }> {
      try {
        assertBlobKey(key)
      } catch (err) {
        body.destroy()
        throw err
      }
      let bytes = 0
      let bodyError: unknown
      // Counts what passes and keeps the body's own error (a destroy without one is a premature close).
      const counted = Readable.from(
        (async function* () {
          try {
            for await (const chunk of body) {
              bytes += (chunk as Buffer).length
              yield chunk as Buffer
            }
          } catch (err) {
            bodyError = err
            throw err
          }
        })(),
        { objectMode: false },
      )
      const upload = new Upload({ client, params: { Bucket, Key: key, Body: counted }, partSize: PART_SIZE, queueSize: PARTS_IN_FLIGHT })
      try {
        await upload.done()
      } catch (err) {
        body.destroy()
        counted.destroy()
        throw bodyError ?? toStoreError(err, key)
      }
      return { bytes }
    },

    async get(key: string, range?: ByteRange): Promise<Readable> {
      assertBlobKey(key)
      if (range) assertByteRange(range)
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        )
        return out.Body as Readable
      } catch (err) {
        // Like the local store: a range starting past the end yields no bytes.
        if (range && err instanceof S3ServiceException && err.name === 'InvalidRange') return Readable.from([])
        throw toStoreError(err, key)
      }
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key)
      await client.send(new DeleteObjectCommand({ Bucket, Key: key })).catch((err: unknown) => {
        throw toStoreError(err, key)
      })
    },

    async exists(key: string): Promise<boolean> {
      assertBlobKey(key)
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: key }))
        return true
      } catch (err) {
        const mapped = toStoreError(err, key)
        if (mapped instanceof BlobNotFoundError) return false
        throw mapped
      }
    },

    async *list(): AsyncIterable<BlobEntry> {
      try {
        for await (const page of paginateListObjectsV2({ client }, { Bucket })) {
          for (const object of page.Contents ?? []) {
            if (!object.Key || !isBlobKey(object.Key)) continue
            yield { key: object.Key, lastModified: object.LastModified ?? new Date(0), bytes: object.Size ?? 0 }
          }
        }
      } catch (err) {
        throw toStoreError(err)
      }
    },

    async removeIncomplete(before: Date): Promise<{ removed: number; unsupported?: boolean }> {
      let removed = 0
      try {
        let markers: { KeyMarker?: string; UploadIdMarker?: string } = {}
        for (;;) {
          const page = await client.send(new ListMultipartUploadsCommand({ Bucket, ...markers }))
          for (const upload of page.Uploads ?? []) {
            if (!upload.Key || !upload.UploadId || !isBlobKey(upload.Key)) continue
            if (!upload.Initiated || upload.Initiated >= before) continue
            await client.send(new AbortMultipartUploadCommand({ Bucket, Key: upload.Key, UploadId: upload.UploadId }))
            removed += 1
          }
          if (!page.IsTruncated) break
          markers = { KeyMarker: page.NextKeyMarker ?? '', UploadIdMarker: page.NextUploadIdMarker ?? '' }
        }
      } catch (err) {
        if (err instanceof S3ServiceException && (err.name === 'NotImplemented' || err.$metadata.httpStatusCode === 405 || err.$metadata.httpStatusCode === 501)) {
          return { removed, unsupported: true }
        }
        throw toStoreError(err)
      }
      return { removed }
    },

    async checkAccess(): Promise<void> {
      try {
        await client.send(new HeadBucketCommand({ Bucket }))
      } catch (err) {
        throw accessErrorOf(err, Bucket)
      }
    },

    close: () => client.destroy(),
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])

/** True when err says the endpoint did not answer usefully: a socket error, a timeout, or a 5xx. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof S3ServiceException) return (err.$metadata.httpStatusCode ?? 0) >= 500
  const e = err as { code?: string; name?: string; errors?: { code?: string }[] } | null
  if (!e) return false
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout') return true
  return NETWORK_CODES.has(e.code ?? '') || (e.errors ?? []).some((inner) => NETWORK_CODES.has(inner.code ?? ''))
}

function toStoreError(err: unknown, key?: string): unknown {
  if (isUnreachable(err)) return new StorageUnavailableError(err)
  if (key !== undefined && err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound')) {
    return new BlobNotFoundError(key)
  }
  return err
}

function accessErrorOf(err: unknown, bucket: string): S3AccessError {
  if (isUnreachable(err)) return new S3AccessError('S3_ENDPOINT', `the S3 endpoint does not answer (${describe(err)}).`)
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined
  if (status === 404) return new S3AccessError('S3_BUCKET', `the bucket "${bucket}" does not exist at this endpoint.`)
  if (status === 403 || status === 401) {
    return new S3AccessError('S3_ACCESS_KEY_ID', `S3 refused the credentials for bucket "${bucket}" (check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY).`)
  }
  if (status === 301 || status === 400) return new S3AccessError('S3_REGION', `the bucket "${bucket}" is not reachable in this region (HTTP ${status}).`)
  return new S3AccessError('S3_BUCKET', `checking the bucket "${bucket}" failed: ${describe(err)}.`)
}

function describe(err: unknown): string {
  const e = err as { name?: string; code?: string } | null
  return e?.code ?? e?.name ?? 'unknown error'
}
