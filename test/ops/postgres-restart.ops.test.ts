/**
 * PostgreSQL stopped and started under a running server (SPEC §11 faults): while the
 * database is down `/ready` answers 503 and requests fail fast with a 503 problem (each
 * fetch here is aborted after 5 s, so a hang fails the test), and once it is back the same
 * process serves again — same session, new sign-ins, writes — without a restart.
 *
 * The database is a private cluster this file starts itself (test/helpers/private-postgres.ts:
 * Debian's PostgreSQL 15 tools, a free port, never the machine's shared server), so it runs
 * the same whichever engine DATABASE_URL selects for the rest of the suite. The server is
 * a real process (test/helpers/node-process.ts).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clusterSecrets, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js'
import { waitUntil } from '../helpers/wait.js'

/** SPEC §11: a 503 within 5 s, never a hang. */
const FAIL_FAST_MS = 5_000
const RECOVERED_WITHIN_MS = 60_000

let cluster: PrivatePostgres
let node: NodeProcess

beforeAll(async () => {
  cluster = await startPrivatePostgres()
  const databaseUrl = await cluster.createDatabase('carelocker')
  node = await startNodeProcess({ databaseUrl, secrets: clusterSecrets() })
})

afterAll(async () => {
  await node?.stop()
  await cluster?.destroy()
})

/** One request that must answer within FAIL_FAST_MS (the fetch is aborted otherwise, failing the test). */
async function call(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; type: string; json: any }> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
    signal: AbortSignal.timeout(FAIL_FAST_MS),
  })
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? JSON.parse(text) : undefined }
}

const newAccount = () => ({ email: `pg-${randomBytes(6).toString('hex')}@ops.test`, password: `Pw-${randomBytes(12).toString('hex')}`, role: 'patient', name: 'Ops Patient' })

function expectUnavailable(res: { status: number; type: string; json: any }) {
  expect(res.status).toBe(503)
  expect(res.type).toContain('application/problem+json')
  expect(res.json.type).toBe('https://carelocker.dev/problems/service-unavailable')
}

describe('PostgreSQL stopped and started under a running server', () => {
  it('answers 503 fast while the database is down and recovers by itself when it is back', async () => {
    const account = newAccount()
    const registered = await call('POST', '/api/v1/auth/register', { body: account })
    expect(registered.status).toBe(201)
    const token = registered.json.accessToken as string
    expect((await call('GET', '/api/v1/patients/me/records?limit=1', { token })).status).toBe(200)

    await cluster.stop()

    expectUnavailable(await call('GET', '/ready'))
    // Every kind of request: an authenticated read, a sign-in, a write; twice, so a second
    // try (an emptied pool, a listener reconnecting) fails as fast as the first.
    for (let i = 0; i < 2; i++) {
      expectUnavailable(await call('GET', '/api/v1/patients/me/records?limit=1', { token }))
      expectUnavailable(await call('POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } }))
      expectUnavailable(await call('POST', '/api/v1/auth/register', { body: newAccount() }))
    }
    expect((await call('GET', '/health')).status).toBe(200)
    expect(node.exited()).toBe(false)

    await cluster.start()

    await waitUntil(async () => (await call('GET', '/ready')).status === 200, RECOVERED_WITHIN_MS, '/ready to answer 200 again')
    expect((await call('GET', '/api/v1/patients/me/records?limit=1', { token })).status).toBe(200)
    const login = await call('POST', '/api/v1/auth/login', { body: { email: account.email, password: account.password } })
    expect(login.status).toBe(200)
    expect((await call('POST', '/api/v1/auth/register', { body: newAccount() })).status).toBe(201)
    expect(node.exited()).toBe(false)
  })
})
