import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { compactVerify, createLocalJWKSet } from 'jose'
import { Kysely, Migrator, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import type { Deps } from '../app/deps.js'
import { generateSigningKey } from '../app/signing-keys.js'
import { verifyAuditTree } from './verify.js'
import { systemActor } from '../policy/index.js'
import { migrationProvider } from '../db/migrations/index.js'
import { buildApp } from '../app/build-app.js'
import { createAdmin, loginAs, PASSWORD, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { leafOf, verifyConsistency, verifyInclusion } from '../../test/helpers/rfc9162.js'
import { createServerDatabase, startTestApp, type TestApp } from '../../test/helpers/test-app.js'

const run = promisify(execFile)

/** The test's clock: real time unless a test pins it. */
let pinned: Date | null = null
const clock = () => pinned ?? new Date()

let t: TestApp
let admin: TestUser
beforeAll(async () => {
  t = await startTestApp({}, { now: clock })
  admin = await createAdmin(t)
})
afterAll(async () => t?.close())

const BROWSER = 'Mozilla/5.0 (CareLocker audit test)'

const login = (email: string, password: string, opts: { ip?: string; ua?: string } = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress: opts.ip ?? '198.51.100.7',
    headers: { 'user-agent': opts.ua ?? BROWSER },
  })

const auditOf = (u: TestUser, query = '', pid = 'me') => t.app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/audit${query}`, headers: u.headers })

/** The patient's events once everything written so far is sealed (events appear within 2 s). */
async function auditItems(u: TestUser, query = ''): Promise<AuditEventDto[]> {
  await t.deps.audit.sealNow()
  const res = await auditOf(u, query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items
}

const verify = async () => {
  await t.deps.audit.sealNow()
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin.headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { ok: boolean; events: number; treeSize: number; rootHash: string; firstBadSeq?: number }
}

interface AuditEventDto {
  seq: number
  at: string
  action: string
  actor: { kind: string; id?: string; name?: string }
  patientId?: string
  resource: { type: string; id: string }
  ip: string | null
  userAgent: string | null
}

const consent = (patientId: string, doctorId: string) =>
  t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved' }).returning('id').executeTakeFirstOrThrow()

interface TreeHeadDto { treeSize: number; rootHash: string; timestamp: string; signature: string }

const treeHead = async (): Promise<TreeHeadDto> => {
  await t.deps.audit.sealNow()
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

const proofOf = (u: TestUser, seq: number | string, query = '') =>
  t.app.inject({ method: 'GET', url: `/api/v1/patients/me/audit/${seq}/proof${query}`, headers: u.headers })

describe("the patient's audit log", () => {
  it("lists logins and a doctor's profile read with actor kind, name, IP and user agent; the patient's own reads are not logged", async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient.id, doctor.id)

    const signedIn = await login(patient.email, PASSWORD, { ip: '203.0.113.9', ua: 'PatientPhone/1.0' })
    expect(signedIn.statusCode).toBe(200)
    const wrong = await login(patient.email, 'not the password at all', { ip: '192.0.2.66', ua: 'Guesser/0.1' })
    expect(wrong.statusCode).toBe(401)
    const read = await t.app.inject({
      method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, remoteAddress: '198.51.100.23', headers: { ...doctor.headers, 'user-agent': 'ClinicBrowser/2.0' },
    })
    expect(read.statusCode).toBe(200)
    // The patient's own read is not an event.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: patient.headers })).statusCode).toBe(200)

    const items = await auditItems(patient)
    expect(items.map((e) => e.action)).toEqual(['profile.viewed', 'auth.login_failed', 'auth.logged_in'])
    expect(items[0]).toEqual({
      seq: expect.any(Number), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), action: 'profile.viewed',
      actor: { kind: 'doctor', id: doctor.id, name: 'Test doctor' }, patientId: patient.id,
      resource: { type: 'profile', id: patient.id }, ip: '198.51.100.23', userAgent: 'ClinicBrowser/2.0',
    })
    expect(items[1]).toMatchObject({
      action: 'auth.login_failed', actor: { kind: 'patient', id: patient.id, name: 'Test patient' },
      resource: { type: 'user', id: patient.id }, ip: '192.0.2.66', userAgent: 'Guesser/0.1',
    })
    expect(items[2]).toMatchObject({ action: 'auth.logged_in', actor: { kind: 'patient', id: patient.id }, resource: { type: 'session' }, ip: '203.0.113.9', userAgent: 'PatientPhone/1.0' })
    expect(items[0]!.seq).toBeGreaterThan(items[1]!.seq)
    // The attempted password is kept nowhere in the log.
    const rows = await t.deps.db.selectFrom('auditEvents').selectAll().where('patientId', '=', patient.id).execute()
    expect(JSON.stringify(rows)).not.toContain('not the password')
    // `{pid}` may be the patient's own id.
    expect((await auditOf(patient, '', patient.id)).json().items).toEqual(items)
  })

  it('logs profile changes, imports and refused attempts; another patient never sees them', async () => {
    const patient = await registerUser(t)
    const other = await registerUser(t)
    const stranger = await registerVerified(t, 'doctor', admin)

    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Ana Silva', bloodGroup: 'A+' } })
    expect(put.statusCode).toBe(200)
    const imported = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: patient.headers, payload: { resourceType: 'Bundle', type: 'collection', entry: [] } })
    expect(imported.statusCode, imported.body).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, headers: stranger.headers })).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/profile`, headers: other.headers })).statusCode).toBe(404)

    const items = await auditItems(patient)
    expect(items.map((e) => [e.action, e.actor.kind])).toEqual([
      ['profile.denied', 'patient'],
      ['profile.denied', 'doctor'],
      ['import.completed', 'patient'],
      ['profile.updated', 'patient'],
    ])
    expect(items[2]!.resource).toEqual({ type: 'import', id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(items[1]!.actor).toEqual({ kind: 'doctor', id: stranger.id, name: 'Test doctor' })

    // The other patient sees only their own (none yet: registration is not a login).
    const theirs = await auditItems(other)
    expect(theirs.every((e) => e.patientId === other.id)).toBe(true)
    expect(theirs).toEqual([])
    // …and cannot ask for someone else's log; other roles can never use the route.
    expect((await auditOf(other, '', patient.id)).statusCode).toBe(404)
    expect((await auditOf(stranger, '', patient.id)).statusCode).toBe(403)
    expect((await auditOf(admin, '', patient.id)).statusCode).toBe(403)
  })

  it('filters by action and by from/to (dates inclusive as whole UTC days, or instants), and pages newest first with a cursor', async () => {
    const patient = await registerUser(t)
    const days = ['2030-01-10T12:00:00.000Z', '2030-01-11T12:00:00.000Z', '2030-01-12T12:00:00.000Z']
    try {
      for (const at of days) {
        pinned = new Date(at)
        expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
      }
      pinned = new Date('2030-01-12T13:00:00.000Z')
      expect((await login(patient.email, 'wrong password here')).statusCode).toBe(401)
      const me = await loginAs(t, patient.email)
      const ats = async (query: string) => (await auditItems(me, query)).map((e) => e.at)

      expect(await ats('?action=auth.login_failed')).toEqual(['2030-01-12T13:00:00.000Z'])
      expect(await ats('?action=auth.logged_in&from=2030-01-11&to=2030-01-11')).toEqual([days[1]])
      expect(await ats(`?action=auth.logged_in&from=${days[1]}`)).toEqual(['2030-01-12T13:00:00.000Z', days[2], days[1]])
      expect(await ats(`?from=2030-01-10&to=${days[1]}`)).toEqual([days[1], days[0]])
      expect(await ats('?from=2030-01-13')).toEqual([])
      expect((await auditOf(me, '?from=2030-01-12&to=2030-01-11')).statusCode).toBe(400)
      expect((await auditOf(me, '?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(400)
      expect((await auditOf(me, '?action=DROP%20TABLE')).statusCode).toBe(400)
      expect((await auditOf(me, '?limit=0')).statusCode).toBe(400)

      const all = await auditItems(me, '?limit=100')
      expect(all).toHaveLength(5)
      const seen: AuditEventDto[] = []
      let cursor: string | null = null
      do {
        const res = await auditOf(me, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        expect(res.statusCode).toBe(200)
        const page = res.json() as { items: AuditEventDto[]; nextCursor: string | null }
        expect(page.items.length).toBeLessThanOrEqual(2)
        seen.push(...page.items)
        cursor = page.nextCursor
      } while (cursor)
      expect(seen).toEqual(all)
      expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((a, b) => b - a))
    } finally {
      pinned = null
    }
  })
})

/** A one-file multipart/form-data upload of a small text record. */
function uploadText(u: TestUser, pid: string, text: string) {
  const boundary = `----audit${randomBytes(8).toString('hex')}`
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\nlab_report\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\n${text}\r\n` +
      `--${boundary}--\r\n`,
  )
  return t.app.inject({ method: 'POST', url: `/api/v1/patients/${pid}/records`, headers: { ...u.headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload })
}

describe('records in the audit log', () => {
  it("logs every change, a doctor's list, view, download and verify, and refused attempts — not the patient's own reads", async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const stranger = await registerVerified(t, 'doctor', admin)
    await consent(patient.id, doctor.id)
    const base = `/api/v1/patients/${patient.id}/records`
    const as = (u: TestUser, method: 'GET' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({ method, url, headers: u.headers, ...(payload ? { payload } : {}) })

    const mine = await uploadText(patient, 'me', 'Cholesterol 180 mg/dL')
    expect(mine.statusCode, mine.body).toBe(201)
    const id = mine.json().id as string
    const theirs = await uploadText(doctor, patient.id, 'Referral letter')
    expect(theirs.statusCode, theirs.body).toBe(201)
    // The patient's own reads are not events.
    expect((await as(patient, 'GET', '/api/v1/patients/me/records')).statusCode).toBe(200)
    expect((await as(patient, 'GET', `/api/v1/patients/me/records/${id}/content`)).statusCode).toBe(200)
    // The doctor's reads are.
    expect((await as(doctor, 'GET', base)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}`)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}/content`)).statusCode).toBe(200)
    expect((await as(doctor, 'GET', `${base}/${id}/verify`)).statusCode).toBe(200)
    expect((await as(doctor, 'DELETE', `${base}/${id}`)).statusCode).toBe(403)
    expect((await as(stranger, 'GET', `${base}/${id}`)).statusCode).toBe(404)
    expect((await as(patient, 'PATCH', `/api/v1/patients/me/records/${id}`, { title: 'Lipids' })).statusCode).toBe(200)
    expect((await as(patient, 'DELETE', `/api/v1/patients/me/records/${id}`)).statusCode).toBe(204)

    const items = await auditItems(patient)
    expect(items.map((e) => `${e.action} ${e.actor.kind === 'doctor' ? (e.actor.id === doctor.id ? 'doctor' : 'stranger') : e.actor.kind} ${e.resource.type}`).reverse()).toEqual([
      'record.created patient record',
      'record.created doctor record',
      'record.listed doctor records',
      'record.viewed doctor record',
      'record.downloaded doctor record',
      'record.verified doctor record',
      'record.denied doctor record',
      'record.denied stranger record',
      'record.updated patient record',
      'record.deleted patient record',
    ])
    expect(items.find((e) => e.action === 'record.downloaded')).toMatchObject({ patientId: patient.id, resource: { type: 'record', id } })
    expect((await verify()).ok).toBe(true)
  })
})

describe('the Merkle tree (RFC 9162)', () => {
  it("signs tree heads with a published Ed25519 key, and proves each of the patient's events with an audit path an independent verifier accepts", async () => {
    const patient = await registerUser(t)
    for (let i = 0; i < 5; i++) expect((await login(patient.email, i === 2 ? 'wrong password here' : PASSWORD)).statusCode).toBe(i === 2 ? 401 : 200)
    const head = await treeHead()
    // The signature is a compact JWS (EdDSA) over exactly {treeSize, rootHash, timestamp}, by a key of /audit/keys.
    const jwks = (await t.app.inject({ method: 'GET', url: '/api/v1/audit/keys' })).json()
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) })
    expect(JSON.stringify(jwks)).not.toMatch(/"d":/)
    const { payload, protectedHeader } = await compactVerify(head.signature, createLocalJWKSet(jwks))
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: jwks.keys[0].kid })
    expect(JSON.parse(Buffer.from(payload).toString())).toEqual({ treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.timestamp })

    const items = await auditItems(patient)
    expect(items).toHaveLength(5)
    for (const event of items) {
      const res = await proofOf(patient, event.seq)
      expect(res.statusCode, res.body).toBe(200)
      const proof = res.json()
      expect(proof).toMatchObject({ seq: event.seq, treeSize: head.treeSize, rootHash: head.rootHash, leafHash: leafOf(event) })
      expect(verifyInclusion(event.seq - 1, proof.treeSize, leafOf(event), proof.auditPath, head.rootHash)).toBe(true)
      // A proof for another event's leaf, or against another root, fails.
      expect(verifyInclusion(event.seq - 1, proof.treeSize, leafOf({ ...event, action: 'x.y' }), proof.auditPath, head.rootHash)).toBe(false)
    }
    // An older tree size that already holds the event: the proof matches the root of that size.
    const oldest = items[items.length - 1] as AuditEventDto
    const older = (await proofOf(patient, oldest.seq, `?treeSize=${oldest.seq}`)).json()
    expect(verifyInclusion(oldest.seq - 1, oldest.seq, leafOf(oldest), older.auditPath, older.rootHash)).toBe(true)
    // …and that root is consistent with the newest head.
    const c = (await t.app.inject({ method: 'GET', url: `/api/v1/audit/consistency?first=${oldest.seq}&second=${head.treeSize}` })).json()
    expect(verifyConsistency(oldest.seq, head.treeSize, older.rootHash, head.rootHash, c.proof)).toBe(true)
  })

  it('proves that every tree size extends every smaller one (consistency proofs checked by the independent verifier)', async () => {
    const patient = await registerUser(t)
    const first = await treeHead()
    for (let i = 0; i < 9; i++) expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
    const second = await treeHead()
    expect(second.treeSize).toBe(first.treeSize + 9)
    const consistency = async (m: number, n: number) => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit/consistency?first=${m}&second=${n}` })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json()).toMatchObject({ first: m, second: n })
      return res.json().proof as string[]
    }
    expect(verifyConsistency(first.treeSize, second.treeSize, first.rootHash, second.rootHash, await consistency(first.treeSize, second.treeSize))).toBe(true)
    // Every pair of sizes among the patient's events: roots from inclusion proofs at those sizes.
    const seqs = (await auditItems(patient)).map((e) => e.seq).reverse()
    const roots = new Map<number, string>()
    for (const n of seqs) roots.set(n, (await proofOf(patient, seqs[0] as number, `?treeSize=${n}`)).json().rootHash)
    for (const m of seqs) {
      for (const n of seqs.filter((x) => x >= m)) {
        const proof = await consistency(m, n)
        expect(verifyConsistency(m, n, roots.get(m) as string, roots.get(n) as string, proof), `${m} → ${n}`).toBe(true)
        if (m < n) expect(verifyConsistency(m, n, roots.get(n) as string, roots.get(m) as string, proof)).toBe(false)
      }
    }
  })

  it('answers 400 for sizes out of range, 404 for an event that is not the patient\'s, and is public only where SPEC §4.7 says', async () => {
    const patient = await registerUser(t)
    const other = await registerUser(t)
    expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
    const [event] = await auditItems(patient)
    const head = await treeHead()
    expect((await proofOf(patient, event!.seq, `?treeSize=${event!.seq - 1}`)).statusCode).toBe(400)
    expect((await proofOf(patient, event!.seq, `?treeSize=${head.treeSize + 1}`)).statusCode).toBe(400)
    expect((await proofOf(patient, event!.seq, '?treeSize=abc')).statusCode).toBe(400)
    expect((await proofOf(patient, event!.seq, '?depth=3')).statusCode).toBe(400)
    expect((await proofOf(patient, 0)).statusCode).toBe(400)
    expect((await proofOf(patient, 'x')).statusCode).toBe(400)
    expect((await proofOf(patient, head.treeSize + 50)).statusCode).toBe(404)
    // Another patient's event is not found, whoever asks; other roles never use the route.
    expect((await proofOf(other, event!.seq)).statusCode).toBe(404)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/audit/${event!.seq}/proof`, headers: admin.headers })).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/audit/${event!.seq}/proof` })).statusCode).toBe(401)
    for (const q of ['first=0&second=1', `first=2&second=1`, `first=1&second=${head.treeSize + 1}`, 'first=1', 'first=a&second=2', 'first=1&second=2&x=1']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/audit/consistency?${q}` })
      expect(res.statusCode, q).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
  })

  it('verify recomputes every event: ok for the intact log; names an event edited or deleted in SQL, and a changed tree node', async () => {
    const patient = await registerUser(t)
    for (let i = 0; i < 4; i++) expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
    const seqs = (await auditItems(patient)).map((e) => e.seq).reverse()
    const [, b, c] = seqs as [number, number, number]
    const intact = await verify()
    const head = await treeHead()
    expect(intact).toEqual({ ok: true, events: head.treeSize, treeSize: head.treeSize, rootHash: head.rootHash })

    // Edited.
    await sql`UPDATE audit_events SET action = 'x' WHERE seq = ${b}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: b })
    await sql`UPDATE audit_events SET action = 'auth.logged_in' WHERE seq = ${b}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: true })

    // Deleted.
    const saved = await t.deps.db.selectFrom('auditEvents').selectAll().where('seq', '=', c).executeTakeFirstOrThrow()
    await sql`DELETE FROM audit_events WHERE seq = ${c}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: c })
    await t.deps.db.insertInto('auditEvents').values(saved).execute()
    expect((await verify()).ok).toBe(true)

    // A stored node (the parent of leaves b-1 and b, or of b and b+1) rewritten.
    const parent = Math.floor((b - 1) / 2)
    const node = await t.deps.db.selectFrom('auditTreeNodes').select('hash').where('level', '=', 1).where('idx', '=', parent).executeTakeFirstOrThrow()
    await sql`UPDATE audit_tree_nodes SET hash = ${'0'.repeat(64)} WHERE level = 1 AND idx = ${parent}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: parent * 2 + 1 })
    await sql`UPDATE audit_tree_nodes SET hash = ${node.hash} WHERE level = 1 AND idx = ${parent}`.execute(t.deps.db)
    expect((await verify()).ok).toBe(true)

    // A signed head whose root was replaced.
    await sql`UPDATE audit_tree_heads SET root_hash = ${'1'.repeat(64)} WHERE tree_size = ${head.treeSize}`.execute(t.deps.db)
    expect((await verify()).ok).toBe(false)
    await sql`UPDATE audit_tree_heads SET root_hash = ${head.rootHash} WHERE tree_size = ${head.treeSize}`.execute(t.deps.db)
    expect((await verify()).ok).toBe(true)
  })

  it('seals 20 concurrent logins gap-free: seq 1…n with no hole, each once', async () => {
    const patient = await registerUser(t)
    const before = (await verify()).events
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(patient.email, i % 4 === 0 ? 'wrong password here' : PASSWORD, { ip: `10.0.0.${i + 1}` })),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([...Array(15).fill(200), ...Array(5).fill(401)])
    const after = await verify()
    expect(after).toMatchObject({ ok: true, events: before + 20, treeSize: before + 20 })
    const all = await t.deps.db.selectFrom('auditEvents').select('seq').orderBy('seq').execute()
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1))
  })

  it('is for admins only: 403 for every other role, 401 without a token', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const u of [patient, doctor, pharmacist]) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: u.headers })).statusCode).toBe(403)
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify' })).statusCode).toBe(401)
  })
})

describe('tree-head key rotation', () => {
  it('publishes the retired key next to the new one, so heads signed before the rotation still verify', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-audit-rotate-'))
    const server = process.env.DATABASE_URL ? await createServerDatabase(process.env.DATABASE_URL) : undefined
    // The same database across the restart: a PostgreSQL one, or PGlite in DATA_DIR.
    const where = { DATA_DIR: dataDir, DATABASE_URL: server?.url ?? '' }
    const [oldKey, newKey] = [generateSigningKey(), generateSigningKey()]
    try {
      const before = await startTestApp({ ...where, AUDIT_SIGNING_KEY: JSON.stringify(oldKey) })
      let oldHead: { signature: string; treeSize: number }
      try {
        const u = await createAdmin(before)
        expect(u.id).toBeTruthy()
        await before.deps.audit.sealNow()
        oldHead = (await before.app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })).json()
        expect(oldHead.treeSize).toBeGreaterThan(0)
      } finally {
        await before.close()
      }
      const { d: _private, ...oldPublic } = oldKey
      const after = await startTestApp({ ...where, AUDIT_SIGNING_KEY: JSON.stringify(newKey), AUDIT_VERIFY_KEYS: JSON.stringify([oldPublic]) })
      try {
        const jwks = (await after.app.inject({ method: 'GET', url: '/api/v1/audit/keys' })).json()
        expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([oldKey.kid, newKey.kid].sort())
        expect(JSON.stringify(jwks)).not.toMatch(/"d":/)
        // The head signed before the rotation is still the newest, and verifies against the published set…
        expect((await after.app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })).json()).toEqual(oldHead)
        expect((await compactVerify(oldHead.signature, createLocalJWKSet(jwks))).protectedHeader.kid).toBe(oldKey.kid)
        expect(await verifyAuditTree(after.deps.db, after.deps.audit.signer)).toMatchObject({ ok: true, treeSize: oldHead.treeSize })
        // …and after a login the new key signs the next head; the whole log verifies.
        const admin = await createAdmin(after)
        await after.deps.audit.sealNow()
        const head = (await after.app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })).json()
        expect((await compactVerify(head.signature, createLocalJWKSet(jwks))).protectedHeader.kid).toBe(newKey.kid)
        const verified = await after.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin.headers })
        expect(verified.json()).toMatchObject({ ok: true, treeSize: head.treeSize })
      } finally {
        await after.close()
      }
    } finally {
      await server?.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('migration from the hash chain (0014)', () => {
  it("keeps the chained events' seq, seals them into the tree (409 for a proof until then), and numbers new events after them", async () => {
    const secrets = { MASTER_KEY: randomBytes(32).toString('base64'), JWT_SECRET: randomBytes(32).toString('base64url') }
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-audit-migrate-'))
    const server = process.env.DATABASE_URL ? await createServerDatabase(process.env.DATABASE_URL) : undefined
    const pglite = server ? undefined : new PGlite(path.join(dataDir, 'db'))
    const raw = server
      ? new Kysely<unknown>({ dialect: new (await import('kysely')).PostgresDialect({ pool: new (await import('pg')).default.Pool({ connectionString: server.url, max: 1 }) }) })
      : new Kysely<unknown>({ dialect: new PGliteDialect(pglite as PGlite) })
    try {
      const migrated = await new Migrator({ db: raw, provider: migrationProvider, allowUnorderedMigrations: true }).migrateTo('0013-setup-tokens')
      expect(migrated.error).toBeUndefined()
      for (let seq = 1; seq <= 3; seq++) {
        await sql`INSERT INTO audit_events (seq, at, action, actor_kind, resource_type, resource_id, prev_hash, hash)
          VALUES (${seq}, now(), 'auth.logged_in', 'system', 'session', ${String(seq)}, ${'0'.repeat(64)}, ${'0'.repeat(64)})`.execute(raw)
      }
      await raw.destroy()
      const composed = await composeDeps(loadConfig({ ...secrets, DATA_DIR: dataDir, DATABASE_URL: server?.url ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent' }), { workers: false })
      const app = await buildApp(composed.deps, { logLevel: 'silent' })
      try {
        const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'migrated@example.org', password: PASSWORD, role: 'patient', name: 'Migrated patient' } })
        expect(res.statusCode, res.body).toBe(201)
        const patientId = res.json().user.id as string
        const headers = { authorization: `Bearer ${res.json().accessToken}` }
        await sql`UPDATE audit_events SET patient_id = ${patientId} WHERE seq IS NOT NULL`.execute(composed.deps.db)
        // Not sealed yet: the proof waits.
        const early = await app.inject({ method: 'GET', url: '/api/v1/patients/me/audit/2/proof', headers })
        expect(early.statusCode, early.body).toBe(409)
        expect(early.json().detail).toMatch(/not sealed/)

        await composed.deps.audit.sealNow()
        const items = (await app.inject({ method: 'GET', url: '/api/v1/patients/me/audit', headers })).json().items as AuditEventDto[]
        expect(items.map((e) => e.seq)).toEqual([3, 2, 1])
        // A new event comes after them.
        expect((await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'migrated@example.org', password: PASSWORD } })).statusCode).toBe(200)
        await composed.deps.audit.sealNow()
        const head = (await app.inject({ method: 'GET', url: '/api/v1/audit/tree-head' })).json() as TreeHeadDto
        expect(head.treeSize).toBe(4)
        const latest = (await app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=1', headers })).json().items[0]
        expect(latest).toMatchObject({ seq: 4, action: 'auth.logged_in' })
        const proof = (await app.inject({ method: 'GET', url: '/api/v1/patients/me/audit/2/proof', headers })).json()
        expect(verifyInclusion(1, head.treeSize, leafOf(items[1] as AuditEventDto), proof.auditPath, head.rootHash)).toBe(true)
        const seqs = (await composed.deps.db.selectFrom('auditEvents').select('seq').orderBy('seq').execute()).map((r) => r.seq)
        expect(seqs).toEqual(Array.from({ length: head.treeSize }, (_, i) => i + 1))
      } finally {
        await app.close()
        await composed.close()
      }
    } finally {
      await server?.drop()
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})

describe('npm run audit:verify', () => {
  /** Runs the CLI against a database; resolves with its exit code and output. */
  async function runCli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts'], {
        cwd: path.resolve(import.meta.dirname, '../..'),
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: '', ...env },
        timeout: 60_000,
      })
      return { code: 0, stdout, stderr }
    } catch (err) {
      const e = err as { code?: number; stdout: string; stderr: string }
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr }
    }
  }

  it('exits 0 for an intact log and 1 with the first bad seq after a row is edited', async () => {
    const secrets = { MASTER_KEY: randomBytes(32).toString('base64'), JWT_SECRET: randomBytes(32).toString('base64url') }
    /** Records an event and returns its seq once sealed. */
    const record = async (deps: Deps, i: number) => {
      await deps.db.transaction().execute((trx) => deps.audit.record(trx, systemActor, 'audit.tested', { resource: { type: 'test', id: String(i) } }))
      await deps.audit.sealNow()
      const row = await deps.db.selectFrom('auditEvents').select('seq').where('action', '=', 'audit.tested').where('resourceId', '=', String(i)).executeTakeFirstOrThrow()
      return { seq: row.seq as number }
    }
    const serverUrl = t.deps.config.databaseUrl?.startsWith('postgres') ? t.deps.config.databaseUrl : undefined
    const dirs: string[] = []
    const tempDir = async () => {
      dirs.push(await mkdtemp(path.join(os.tmpdir(), 'carelocker-audit-cli-')))
      return dirs[dirs.length - 1] as string
    }
    try {
      if (serverUrl) {
        // PostgreSQL: the CLI reads this file's test database, before and after the edit.
        // The CLI checks (and signs) tree heads with the server's key, as an operator's would.
        const env = { ...secrets, DATA_DIR: await tempDir(), DATABASE_URL: serverUrl, AUDIT_SIGNING_KEY: JSON.stringify(t.deps.config.auditSigningKey) }
        const events = [await record(t.deps, 0), await record(t.deps, 1), await record(t.deps, 2)]
        const good = await runCli(env)
        expect(good.code, good.stderr).toBe(0)
        expect(JSON.parse(good.stdout)).toMatchObject({ ok: true })
        await sql`UPDATE audit_events SET resource_id = 'x' WHERE seq = ${events[1]!.seq}`.execute(t.deps.db)
        const bad = await runCli(env)
        expect(bad.code).toBe(1)
        expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, firstBadSeq: events[1]!.seq })
        expect(bad.stderr).toContain(`seq ${events[1]!.seq}`)
        return
      }
      // PGlite allows one process per directory: prepare one, copy it, edit the copy, then
      // run the CLI on both at once.
      const intact = await tempDir()
      const composed = await composeDeps(loadConfig({ ...secrets, DATA_DIR: intact, NODE_ENV: 'test', LOG_LEVEL: 'silent' }))
      const events = []
      try {
        for (let i = 0; i < 3; i++) events.push(await record(composed.deps, i))
      } finally {
        await composed.close()
      }
      const edited = await tempDir()
      await cp(intact, edited, { recursive: true })
      const db = new PGlite(path.join(edited, 'db'))
      await db.query('UPDATE audit_events SET resource_id = $1 WHERE seq = $2', ['x', events[1]!.seq])
      await db.close()

      const [good, bad] = await Promise.all([runCli({ ...secrets, DATA_DIR: intact }), runCli({ ...secrets, DATA_DIR: edited })])
      expect(good.code, good.stderr).toBe(0)
      expect(JSON.parse(good.stdout)).toEqual({ ok: true, events: 3, treeSize: 3, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) })
      expect(bad.code).toBe(1)
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, firstBadSeq: events[1]!.seq })
      expect(bad.stderr).toContain(`seq ${events[1]!.seq}`)
    } finally {
      if (serverUrl) await sql`DELETE FROM audit_events WHERE action = 'audit.tested'`.execute(t.deps.db)
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    }
  })
})
