/** The local blob store's own rules: sharded private files, key syntax, listing and sweeping unfinished puts. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { collect, listFiles } from '../../test/helpers/storage.js'
import { BlobNotFoundError, type BlobStore } from './blob-store.js'
import { createLocalBlobStore } from './local-blob-store.js'

let root: string
let store: BlobStore

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'carelocker-storage-'))
  store = createLocalBlobStore(path.join(root, 'blobs'))
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('local blob store', () => {
  it('shards by the first two characters with 0700 directories and 0600 files', async () => {
    await store.put('abcdef', Readable.from([Buffer.from('hello')]))
    expect(await readFile(path.join(root, 'blobs', 'ab', 'abcdef'), 'utf8')).toBe('hello')
    expect((await stat(path.join(root, 'blobs'))).mode & 0o777).toBe(0o700)
    expect((await stat(path.join(root, 'blobs', 'ab'))).mode & 0o777).toBe(0o700)
    expect((await stat(path.join(root, 'blobs', 'ab', 'abcdef'))).mode & 0o777).toBe(0o600)
    expect(await collect(await store.get('abcdef', { start: 1, end: 3 }))).toEqual(Buffer.from('ell'))
  })

  it('refuses keys outside [A-Za-z0-9_-] and missing blobs', async () => {
    for (const key of ['', 'a', '../etc', 'ab/cd', 'ab.cd', '..', 'ab cd']) {
      await expect(store.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/Invalid blob key/)
      await expect(store.get(key)).rejects.toThrow(/Invalid blob key/)
    }
    await expect(store.get('missing')).rejects.toBeInstanceOf(BlobNotFoundError)
    expect(await store.exists('missing')).toBe(false)
    await store.delete('missing')
    expect(await listFiles(root)).toEqual([])
  })

  it('lists complete blobs only, and removes temp files of unfinished puts older than the given date', async () => {
    await store.put('abcdef', Readable.from([Buffer.from('hello')]))
    const stale = path.join(root, 'blobs', 'ab', '.abzzz.0123456789abcdef.tmp')
    await writeFile(stale, 'partial')
    await writeFile(path.join(root, 'blobs', 'ab', 'ab-notes.txt'), 'an operator left this here') // not a blob key: never listed (a sweep would fail on it)
    const entries = []
    for await (const entry of store.list()) entries.push(entry)
    expect(entries).toEqual([{ key: 'abcdef', bytes: 5, lastModified: expect.any(Date) }])
    expect(await store.removeIncomplete(new Date(Date.now() - 60_000))).toEqual({ removed: 0 })
    expect(await store.removeIncomplete(new Date(Date.now() + 60_000))).toEqual({ removed: 1 })
    expect(await listFiles(root)).toEqual([path.join(root, 'blobs', 'ab', 'ab-notes.txt'), path.join(root, 'blobs', 'ab', 'abcdef')])
  })
})
