/**
 * Two API nodes on one PostgreSQL database and one Redis behave as one server (SPEC §11
 * "stateless nodes"; sessions and the audit sealer have their own files): failed logins
 * count across nodes (rate limits in Redis, under a key prefix of this run), wrong share
 * passcodes count across nodes, one emergency alert round however many nodes serve the
 * view, and every job runs once with workers on both nodes — each email observed at a real
 * SMTP listener, each SMS at a local Twilio-compatible endpoint. Then a node with
 * `JOB_WORKERS=false` never runs a job, and `npm run worker` on the same database does.
 *
 * Needs DATABASE_URL=postgres://…; uses the Redis on 127.0.0.1:6379 (REDIS_URL overrides),
 * or, when none answers there, a private redis-server it starts itself.
 * Polls with a generous cap; never asserts how fast (STYLE §9).
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callNode, clusterSecrets, startNodeProcess, startWorkerProcess, type NodeProcess } from '../helpers/node-process.js'
import { answersPing, startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js'
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js'
import { createServerDatabase } from '../helpers/test-app.js'
import { startTwilioStub, type TwilioStub } from '../helpers/twilio-stub.js'
import { multipartBody } from '../helpers/uploads.js'
import { waitUntil } from '../helpers/wait.js'

const baseUrl = process.env.DATABASE_URL
if (!baseUrl?.startsWith('postgres')) throw new Error('npm run test:multinode needs DATABASE_URL=postgres://… (a PostgreSQL server).')
const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Failed logins per account and IP in 15 minutes, low enough to reach across two nodes. */
const FAILURE_LIMIT = 4
const DELIVERED_WITHIN_MS = 60_000

let database: { url: string; drop: () => Promise<void> }
let smtp: SmtpSink
let twilio: TwilioStub
let nodeA: NodeProcess
let nodeB: NodeProcess
let sql: pg.Client
let privateRedis: PrivateRedis | undefined

beforeAll(async () => {
  if (!(await answersPing(SHARED_REDIS_URL))) privateRedis = await startPrivateRedis()
  database = await createServerDatabase(baseUrl)
  smtp = await startSmtpSink()
  twilio = await startTwilioStub()
  const secrets = clusterSecrets()
  const env = {
    SMTP_URL: smtp.url,
    ...twilio.env,
    REDIS_URL: privateRedis?.url ?? SHARED_REDIS_URL,
    // This run's own keys: other runs (or lockers) may share the Redis.
    REDIS_KEY_PREFIX: `carelocker-test-${randomBytes(6).toString('hex')}:`,
    RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN: String(FAILURE_LIMIT),
  }
  // One after the other: the first runs the migrations, the second finds them done.
  nodeA = await startNodeProcess({ databaseUrl: database.url, secrets, env })
  nodeB = await startNodeProcess({ databaseUrl: database.url, secrets, env })
  sql = new pg.Client({ connectionString: database.url })
  await sql.connect()
})

afterAll(async () => {
  await sql?.end()
  await Promise.all([nodeA?.stop(), nodeB?.stop()])
  await database?.drop()
  await smtp?.close()
  await twilio?.close()
  await privateRedis?.kill()
})

const password = () => `Pw-${randomBytes(12).toString('hex')}`
const newEmail = (what: string) => `${what}-${randomBytes(6).toString('hex')}@multinode.test`

async function registerPatient(node: NodeProcess): Promise<{ id: string; email: string; password: string; token: string }> {
  const email = newEmail('p')
  const pw = password()
  const res = await callNode(node, 'POST', '/auth/register', undefined, { email, password: pw, role: 'patient', name: 'Multi Node' })
  expect(res.status).toBe(201)
  // As clicking the emailed link would (SPEC §8): mail reaches verified addresses only (a no-op on another database).
  await sql.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [res.json.user.id])
  return { id: res.json.user.id, email, password: pw, token: res.json.accessToken }
}

