/**
 * A private PostgreSQL 15 cluster for tests that stop and start the database (SPEC §11
 * faults): Debian's `/usr/lib/postgresql/15/bin` tools, `initdb` into a temporary
 * directory, `pg_ctl start` on a free port of 127.0.0.1 with trust authentication and its
 * Unix socket in that directory — never the machine's shared server on 5432. initdb
 * refuses to run as root: as root the tools run as the `postgres` user (`runuser`), which
 * then owns the directory.
 */
import { execFile } from 'node:child_process'
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './node-process.js'

const run = promisify(execFile)
const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin'

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string
  port: number
  /** A database URL on this cluster (`createDatabase` first). */
  urlOf(database: string): string
  createDatabase(name: string): Promise<string>
  /** `pg_ctl start`, waiting until it accepts connections. */
  start(): Promise<void>
  /** `pg_ctl stop -m fast`: sessions are ended, new connections refused; waits until stopped. */
  stop(): Promise<void>
  /** Stops the cluster if running and removes its directory. Idempotent. */
  destroy(): Promise<void>
}

/** Runs a PostgreSQL tool, as `postgres` when this process is root. Throws with the tool's stderr. */
async function tool(name: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, name), ...args]] : [path.join(BIN, name), args]
  try {
    await run(cmd, argv, { timeout: 60_000 })
  } catch (err) {
    const e = err as Error & { stderr?: string }
    throw new Error(`${name} failed: ${e.stderr || e.message}`)
  }
}

/** initdb + start. Throws when the tools are missing or the cluster does not start. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-pg-'))
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const dataDir = path.join(dir, 'data')
  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let running = false
  await tool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  const cluster: PrivatePostgres = {
    url,
    port,
    urlOf: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`CREATE DATABASE ${name}`)
      } finally {
        await c.end()
      }
      return cluster.urlOf(name)
    },
    async start() {
      try {
        await tool('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start'])
      } catch (err) {
        const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '')
        throw new Error(`${(err as Error).message}\n${log}`)
      }
      running = true
    },
    async stop() {
      await tool('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'])
      running = false
    },
    async destroy() {
      if (running) await cluster.stop().catch(() => undefined)
      await rm(dir, { recursive: true, force: true })
    },
  }
  try {
    await cluster.start()
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  return cluster
}
