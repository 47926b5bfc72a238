/**
 * The embedded database is one process's (PGlite has no server and no lock), so while a
 * server runs on `$DATA_DIR/db`, the operations CLIs must not open it themselves. The server
 * listens on a Unix socket, `$DATA_DIR/ops.sock`, and does the work for them:
 * `npm run backup` and `npm run keys:rotate` go through it when it answers, and
 * `npm run restore` refuses. Access is the file system's: the socket sits in `DATA_DIR`
 * (mode 0700, like `secrets.json` and the database files) and is itself mode 0600.
 *
 * Protocol: the client sends one JSON line (`{"op":"backup"}` or `{"op":"rotate","newKey":
 * <base64>,"batchSize"?,"limit"?}`); the server answers one JSON line (`{"ok":true}` or
 * `{"ok":false,"error":…}`), then for a backup the framed plaintext entries (archive.ts,
 * encrypted by the CLI), for a rotation one JSON line with the progress; then it closes.
 * A server on PostgreSQL opens no socket: every CLI connects to the database itself.
 */
import { createHash } from 'node:crypto'
import { chmod, lstat, mkdir, unlink } from 'node:fs/promises'
import { connect, createServer, type Server, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import type { Deps } from '../app/deps.js'
import type { BlobStore } from '../storage/blob-store.js'
import { writeBackup } from './backup.js'
import { rotateMasterKey } from './key-rotation.js'

/**
 * Where the server listens for the operations CLIs: `$DATA_DIR/ops.sock`, or — when that path
 * is too long for a Unix socket (about 100 bytes) — `ops.sock` in a directory of this user's
 * own under the temporary directory, `<tmpdir>/carelocker-ops-<uid>-<hash of DATA_DIR>/`
 * (`privateSocketDir` makes and checks it: the temporary directory is shared by all users).
 */
export function opsSocketPath(dataDir: string): string {
  const inDataDir = path.join(path.resolve(dataDir), 'ops.sock')
  if (Buffer.byteLength(inDataDir) <= 100) return inDataDir
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), `carelocker-ops-${process.getuid?.() ?? 0}-${hash}`, 'ops.sock')
}

/**
 * For a socket outside DATA_DIR: its directory exists (made with mode 0700 when `create`),
 * is a real directory owned by this user and closed to everyone else. Throws otherwise, so
 * neither the server nor a CLI ever uses a socket another local user could have placed or
 * could reach (the key rotation sends the new key through it).
 */