/** pg-boss jobs matching a condition on their JSON payload, by state. */
async function jobStates(where: string, params: unknown[]): Promise<{ total: number; completed: number }> {
  const { rows } = await sql.query<{ total: number; completed: number }>(
    `SELECT count(*)::int AS total, (count(*) FILTER (WHERE state = 'completed'))::int AS completed FROM pgboss.job WHERE ${where}`,
    params,
  )
  return rows[0] ?? { total: 0, completed: 0 }
}

describe('shared rules across two nodes', () => {
  it('failed logins count across nodes: two wrong passwords on each of A and B reach the limit of four, on both', async () => {
    const p = await registerPatient(nodeA)
    const wrong = { email: p.email, password: 'not-the-password' }
    for (const node of [nodeA, nodeA, nodeB, nodeB]) {
      expect((await callNode(node, 'POST', '/auth/login', undefined, wrong)).status).toBe(401)
    }
    // Each node saw only two failures; refused on both means the count is shared.
    for (const node of [nodeA, nodeB]) {
      const res = await callNode(node, 'POST', '/auth/login', undefined, wrong)
      expect(res.status).toBe(429)
      expect(res.json.type).toBe('https://carelocker.dev/problems/rate-limited')
    }
  })

  it('wrong share passcodes count across nodes: three on A and two on B lock the link on both', async () => {
    const p = await registerPatient(nodeA)
    const { body, contentType } = await multipartBody({ category: 'lab_report' }, { name: 'note.txt', bytes: 'ECG normal\n' })
    const up = await fetch(`${nodeA.url}/api/v1/patients/me/records`, { method: 'POST', headers: { authorization: `Bearer ${p.token}`, 'content-type': contentType }, body: new Uint8Array(body) })
    expect(up.status).toBe(201)
    const record = (await up.json()) as { id: string }
    const passcode = 'right-passcode'
    const share = await callNode(nodeA, 'POST', `/patients/me/records/${record.id}/shares`, p.token, { passcode })
    expect(share.status).toBe(201)
    const open = (node: NodeProcess, code: string) => fetch(`${node.url}/api/v1/shared/${share.json.token}`, { headers: { 'x-share-passcode': code } })

    const remaining: number[] = []
    for (const node of [nodeA, nodeA, nodeA, nodeB, nodeB]) {
      const res = await open(node, 'wrong-passcode')
      expect(res.status).toBe(401)
      remaining.push(((await res.json()) as { remainingAttempts: number }).remainingAttempts)
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0])
    // Locked everywhere, even for the right passcode.
    for (const node of [nodeA, nodeB]) expect((await open(node, passcode)).status).toBe(410)
  })

  it('one emergency alert round when both nodes serve the view at once: one email to the patient, one SMS per contact', async () => {
    const p = await registerPatient(nodeA)
    const phones = ['+442079460101', '+442079460102']
    const profile = await callNode(nodeA, 'PUT', '/patients/me/profile', p.token, {
      fullName: 'Alert Once', bloodGroup: 'O-', emergencyContacts: phones.map((phone, i) => ({ name: `Contact ${i + 1}`, phone })),
    })
    expect(profile.status).toBe(200)
    const { token } = (await callNode(nodeA, 'GET', '/patients/me/emergency', p.token)).json as { token: string }

    const views = await Promise.all([nodeA, nodeB, nodeA, nodeB, nodeA, nodeB].map((node) => callNode(node, 'GET', `/emergency/${token}`)))
    expect(views.map((v) => v.status)).toEqual([200, 200, 200, 200, 200, 200])

    // Jobs are enqueued in the views' transactions: once they answered, the count is final.
    const alertJobs = () =>
      jobStates(
        `(name = 'notify.email' AND data->>'template' = 'emergency-access' AND data->'to'->>'userId' = $1)
         OR (name = 'notify.sms' AND data->'data'->>'patientId' = $1)`,
        [p.id],
      )
    expect((await alertJobs()).total).toBe(1 + phones.length)
    await waitUntil(async () => (await alertJobs()).completed === 1 + phones.length, DELIVERED_WITHIN_MS, 'the alert round to be delivered')
    expect(smtp.messages.filter((m) => m.envelopeTo.includes(p.email) && m.subject.startsWith('Emergency access'))).toHaveLength(1)
    for (const phone of phones) expect(twilio.messages.filter((m) => m.to === phone)).toHaveLength(1)
  })

  it('every job runs once: 200 emails enqueued at once, workers on both nodes, each address receives exactly one', async () => {
    const boss = new PgBoss({ connectionString: database.url, schedule: false, supervise: false, migrate: false, max: 2 })
    boss.on('error', () => undefined)
    await boss.start()
    const run = randomBytes(4).toString('hex')
    const addresses = Array.from({ length: 200 }, (_, i) => `once-${run}-${i}@multinode.test`)
    try {
      const accessedAt = new Date().toISOString()
      await boss.insert(addresses.map((email) => ({ name: 'notify.email', data: { template: 'emergency-access', to: { email }, data: { accessedAt } } })))
    } finally {
      await boss.stop({ graceful: false, close: true })
    }
    const ours = () => smtp.messages.filter((m) => m.envelopeTo.some((to) => to.startsWith(`once-${run}-`)))
    const jobs = () => jobStates(`name = 'notify.email' AND data->'to'->>'email' LIKE $1`, [`once-${run}-%`])
    await waitUntil(async () => (await jobs()).completed === addresses.length, DELIVERED_WITHIN_MS, 'every job to complete')
    const received = ours().flatMap((m) => m.envelopeTo)
    expect(received).toHaveLength(addresses.length)
    expect(new Set(received)).toEqual(new Set(addresses))
  })
})

