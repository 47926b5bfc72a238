/**
 * A real CareLocker server process (`src/main.ts` under tsx), for tests that need more
 * than one API node on one database (SPEC §7 scale-out: stateless nodes; issue 11: session
 * revocation across nodes, one audit sealer). Each node is its own OS process with its own
 * caches, pools and job workers, exactly as in production; tests talk to it over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { createServerDatabase, TEST_SERVER_ENV } from './test-app.js'

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface NodeProcess {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  pid: number
  /** The process's stdout and stderr so far (its last 64 KiB), for failure messages. */
  output(): string
  /** True once the process has exited (crashed or stopped). */
  exited(): boolean
  /** SIGTERM, then SIGKILL after `graceMs` (default 15 s). Resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>
}

export interface NodeProcessOptions {
  /** `postgres://…` of the shared database (a cluster needs a server; PGlite is one process). */
  databaseUrl: string
  /** Secrets every node of one cluster shares: MASTER_KEY and JWT_SECRET (see `clusterSecrets`). */
  secrets: ClusterSecrets
  /** Listening port; default a free one. */
  port?: number
  /** More environment variables (e.g. ADMIN_EMAIL, ADMIN_PASSWORD, RATE_LIMIT_*); they win over the defaults. */
  env?: Record<string, string>
  /** How long to wait for `/ready` to answer 200 (default 90 s: migrations and a cold tsx). */
  readyTimeoutMs?: number
}

export interface ClusterSecrets {
  MASTER_KEY: string
  JWT_SECRET: string
}

/** Fresh random secrets for one cluster of nodes (pass the same object to every node). */
export function clusterSecrets(): ClusterSecrets {
  return { MASTER_KEY: randomBytes(32).toString('base64'), JWT_SECRET: randomBytes(32).toString('base64url') }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/**
 * Starts `node --import tsx src/main.ts` on `databaseUrl` and resolves once `GET /ready`
 * answers 200. The node gets its own temporary `DATA_DIR` (removed on stop), `HOST=127.0.0.1`,
 * `LOG_LEVEL=warn`, high rate limits and fast job polling unless `env` says otherwise.
 * Throws (after killing the process) when it exits early or is not ready in time; the error
 * carries the process's output.
 */
export async function startNodeProcess(opts: NodeProcessOptions): Promise<NodeProcess> {
  const port = opts.port ?? (await freePort())
  const url = `http://127.0.0.1:${port}`
  const proc = await spawnTsx('src/main.ts', opts, { PORT: String(port), PUBLIC_URL: url })
  const ready = () => fetch(`${url}/ready`).then((r) => r.status === 200, () => false)
  await proc.waitReady(ready, opts.readyTimeoutMs ?? 90_000, `The node on port ${port}`)
  return { url, port, pid: proc.pid, output: proc.output, exited: proc.exited, stop: proc.stop }
}

/** A worker node (`npm run worker`: job workers and the audit sealer, no HTTP, SPEC §11). */
export type WorkerProcess = Omit<NodeProcess, 'url' | 'port'>

/**
 * Starts `node --import tsx src/cli/worker.ts` like `startNodeProcess` starts a server (same
 * options but `port`) and resolves once it prints that its workers run.
 */
export async function startWorkerProcess(opts: Omit<NodeProcessOptions, 'port'>): Promise<WorkerProcess> {
  const proc = await spawnTsx('src/cli/worker.ts', opts, {})
  await proc.waitReady(() => proc.output().includes(WORKER_READY_MARK), opts.readyTimeoutMs ?? 90_000, 'The worker')
  return { pid: proc.pid, output: proc.output, exited: proc.exited, stop: proc.stop }
}

/** What `src/cli/worker.ts` prints on stdout once its workers run. */
const WORKER_READY_MARK = 'CareLocker worker running'

/** One child process under tsx with a temporary DATA_DIR, its output kept, and a graceful stop. */
async function spawnTsx(script: string, opts: Omit<NodeProcessOptions, 'port'>, extraEnv: Record<string, string>) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-node-'))
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    ...extraEnv,
    DATA_DIR: dataDir,
    DATABASE_URL: opts.databaseUrl,
    LOG_LEVEL: 'warn',
    ...TEST_SERVER_ENV,
    ...opts.secrets,
    ...opts.env,
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-65_536)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exitCode: number | null | undefined
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null)
      resolve()
    })
  })
  const isExited = () => exitCode !== undefined

  let stopping: Promise<void> | undefined
  const stop = (graceMs = 15_000): Promise<void> => {
    stopping ??= (async () => {
      if (!isExited()) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exitedPromise
        clearTimeout(timer)
      }
      await rm(dataDir, { recursive: true, force: true })
    })()
    return stopping
  }

  /** Polls `ready` every 100 ms; throws (after stopping the process) when it exits first or `timeoutMs` passes. */
  const waitReady = async (ready: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (isExited()) {
        await stop()
        throw new Error(`${what} exited (code ${String(exitCode)}) before it was ready:\n${output}`)
      }
      if (await ready()) return
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${output}`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  return { pid: child.pid ?? -1, output: () => output, exited: isExited, stop, waitReady }
}

/**
 * One JSON API call to a node: `METHOD /api/v1<path>` with an optional Bearer token and JSON
 * body. Resolves with the status and the parsed body (undefined when empty).
 */
export async function callNode(node: NodeProcess, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${node.url}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  return { status: res.status, json: text ? JSON.parse(text) : undefined }
}

/**
 * Two API nodes (A, B) on a fresh database of `DATABASE_URL`'s PostgreSQL server, with one
 * set of cluster secrets and `env`: started in `beforeAll` one after the other (the first
 * runs the migrations), stopped and the database dropped in `afterAll`. Read the fields
 * inside tests. Throws at import time of the caller when DATABASE_URL is not PostgreSQL.
 */
export function useTwoNodes(env: Record<string, string> = {}): { readonly a: NodeProcess; readonly b: NodeProcess; readonly databaseUrl: string } {
  const baseUrl = process.env.DATABASE_URL
  if (!baseUrl?.startsWith('postgres')) throw new Error('npm run test:multinode needs DATABASE_URL=postgres://… (a PostgreSQL server).')
  let database: { url: string; drop: () => Promise<void> } | undefined
  let a: NodeProcess | undefined
  let b: NodeProcess | undefined
  beforeAll(async () => {
    database = await createServerDatabase(baseUrl)
    const secrets = clusterSecrets()
    a = await startNodeProcess({ databaseUrl: database.url, secrets, env })
    b = await startNodeProcess({ databaseUrl: database.url, secrets, env })
  })
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()])
    await database?.drop()
  })
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the nodes are not started yet (read them inside a test)')
    return v
  }
  return {
    get a() {
      return started(a)
    },
    get b() {
      return started(b)
    },
    get databaseUrl() {
      return started(database).url
    },
  }
}
