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
import { describe, expect, it } from 'vitest'
import { callNode, useTwoNodes, type NodeProcess } from '../helpers/node-process.js'
import { waitUntil } from '../helpers/wait.js'

const SEEN_WITHIN_MS = 20_000

const nodes = useTwoNodes()

async function registerPatient(): Promise<{ id: string; token: string }> {
  const email = `p-${randomBytes(6).toString('hex')}@multinode.test`
  const res = await callNode(nodes.a, 'POST', '/auth/register', undefined, { email, password: `Pw-${randomBytes(12).toString('hex')}`, role: 'patient', name: 'Cache Patient' })
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
  const client = new pg.Client({ connectionString: nodes.databaseUrl })
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
    await uploadText(nodes.a, p.token, 'First note')
    expect(await warm(() => titlesOn(nodes.b, p.token))).toEqual(['First note'])
    const second = await uploadText(nodes.a, p.token, 'Second note')
    await waitUntil(async () => (await titlesOn(nodes.b, p.token)).includes('Second note'), SEEN_WITHIN_MS, 'node B to list the record uploaded on A')
    expect((await callNode(nodes.a, 'PATCH', `/patients/me/records/${second}`, p.token, { title: 'Renamed note' })).status).toBe(200)
    await waitUntil(async () => (await titlesOn(nodes.b, p.token)).includes('Renamed note'), SEEN_WITHIN_MS, 'node B to list the new title')
  })

  it("a record deleted straight in the database (no code path) leaves both nodes' lists", async () => {
    const p = await registerPatient()
    const id = await uploadText(nodes.a, p.token, 'Doomed note')
    expect(await warm(() => titlesOn(nodes.a, p.token))).toEqual(['Doomed note'])
    expect(await warm(() => titlesOn(nodes.b, p.token))).toEqual(['Doomed note'])
    await sql('UPDATE records SET deleted_at = now() WHERE id = $1', [id])
    for (const node of [nodes.a, nodes.b]) {
      await waitUntil(async () => (await titlesOn(node, p.token)).length === 0, SEEN_WITHIN_MS, 'each node to drop the deleted record')
    }
  })

  it("an allergy saved on node A shows in node B's emergency view; a rotated link stops working on B", async () => {
    const p = await registerPatient()
    const link = await callNode(nodes.a, 'GET', '/patients/me/emergency', p.token)
    expect(link.status).toBe(200)
    const view = async () => callNode(nodes.b, 'GET', `/emergency/${link.json.token}`)
    const before = await warm(view)
    expect(before.status).toBe(200)
    expect(before.json.patient.allergies).toEqual([])
    const saved = await callNode(nodes.a, 'PUT', '/patients/me/profile', p.token, { fullName: 'Cache Patient', allergies: [{ substance: 'Penicillin', severity: 'severe' }] })
    expect(saved.status).toBe(200)
    await waitUntil(
      async () => ((await view()).json?.patient?.allergies ?? []).some((a: { substance: string }) => a.substance === 'Penicillin'),
      SEEN_WITHIN_MS,
      "node B's emergency view to show the new allergy",
    )
    expect((await callNode(nodes.a, 'POST', '/patients/me/emergency/rotate', p.token)).status).toBe(200)
    await waitUntil(async () => (await view()).status === 410, SEEN_WITHIN_MS, 'node B to refuse the rotated link')
  })
})