async function privateSocketDir(file: string, dataDir: string, create: boolean): Promise<void> {
  if (path.dirname(file) === path.resolve(dataDir)) return
  const dir = path.dirname(file)
  if (create) await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
  const info = await lstat(dir)
  const uid = process.getuid?.()
  if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of this user (owner-only, mode 0700): refusing to use the operations socket in it.`)
  }
}

const count = z.number().int().min(1).max(1_000_000).optional()
/** A request of an operations CLI, parsed by this schema before anything runs. */
const OpsRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('backup') }).strict(),
  z.object({ op: z.literal('rotate'), newKey: z.base64(), batchSize: count, limit: count }).strict(),
])
export type OpsRequest = z.infer<typeof OpsRequest>

/**
 * Listens on `$DATA_DIR/ops.sock` when the server runs on an embedded database in a directory
 * (nothing otherwise: returns undefined). A socket file left by a killed server is replaced;
 * one that answers means another server runs on this DATA_DIR: throws, since two processes
 * on one PGlite directory would corrupt it. `close()` stops listening and removes the file.
 * `openStore` gives the raw blob store (opened per backup, closed after).
 */
export async function startOpsSocket(deps: Deps, openStore: () => Promise<BlobStore & { close(): void }>): Promise<{ close(): Promise<void> } | undefined> {
  if (deps.database.engine !== 'pglite' || deps.config.databaseUrl === 'memory://') return undefined
  const file = opsSocketPath(deps.config.dataDir)
  await privateSocketDir(file, deps.config.dataDir, true)
  const server = createServer((socket) => void serve(deps, openStore, socket))
  await listen(server, file, deps.config.dataDir)
  await chmod(file, 0o600)
  return {
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await unlink(file).catch(() => undefined)
    },
  }
}

async function listen(server: Server, file: string, dataDir: string): Promise<void> {
  const attempt = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(file, () => {
        server.off('error', reject)
        resolve()
      })
    })
  try {
    await attempt()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    const other = await connectOpsSocket(dataDir)
    if (other) {
      other.destroy()
      throw new Error(`Another CareLocker server is running on ${dataDir} (its ${file} answers); one embedded database serves one process.`)
    }
    await unlink(file)
    await attempt()
  }
}

async function serve(deps: Deps, openStore: () => Promise<BlobStore & { close(): void }>, socket: Socket): Promise<void> {
  socket.on('error', () => undefined) // a client that goes away must not crash the server
  try {
    const parsed = OpsRequest.safeParse(JSON.parse(await readLine(socket)))
    if (!parsed.success) throw new Error('Malformed request.')
    const request = parsed.data
    if (request.op === 'backup') {
      const store = await openStore()
      try {
        socket.write(`${JSON.stringify({ ok: true })}\n`)
        await writeBackup({ db: deps.db.withoutPlugins(), engine: deps.database.engine, store, out: socket, now: deps.now() })
      } finally {
        store.close()
      }
    } else {
      const newKey = Buffer.from(request.newKey, 'base64')
      if (!newKey.equals(deps.config.masterKey)) {
        throw new Error('The running server does not write with this key: restart it with MASTER_KEY=<new key> and MASTER_KEY_PREVIOUS=<old key> first, then rotate.')
      }
      socket.write(`${JSON.stringify({ ok: true })}\n`)
      const progress = await rotateMasterKey(deps.db.withoutPlugins(), { newKey, oldKeys: deps.config.previousMasterKeys, batchSize: request.batchSize, limit: request.limit })
      socket.end(`${JSON.stringify(progress)}\n`)
    }
  } catch (err) {
    if (socket.bytesWritten === 0) socket.end(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`)
    else socket.destroy(err as Error) // mid-stream: the client sees the archive cut short
  }
}

/**
 * Connects to the server's operations socket in `dataDir`; undefined when no server listens
 * there (no socket file, or one left by a killed server).
 */
export async function connectOpsSocket(dataDir: string): Promise<Socket | undefined> {
  const file = opsSocketPath(dataDir)
  try {
    await privateSocketDir(file, dataDir, false)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined // no server has listened there
    throw err
  }
  return new Promise((resolve, reject) => {
    const socket = connect(file)
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined)
      else reject(err)
    })
  })
}

/**
 * Sends `request` and reads the server's status line; throws its error when it refused.
 * The socket is then positioned after that line (for a backup, at the framed entries).
 */
export async function requestOps(socket: Socket, request: OpsRequest): Promise<void> {
  socket.write(`${JSON.stringify(request)}\n`)
  const status = JSON.parse(await readLine(socket)) as { ok: boolean; error?: string }
  if (!status.ok) throw new Error(`The running server refused: ${status.error ?? 'no reason given'}`)
}

/** Reads one `\n`-terminated line and pushes back whatever followed it. */
export function readLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk])
      const nl = seen.indexOf(0x0a)
      if (nl < 0) {
        if (seen.length > 64 * 1024) done(new Error('The operations socket sent an overlong line.'))
        return
      }
      const rest = seen.subarray(nl + 1)
      done(undefined, seen.subarray(0, nl).toString('utf8'))
      if (rest.length > 0) socket.unshift(rest)
    }
    const onEnd = () => done(new Error('The operations socket closed before answering.'))
    const done = (err?: Error, line?: string) => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('error', onEnd)
      socket.pause()
      if (err) reject(err)
      else resolve(line as string)
    }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('error', onEnd)
    socket.resume() // paused by an earlier readLine: a 'data' listener alone does not restart it
  })
}
