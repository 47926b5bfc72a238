/**
 * A real S3-compatible server for tests (SPEC §11): s3rver on 127.0.0.1, a port the OS
 * picks, objects in a temporary directory, one bucket created. It checks request
 * signatures, so wrong credentials are refused as on S3. `stop()` closes it and cuts every
 * open connection (S3 unreachable, as when the service is down); `start()` brings it back
 * on the same port with the same objects; `close()` stops it and removes its directory.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { S3StoreConfig } from '../../src/storage/s3-blob-store.js'

interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>
  close(): Promise<void>
  httpServer?: Server
}
type S3rverClass = new (options: {
  address: string
  port: number
  directory: string
  silent: boolean
  configureBuckets: { name: string }[]
}) => S3rverInstance

// s3rver ships no type declarations; its constructor and the two methods used are typed above.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass

/** s3rver's built-in account. */
const ACCESS_KEY_ID = 'S3RVER'
const SECRET_ACCESS_KEY = 'S3RVER'

export interface S3TestServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string
  bucket: string
  /** Where s3rver keeps the objects. */
  directory: string
  /** The store config for `createS3BlobStore` and `Config.storage`. */
  storage: S3StoreConfig & { driver: 's3' }
  /** The environment of a server process on this S3 (STORAGE=s3 and the S3_* variables). */
  env: Record<string, string>
  /** Closes the server and its open connections; the objects stay. Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same port with the same objects. */
  start(): Promise<void>
  /** Stops it and removes its directory. */
  close(): Promise<void>
}

/** Starts s3rver with bucket `opts.bucket` (default `carelocker-test`). */
export async function startS3Server(opts: { bucket?: string } = {}): Promise<S3TestServer> {
  const bucket = opts.bucket ?? 'carelocker-test'
  const directory = await mkdtemp(path.join(os.tmpdir(), 'carelocker-s3-'))
  let port = 0
  let running: S3rverInstance | undefined

  const start = async () => {
    if (running) return
    const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, configureBuckets: [{ name: bucket }] })
    port = (await server.run()).port
    running = server
  }
  const stop = async () => {
    const server = running
    running = undefined
    if (!server) return
    const closed = server.close()
    server.httpServer?.closeAllConnections()
    await closed
  }
  await start()
  const endpoint = `http://127.0.0.1:${port}`
  return {
    endpoint,
    bucket,
    directory,
    storage: {
      driver: 's3',
      endpoint,
      bucket,
      region: 'us-east-1',
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      forcePathStyle: true,
    },
    env: {
      STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: ACCESS_KEY_ID,
      S3_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      S3_FORCE_PATH_STYLE: 'true',
    },
    stop,
    start,
    close: async () => {
      await stop()
      await rm(directory, { recursive: true, force: true })
    },
  }
}
