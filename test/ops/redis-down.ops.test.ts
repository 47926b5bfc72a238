/**
 * Redis down (SPEC §11): a server whose `REDIS_URL` points at a Redis that was killed keeps
 * working — sign-up, sign-in, lists — its rate limits fall back to per-node memory (still
 * enforced) with a logged warning, and when Redis is back the counts go to Redis again.
 *
 * The Redis is private (test/helpers/private-redis.ts: `redis-server --save ''` on a free
 * port), killed with SIGKILL; the server is a real process (its log is its output). Runs on
 * both engines: PostgreSQL when DATABASE_URL is set (a fresh database), else PGlite in the
 * process's own data directory.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callNode, clusterSecrets, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js'
import { createServerDatabase } from '../helpers/test-app.js'
import { waitUntil } from '../helpers/wait.js'

const FAILURE_LIMIT = 3
const PREFIX = `carelocker-ops-${randomBytes(4).toString('hex')}:`

let redis: PrivateRedis
let server: { url: string; drop: () => Promise<void> } | undefined
let node: NodeProcess

beforeAll(async () => {
  redis = await startPrivateRedis()
  server = process.env.DATABASE_URL?.startsWith('postgres') ? await createServerDatabase(process.env.DATABASE_URL) : undefined
  node = await startNodeProcess({
    databaseUrl: server?.url ?? '',
    secrets: clusterSecrets(),
    env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: String(FAILURE_LIMIT), LOG_LEVEL: 'info' },
  })
})

afterAll(async () => {
  await node?.stop()
  await redis?.kill()
  await server?.drop()
})

async function register(): Promise<{ email: string; password: string; token: string }> {
  const account = { email: `r-${randomBytes(6).toString('hex')}@ops.test`, password: `Pw-${randomBytes(12).toString('hex')}` }
  const res = await callNode(node, 'POST', '/auth/register', undefined, { ...account, role: 'patient', name: 'Redis Down' })
  expect(res.status).toBe(201)
  return { ...account, token: res.json.accessToken }
}

/** FAILURE_LIMIT wrong passwords answer 401, the next attempt 429. */
async function expectFailuresLimited(email: string): Promise<void> {
  for (let i = 0; i < FAILURE_LIMIT; i++) {
    expect((await callNode(node, 'POST', '/auth/login', undefined, { email, password: 'wrong-password' })).status).toBe(401)
  }
  expect((await callNode(node, 'POST', '/auth/login', undefined, { email, password: 'wrong-password' })).status).toBe(429)
}

describe('Redis down under a running server', () => {
  it('limits count in Redis while it runs, in memory with a warning while it is down, in Redis again when it is back', async () => {
    const before = await register()
    await expectFailuresLimited(before.email)
    expect((await redis.keys(`${PREFIX}rl:loginFailures`)).length).toBeGreaterThan(0)

    await redis.kill()

    // Nothing else breaks: sign-up, sign-in, an authenticated list.
    const during = await register()
    const login = await callNode(node, 'POST', '/auth/login', undefined, { email: during.email, password: during.password })
    expect(login.status).toBe(200)
    expect((await callNode(node, 'GET', '/patients/me/records?limit=5', login.json.accessToken)).status).toBe(200)
    // The limits still hold, counted in this node's memory.
    await expectFailuresLimited(during.email)
    await waitUntil(() => node.output().includes('Redis is unreachable: rate limits fall back to per-node memory'), 10_000, 'the warning in the log')
    expect(node.output()).toMatch(/"level":40[^\n]*Redis is unreachable/)

    await redis.start()
    await waitUntil(() => node.output().includes('Redis is back'), 30_000, 'the server to reconnect to Redis')
    const after = await register()
    await expectFailuresLimited(after.email)
    // The restarted Redis was empty: its keys now are the ones counted after it came back.
    expect((await redis.keys(`${PREFIX}rl:loginFailures`)).length).toBeGreaterThan(0)
    expect(node.exited()).toBe(false)
  })
})
