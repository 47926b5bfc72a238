import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import type { Deps } from '../app/deps.js'
import { systemActor } from '../policy/index.js'
import { canonicalJson, GENESIS_HASH, hashEvent } from './audit-chain.js'
import { createAdmin, loginAs, PASSWORD, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'

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

async function auditItems(u: TestUser, query = ''): Promise<AuditEventDto[]> {
  const res = await auditOf(u, query)
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items
}

const verify = async () => {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit/verify', headers: admin.headers })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { ok: boolean; events: number; headHash: string; firstBadSeq?: number }
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

/** Independent of the server's code: JSON with object keys sorted (RFC 8785 for these flat values). */
const sortedJson = (v: unknown): string =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
    ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`
    : JSON.stringify(v)

const chainRow = (seq: number) =>
  t.deps.db.selectFrom('auditEvents').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow()

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

describe('chain verification', () => {
  it('is ok for an intact chain, with the number of events and the head hash anyone can recompute from the events', async () => {
    const patient = await registerUser(t)
    expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
    const result = await verify()
    const { count } = await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
    expect(result).toEqual({ ok: true, events: Number(count), headHash: expect.stringMatching(/^[0-9a-f]{64}$/) })

    // The newest event is this patient's login: recompute its hash from what the API shows.
    const [newest] = await auditItems(patient)
    const head = await chainRow(newest!.seq)
    expect(head.hash).toBe(result.headHash)
    expect(createHash('sha256').update(head.prevHash + sortedJson(newest)).digest('hex')).toBe(result.headHash)
  })

  it('finds an event edited, deleted or reordered directly in SQL, and is ok again once it is restored', async () => {
    const patient = await registerUser(t)
    for (let i = 0; i < 4; i++) expect((await login(patient.email, PASSWORD)).statusCode).toBe(200)
    const seqs = (await auditItems(patient)).map((e) => e.seq).reverse()
    const [a, b, c] = seqs as [number, number, number]
    expect((await verify()).ok).toBe(true)

    // Edited.
    await sql`UPDATE audit_events SET action = 'x' WHERE seq = ${b}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: b })
    await sql`UPDATE audit_events SET action = 'auth.logged_in' WHERE seq = ${b}`.execute(t.deps.db)
    expect(await verify()).toMatchObject({ ok: true })

    // Deleted (a middle row): the next event no longer follows.
    const saved = await chainRow(b)
    await sql`DELETE FROM audit_events WHERE seq = ${b}`.execute(t.deps.db)
    const afterDelete = await verify()
    expect(afterDelete).toMatchObject({ ok: false, firstBadSeq: c })
    await t.deps.db.insertInto('auditEvents').values(saved).execute()
    expect((await verify()).ok).toBe(true)

    // Reordered: two events swap places.
    const swap = async (x: number, y: number) => {
      await sql`UPDATE audit_events SET seq = 999999999999 WHERE seq = ${x}`.execute(t.deps.db)
      await sql`UPDATE audit_events SET seq = ${x} WHERE seq = ${y}`.execute(t.deps.db)
      await sql`UPDATE audit_events SET seq = ${y} WHERE seq = 999999999999`.execute(t.deps.db)
    }
    await swap(a, c)
    expect(await verify()).toMatchObject({ ok: false, firstBadSeq: a })
    await swap(a, c)
    expect((await verify()).ok).toBe(true)
  })

  it('keeps the chain valid under 20 concurrent logins', async () => {
    const patient = await registerUser(t)
    const before = (await verify()).events
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(patient.email, i % 4 === 0 ? 'wrong password here' : PASSWORD, { ip: `10.0.0.${i + 1}` })),
    )
    expect(results.map((r) => r.statusCode).sort()).toEqual([...Array(15).fill(200), ...Array(5).fill(401)])
    const after = await verify()
    expect(after).toMatchObject({ ok: true, events: before + 20 })
    const seqs = (await auditItems(await loginAs(t, patient.email), '?limit=100')).map((e) => e.seq)
    expect(new Set(seqs).size).toBe(seqs.length)
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

  it('exits 0 for an intact chain and 1 with the first bad seq after a row is edited', async () => {
    const secrets = { MASTER_KEY: randomBytes(32).toString('base64'), JWT_SECRET: randomBytes(32).toString('base64url') }
    const record = (deps: Deps, i: number) =>
      deps.db.transaction().execute((trx) => deps.audit.record(trx, systemActor, 'audit.tested', { resource: { type: 'test', id: String(i) } }))
    const serverUrl = t.deps.config.databaseUrl?.startsWith('postgres') ? t.deps.config.databaseUrl : undefined
    const dirs: string[] = []
    const tempDir = async () => {
      dirs.push(await mkdtemp(path.join(os.tmpdir(), 'carelocker-audit-cli-')))
      return dirs[dirs.length - 1] as string
    }
    try {
      if (serverUrl) {
        // PostgreSQL: the CLI reads this file's test database, before and after the edit.
        const env = { ...secrets, DATA_DIR: await tempDir(), DATABASE_URL: serverUrl }
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
      expect(JSON.parse(good.stdout)).toEqual({ ok: true, events: 3, headHash: expect.stringMatching(/^[0-9a-f]{64}$/) })
      expect(bad.code).toBe(1)
      expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, events: 3, firstBadSeq: events[1]!.seq })
      expect(bad.stderr).toContain(`seq ${events[1]!.seq}`)
    } finally {
      if (serverUrl) await sql`DELETE FROM audit_events WHERE action = 'audit.tested'`.execute(t.deps.db)
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    }
  })
})

describe('canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, drops whitespace and undefined members, and hashes prevHash ‖ JSON', () => {
    // RFC 8785 §3.2.3's sorting example.
    const keys = ['\u20ac', '\r', '\ufb33', '1', '\ud83d\ude00', '\u0080', '\u00f6']
    const json = canonicalJson(Object.fromEntries(keys.map((k) => [k, k.length])))
    expect(json).toBe('{"\\r":1,"1":1,"\u0080":1,"ö":1,"€":1,"😀":2,"דּ":1}')
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: 1e21, c: 0.5 }, z: undefined })).toBe('{"a":{"c":0.5,"d":1e+21},"b":[1,"x",null,true]}')
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError)
    const event = { seq: 1, at: '2026-01-01T00:00:00.000Z', action: 'auth.logged_in', actor: { kind: 'system' as const }, resource: { type: 't', id: '1' }, ip: null, userAgent: null }
    expect(hashEvent(GENESIS_HASH, event)).toBe(createHash('sha256').update(GENESIS_HASH + canonicalJson(event)).digest('hex'))
    expect(GENESIS_HASH).toBe('0'.repeat(64))
  })
})
