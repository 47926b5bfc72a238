import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { type FileHandle, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  assertBlobKey,
  assertByteRange,
  BlobNotFoundError,
  isBlobKey,
  type BlobEntry,
  type BlobStore,
  type ByteRange,
} from './blob-store.js'

const DIR_MODE = 0o700
const FILE_MODE = 0o600

/**
 * A BlobStore on the local file system (SPEC §4.3, `STORAGE=local`): key `abcdef…` is the
 * file `<rootDir>/ab/abcdef…`. Directories are created 0700 and files 0600. `put` writes to a
 * temp file `.<key>.<random>.tmp` in the same directory, flushes it, then renames it over
 * the key, so a reader sees the old blob or the whole new one, never a part; the temp file
 * is removed when the body fails. `put` consumes body and destroys it on any failure. Invalid keys reject with InvalidBlobKeyError; `get` of a
 * missing key rejects with BlobNotFoundError; a `get` range past the end of the file yields
 * the bytes that exist (no error). `list` yields the files named like keys (never a temp
 * file); `removeIncomplete` removes temp files last written before its date.
 */
export function createLocalBlobStore(rootDir: string): BlobStore {
  const root = path.resolve(rootDir)

  const dirOf = (key: string) => path.join(root, key.slice(0, 2))
  const pathOf = (key: string) => path.join(dirOf(key), key)

  return {
    async put(key: string, body: Readable): Promise<{ bytes: number }> {
      const dir = dirOf(String(key))
      const tmp = path.join(dir, `.${String(key)}.${randomBytes(8).toString('hex')}.tmp`)
      let handle: FileHandle
      try {
        assertBlobKey(key) // before any file system call: tmp is only meaningful for a valid key
        await mkdir(dir, { recursive: true, mode: DIR_MODE })
        // Open before piping so the temp file exists (and can be removed) whatever fails later.
        handle = await open(tmp, 'wx', FILE_MODE)
      } catch (err) {
        // put owns body: release its source (an upload, a pipeline) instead of leaving it stalled.
        // Without an error argument, so a body with no 'error' listener cannot crash the process.
        body.destroy()
        throw err
      }
      const out = createWriteStream(tmp, { fd: handle, flush: true })
      try {
        await pipeline(body, out)
        await rename(tmp, pathOf(key))
        await syncDirectory(dir)
        return { bytes: out.bytesWritten }
      } catch (err) {
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()))
        await unlink(tmp).catch(ignoreMissing)
        throw err
      }
    },

    async get(key: string, range?: ByteRange): Promise<Readable> {
      assertBlobKey(key)
      if (range) assertByteRange(range)
      const handle = await open(pathOf(key), 'r').catch((err: unknown) => {
        throw isMissing(err) ? new BlobNotFoundError(key) : err
      })
      return createReadStream(pathOf(key), range ? { fd: handle, start: range.start, end: range.end } : { fd: handle })
    },

    async delete(key: string): Promise<void> {
      assertBlobKey(key)
      await unlink(pathOf(key)).catch(ignoreMissing)
    },

    async exists(key: string): Promise<boolean> {
      assertBlobKey(key)
      try {
        return (await stat(pathOf(key))).isFile()
      } catch (err) {
        if (isMissing(err)) return false
        throw err
      }
    },

    async *list(): AsyncIterable<BlobEntry> {
      for await (const file of shardFiles(root)) {
        if (!isBlobKey(file.name)) continue // temp files of puts (dot names) and anything stray
        const info = await stat(file.path).catch(ignoreMissingAs(undefined))
        if (info?.isFile()) yield { key: file.name, lastModified: info.mtime, bytes: info.size }
      }
    },

    async removeIncomplete(before: Date): Promise<{ removed: number }> {
      let removed = 0
      for await (const file of shardFiles(root)) {
        if (!TEMP_FILE.test(file.name)) continue
        const info = await stat(file.path).catch(ignoreMissingAs(undefined))
        if (!info || info.mtime >= before) continue
        await unlink(file.path).catch(ignoreMissing)
        removed += 1
      }
      return { removed }
    },
  }
}

/** `put`'s temp file: `.<key>.<16 hex>.tmp`. */
const TEMP_FILE = /^\.[A-Za-z0-9_-]{2,128}\.[0-9a-f]{16}\.tmp$/

/** The files directly inside each 2-character shard directory of root (none when root does not exist yet). */
async function* shardFiles(root: string): AsyncIterable<{ name: string; path: string }> {
  const shards = await readdir(root, { withFileTypes: true }).catch(ignoreMissingAs([]))
  for (const shard of shards) {
    if (!shard.isDirectory() || shard.name.length !== 2) continue
    const dir = path.join(root, shard.name)
    const files = await readdir(dir, { withFileTypes: true }).catch(ignoreMissingAs([]))
    for (const file of files) if (file.isFile()) yield { name: file.name, path: path.join(dir, file.name) }
  }
}

function ignoreMissingAs<T>(value: T): (err: unknown) => T {
  return (err) => {
    ignoreMissing(err)
    return value
  }
}

/** Makes the rename durable. Best effort: some platforms cannot fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Not supported here (e.g. Windows); the data itself was flushed before the rename.
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT'
}

function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err
}
