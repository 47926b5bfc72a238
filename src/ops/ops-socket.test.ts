/**
 * The operations socket of a server on the embedded database (src/ops/ops-socket.ts): it
 * serves a backup's entries, refuses a malformed request and a rotation to a key the server
 * does not write with, replaces a socket file left by a killed server, refuses to start
 * beside a server that answers on the same DATA_DIR, and moves to the temporary directory
 * when DATA_DIR is too long for a Unix socket path. PGlite in a directory on every run (the
 * socket exists only there), whatever DATABASE_URL says.
 */
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { registerUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { uploadRecord } from '../../test/helpers/uploads.js'
import { waitUntil } from '../../test/helpers/wait.js'
import { createLocalBlobStore } from '../storage/local-blob-store.js'
import { readAll, readEntries } from './archive.js'
import { connectOpsSocket, opsSocketPath, readLine, requestOps, startOpsSocket } from './ops-socket.js'

const apps: TestApp[] = []
const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const close of closers) await close()
  for (const t of apps) await t.close()
})

const MASTER_KEY = randomBytes(32).toString('base64')

async function serverOnDirectory(): Promise<TestApp> {
  const t = await startTestApp({ DATABASE_URL: '', MASTER_KEY })
  apps.push(t)
  return t
}
const openStore = (t: TestApp) => async () => ({ ...createLocalBlobStore(path.join(t.dataDir, 'blobs')), close: () => undefined })

async function listen(t: TestApp) {
  const ops = await startOpsSocket(t.deps, openStore(t))
  if (!ops) throw new Error('no socket on an embedded database in a directory')
  closers.push(ops.close)
  return ops
}

describe('the operations socket', () => {
  it('serves a backup, and refuses a malformed request and a rotation to a key the server does not write with', async () => {
    const t = await serverOnDirectory()
    // A socket file left behind by a killed server is replaced.
    await writeFile(opsSocketPath(t.dataDir), '')
    await listen(t)

    const backup = await connectOpsSocket(t.dataDir)
    if (!backup) throw new Error('the socket does not answer')
    await requestOps(backup, { op: 'backup' })
    const names: string[] = []
    let manifest: unknown
    for await (const entry of readEntries(backup)) {
      names.push(entry.name)
      if (entry.name === 'manifest.json') manifest = JSON.parse((await readAll(entry.body)).toString('utf8'))
    }
    expect(names[0]).toBe('manifest.json')
    expect(names).toContain('table/users')
    expect(manifest).toMatchObject({ format: 1, engine: 'pglite' })

    const malformed = await connectOpsSocket(t.dataDir)
    malformed?.write('{"op":"drop everything"}\n')
    expect(JSON.parse(await readLine(malformed!))).toEqual({ ok: false, error: 'Malformed request.' })
    malformed?.destroy()

    const rotate = await connectOpsSocket(t.dataDir)
    await expect(requestOps(rotate!, { op: 'rotate', newKey: randomBytes(32).toString('base64') })).rejects.toThrow(/does not write with this key/)
    rotate?.destroy()
  })

  it('ends a backup whose CLI went away mid-stream (the server never waits forever on the socket)', async () => {
    const t = await serverOnDirectory()
    const u = await registerUser(t)
    await uploadRecord(t, u, { name: 'big.txt', bytes: 'x'.repeat(4 * 1024 * 1024) })
    let closed = 0
    const ops = await startOpsSocket(t.deps, async () => ({ ...createLocalBlobStore(path.join(t.dataDir, 'blobs')), close: () => void (closed += 1) }))
    if (ops) closers.push(ops.close)
    const client = await connectOpsSocket(t.dataDir)
    await requestOps(client!, { op: 'backup' })
    client?.destroy() // reads nothing more: the 4 MiB file cannot all fit in the socket's buffers
    await waitUntil(() => closed === 1, 30_000, 'the backup to end and close its store')
    const users = await t.deps.db.selectFrom('users').select('id').execute()
    expect(users.length).toBeGreaterThan(0)
  })

  it('refuses to start beside a server that answers on the same DATA_DIR', async () => {
    const t = await serverOnDirectory()
    await listen(t)
    await expect(startOpsSocket(t.deps, openStore(t))).rejects.toThrow(/Another CareLocker server is running/)
  })

  it('listens in the temporary directory when DATA_DIR is too long for a Unix socket path', async () => {
    const t = await serverOnDirectory()
    const longDir = path.join(t.dataDir, 'x'.repeat(120))
    await mkdir(longDir)
    expect(opsSocketPath(longDir).startsWith(longDir)).toBe(false)
    const ops = await startOpsSocket({ ...t.deps, config: { ...t.deps.config, dataDir: longDir } }, openStore(t))
    if (ops) closers.push(ops.close)
    const socket = await connectOpsSocket(longDir)
    expect(socket).toBeDefined()
    socket?.destroy()
  })

  it('outside DATA_DIR, refuses a socket directory other users can reach, on the server and in the CLI', async () => {
    const t = await serverOnDirectory()
    const longDir = path.join(t.dataDir, 'y'.repeat(120))
    await mkdir(longDir)
    const shared = path.dirname(opsSocketPath(longDir))
    await rm(shared, { recursive: true, force: true })
    await mkdir(shared, { mode: 0o777 })
    await chmod(shared, 0o777) // a directory someone else could have prepared, open to all
    try {
      await expect(startOpsSocket({ ...t.deps, config: { ...t.deps.config, dataDir: longDir } }, openStore(t))).rejects.toThrow(/not a private directory/)
      await expect(connectOpsSocket(longDir)).rejects.toThrow(/not a private directory/)
    } finally {
      await rm(shared, { recursive: true, force: true })
    }
  })

  it('is not opened for a server on PostgreSQL or an in-memory database', async () => {
    const t = await startTestApp({ MASTER_KEY })
    apps.push(t)
    expect(await startOpsSocket(t.deps, openStore(t))).toBeUndefined()
  })
})
