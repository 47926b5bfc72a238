/** The audit log as a Merkle tree (SPEC §4.7, RFC 9162): signed tree heads, inclusion and consistency proofs checked by an independent verifier, verification of every event and node, gap-free sealing, key rotation. */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { compactVerify, createLocalJWKSet } from 'jose'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../app/signing-keys.js'
import { verifyAuditTree } from './verify.js'
import { createAdmin, PASSWORD, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { leafOf, verifyConsistency, verifyInclusion } from '../../test/helpers/rfc9162.js'
import { createServerDatabase, startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { auditHelpers, type AuditEventDto } from '../../test/helpers/audit.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => {
  t = await startTestApp({})
  admin = await createAdmin(t)
})
afterAll(async () => t?.close())

const { login, auditItems, verify, treeHead, proofOf } = auditHelpers(() => t, () => admin)

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
