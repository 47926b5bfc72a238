/**
 * A private Redis for tests that take Redis away (SPEC §11: Redis down → rate limits fall
 * back to memory): `redis-server --port <free> --save ''` on 127.0.0.1, no persistence, so
 * a restart comes back empty. Never the machine's shared Redis on 6379.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { freePort } from './node-process.js'
import { waitUntil } from './wait.js'

export interface PrivateRedis {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  /** Starts the server (again, on the same port) and waits until it answers PING. */
  start(): Promise<void>
  /** SIGKILL, as a crash: waits until the process is gone. Idempotent. */
  kill(): Promise<void>
  /** Keys under `prefix` (a running server only). */
  keys(prefix: string): Promise<string[]>
}

/** True when a Redis at `url` answers PING now. */
export async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** Starts `redis-server` on a free port. Throws when it does not answer within 20 s. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const redis: PrivateRedis = {
    url,
    port,
    async start() {
      if (child) return
      const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      child = c
      c.once('exit', () => {
        if (child === c) child = undefined
      })
      await waitUntil(() => answersPing(url), 20_000, `redis-server on port ${port}`)
    },
    async kill() {
      const c = child
      if (!c || c.exitCode !== null) return
      const exited = once(c, 'exit')
      c.kill('SIGKILL')
      await exited
    },
    async keys(prefix) {
      const client = new Redis(url, { maxRetriesPerRequest: 1 })
      try {
        return await client.keys(`${prefix}*`)
      } finally {
        client.disconnect()
      }
    },
  }
  await redis.start()
  return redis
}