describe('JOB_WORKERS=false and npm run worker', () => {
  let other: { url: string; drop: () => Promise<void> } | undefined
  let apiOnly: NodeProcess | undefined
  afterAll(async () => {
    await apiOnly?.stop()
    await other?.drop()
  })

  it('a node with JOB_WORKERS=false runs no job; a worker process on the same database delivers it and stops on SIGTERM', async () => {
    other = await createServerDatabase(baseUrl)
    const secrets = clusterSecrets()
    const env = { SMTP_URL: smtp.url, JOB_WORKERS: 'false' }
    apiOnly = await startNodeProcess({ databaseUrl: other.url, secrets, env })
    const p = await registerPatient(apiOnly)
    const welcome = async () => {
      const c = new pg.Client({ connectionString: other!.url })
      await c.connect()
      try {
        const { rows } = await c.query<{ state: string }>(`SELECT state::text AS state FROM pgboss.job WHERE name = 'notify.email-verification' AND data->>'userId' = $1`, [p.id])
        return rows.map((r) => r.state)
      } finally {
        await c.end()
      }
    }
    expect(await welcome()).toEqual(['created'])
    // Six poll intervals (0.5 s in tests) later, nothing has fetched it.
    await new Promise((r) => setTimeout(r, 3_000))
    expect(await welcome()).toEqual(['created'])
    expect(smtp.messages.some((m) => m.envelopeTo.includes(p.email))).toBe(false)

    const worker = await startWorkerProcess({ databaseUrl: other.url, secrets, env: { SMTP_URL: smtp.url, LOG_LEVEL: 'info' } })
    try {
      await smtp.waitFor((m) => m.envelopeTo.includes(p.email), DELIVERED_WITHIN_MS)
      await waitUntil(async () => (await welcome())[0] === 'completed', DELIVERED_WITHIN_MS, 'the verification email job to complete')
    } finally {
      await worker.stop()
    }
    expect(worker.exited()).toBe(true)
    expect(worker.output()).toContain('worker stopped')
  })
})
