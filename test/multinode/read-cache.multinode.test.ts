/**
 * The node read cache of patient data (src/db/node-cache.ts; SPEC §7, issue 11) across two
 * API nodes on one PostgreSQL database: whatever changes on node A — through the API, or
 * straight in the database where no code path forgets anything — reaches node B's cached
 * reads (record list, emergency view, emergency link) once the change commits, through the
 * tables' invalidation triggers. Each test warms B's cache first (two identical answers),
 * then changes on A and polls B with a generous cap; never asserts how fast (STYLE §9).
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callNode, clusterSecrets, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { createServerDatabase } from '../helpers/test-app.js'
import { waitUntil } from '../helpers/wait.js'

const baseUrl = process.env.DATABASE_URL
if (!baseUrl?.startsWith('postgres')) throw new Error('npm run test:multinode needs DATABASE_URL=postgres://… (a PostgreSQL server).')

const SEEN_WITHIN_MS = 20_000

let database: { url: string; drop: () => Promise<void> }
let nodeA: NodeProcess
let nodeB: NodeProcess

beforeAll(async () => {
  database = await createServerDatabase(baseUrl)
  const secrets = clusterSecrets()
  // One after the other: the first runs the migrations, the second finds them done.
  nodeA = await startNodeProcess({ databaseUrl: database.url, secrets })
  nodeB = await startNodeProcess({ databaseUrl: database.url, secrets })
})

afterAll(async () => {
  await Promise.all([nodeA?.stop(), nodeB?.stop()])
  await database?.drop()
})

async function registerPatient(): Promise<{ id: string; token: string }> {
  const email = `p-${randomBytes(6).toString('hex')}@multinode.test`
  const res = await callNode(nodeA, 'POST', '/auth/register', undefined, { email, password: `Pw-${randomBytes(12).toString('hex')}`, role: 'patient', name: 'Cache Patient' })
  expect(res.status).toBe(201)
  return { id: res.json.user.id, token: res.json.accessToken }
}

/** Uploads a small text record on `node`; returns its id. */
async function uploadText(node: NodeProcess, token: string, title: string): Promise<string> {
  const form = new FormData()
  form.set('category', 'clinical_note')
  form.set('title', title)
  form.set('file', new Blob(['A short clinical note.\n'], { type: 'text/plain' }), 'note.txt')
  const res = await fetch(`${node.url}/api/v1/patients/me/records`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  expect(res.status).toBe(201)
  return ((await res.json()) as { id: string }).id
}

const titlesOn = async (node: NodeProcess, token: string): Promise<string[]> => {
  const res = await callNode(node, 'GET', '/patients/me/records?limit=20', token)
  expect(res.status).toBe(200)
  return (res.json.items as { title: string }[]).map((r) => r.title)
}

/** Reads twice on B so the second answer comes from B's cache. */
async function warm<T>(read: () => Promise<T>): Promise<T> {
  await read()
  return read()
}

async function sql(text: string, values: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    await client.query(text, values)
  } finally {
    await client.end()
  }
}

describe('the node read cache across two nodes', () => {
  it("a record uploaded on node A appears in node B's cached list, and a rename on A too", async () => {
    const p = await registerPatient()
    await uploadText(nodeA, p.token, 'First note')
    expect(await warm(() => titlesOn(nodeB, p.token))).toEqual(['First note'])
    const second = await uploadText(nodeA, p.token, 'Second note')
    await waitUntil(async () => (await titlesOn(nodeB, p.token)).includes('Second note'), SEEN_WITHIN_MS, 'node B to list the record uploaded on A')
    expect((await callNode(nodeA, 'PATCH', `/patients/me/records/${second}`, p.token, { title: 'Renamed note' })).status).toBe(200)
    await waitUntil(async () => (await titlesOn(nodeB, p.token)).includes('Renamed note'), SEEN_WITHIN_MS, 'node B to list the new title')
  })

  it("a record deleted straight in the database (no code path) leaves both nodes' lists", async () => {
    const p = await registerPatient()
    const id = await uploadText(nodeA, p.token, 'Doomed note')
    expect(await warm(() => titlesOn(nodeA, p.token))).toEqual(['Doomed note'])
    expect(await warm(() => titlesOn(nodeB, p.token))).toEqual(['Doomed note'])
    await sql('UPDATE records SET deleted_at = now() WHERE id = $1', [id])
    for (const node of [nodeA, nodeB]) {
      await waitUntil(async () => (await titlesOn(node, p.token)).length === 0, SEEN_WITHIN_MS, 'each node to drop the deleted record')
    }
  })

  it("an allergy saved on node A shows in node B's emergency view; a rotated link stops working on B", async () => {
    const p = await registerPatient()
    const link = await callNode(nodeA, 'GET', '/patients/me/emergency', p.token)
    expect(link.status).toBe(200)
    const view = async () => callNode(nodeB, 'GET', `/emergency/${link.json.token}`)
    const before = await warm(view)
    expect(before.status).toBe(200)
    expect(before.json.patient.allergies).toEqual([])
    const saved = await callNode(nodeA, 'PUT', '/patients/me/profile', p.token, { fullName: 'Cache Patient', allergies: [{ substance: 'Penicillin', severity: 'severe' }] })
    expect(saved.status).toBe(200)
    await waitUntil(
      async () => ((await view()).json?.patient?.allergies ?? []).some((a: { substance: string }) => a.substance === 'Penicillin'),
      SEEN_WITHIN_MS,
      "node B's emergency view to show the new allergy",
    )
    expect((await callNode(nodeA, 'POST', '/patients/me/emergency/rotate', p.token)).status).toBe(200)
    await waitUntil(async () => (await view()).status === 410, SEEN_WITHIN_MS, 'node B to refuse the rotated link')
  })
})
