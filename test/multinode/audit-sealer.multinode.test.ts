/**
 * Two API nodes on one PostgreSQL database write audit events at the same time (SPEC §4.7):
 * both run a sealer loop, one at a time holds the sealer lock, and the log comes out as one
 * tree — `seq` 1…n with no gap and no event twice, every signed head consistent with the
 * next (checked with the independent RFC 9162 verifier), `verify` ok on either node.
 * Polls with a generous cap; never asserts how fast (STYLE §9).
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../src/app/signing-keys.js'
import { callNode, clusterSecrets, startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { leafOf, verifyConsistency, verifyInclusion } from '../helpers/rfc9162.js'
import { createServerDatabase } from '../helpers/test-app.js'
import { waitUntil } from '../helpers/wait.js'

const baseUrl = process.env.DATABASE_URL
if (!baseUrl?.startsWith('postgres')) throw new Error('npm run test:multinode needs DATABASE_URL=postgres://… (a PostgreSQL server).')

const ADMIN_EMAIL = 'admin@sealer.test'
const ADMIN_PASSWORD = `Adm1n-${randomBytes(12).toString('hex')}`

let database: { url: string; drop: () => Promise<void> }
let nodes: NodeProcess[] = []
let sql: pg.Client

beforeAll(async () => {
  database = await createServerDatabase(baseUrl)
  // Every node of a cluster signs tree heads with the same key (README: AUDIT_SIGNING_KEY).
  const env = { ADMIN_EMAIL, ADMIN_PASSWORD, AUDIT_SIGNING_KEY: JSON.stringify(generateSigningKey()) }
  const secrets = clusterSecrets()
  nodes.push(await startNodeProcess({ databaseUrl: database.url, secrets, env }))
  nodes.push(await startNodeProcess({ databaseUrl: database.url, secrets, env }))
  sql = new pg.Client({ connectionString: database.url })
  await sql.connect()
})

afterAll(async () => {
  await sql?.end()
  await Promise.all(nodes.map((n) => n.stop()))
  await database?.drop()
})


const committedEvents = async () => Number((await sql.query('SELECT count(*) AS n FROM audit_events')).rows[0].n)
const treeHead = async (node: NodeProcess) => (await callNode(node, 'GET', '/audit/tree-head')).json as { treeSize: number; rootHash: string }

describe('the audit sealer on two nodes', () => {
  it('seals concurrent events from both nodes into one gap-free tree whose heads are all consistent', async () => {
    const [a, b] = nodes as [NodeProcess, NodeProcess]
    const email = `p-${randomBytes(6).toString('hex')}@sealer.test`
    const password = `Pw-${randomBytes(12).toString('hex')}`
    expect((await callNode(a, 'POST', '/auth/register', undefined, { email, password, role: 'patient', name: 'Sealed Patient' })).status).toBe(201)

    // 60 logins at once, half on each node, some failing: 60 audit events written concurrently.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => callNode(i % 2 ? b : a, 'POST', '/auth/login', undefined, { email, password: i % 5 === 0 ? 'a wrong password' : password })),
    )
    expect(results.filter((r) => r.status === 200)).toHaveLength(48)
    expect(results.filter((r) => r.status === 401)).toHaveLength(12)

    // Every committed event gets sealed, by whichever node holds the lock, without anyone asking.
    const total = await committedEvents()
    await waitUntil(async () => (await treeHead(a)).treeSize === total, 30_000, `the tree to hold all ${total} events`)
    const seqs = (await sql.query('SELECT seq FROM audit_events ORDER BY seq')).rows.map((r) => Number(r.seq))
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1))

    // Both nodes see the same head; each signed head (from either node's sealer) extends the one before it.
    expect(await treeHead(b)).toEqual(await treeHead(a))
    const heads = (await sql.query('SELECT tree_size, root_hash FROM audit_tree_heads WHERE tree_size > 0 ORDER BY tree_size')).rows.map((r) => ({
      size: Number(r.tree_size),
      root: r.root_hash as string,
    }))
    expect(heads.length).toBeGreaterThan(0)
    for (let i = 1; i < heads.length; i++) {
      const [first, second] = [heads[i - 1]!, heads[i]!]
      const proof = (await callNode(i % 2 ? a : b, 'GET', `/audit/consistency?first=${first.size}&second=${second.size}`)).json.proof
      expect(verifyConsistency(first.size, second.size, first.root, second.root, proof), `${first.size} → ${second.size}`).toBe(true)
    }

    // The patient proves their events against the newest head on either node.
    const login = results.find((r) => r.status === 200)!.json.accessToken as string
    await waitUntil(async () => (await treeHead(a)).treeSize === (await committedEvents()), 30_000, 'the new login to be sealed')
    const head = await treeHead(b)
    const items = (await callNode(a, 'GET', '/patients/me/audit?limit=100', login)).json.items as Array<{ seq: number }>
    expect(items.length).toBeGreaterThanOrEqual(60)
    for (const event of items.slice(0, 5)) {
      const proof = (await callNode(b, 'GET', `/patients/me/audit/${event.seq}/proof?treeSize=${head.treeSize}`, login)).json
      expect(verifyInclusion(event.seq - 1, head.treeSize, leafOf(event), proof.auditPath, head.rootHash)).toBe(true)
    }

    // The admin's verify recomputes everything: intact.
    const admin = (await callNode(b, 'POST', '/auth/login', undefined, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).json.accessToken as string
    const verified = (await callNode(b, 'GET', '/admin/audit/verify', admin)).json
    expect(verified).toMatchObject({ ok: true })
    expect(verified.treeSize).toBeGreaterThanOrEqual(total)
  })
})
