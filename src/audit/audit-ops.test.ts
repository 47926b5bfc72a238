/** The audit log across operations (SPEC §4.7): the migration from the hash chain (0014) and `npm run audit:verify`. */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, Migrator, sql } from 'kysely'
import { PGliteDialect } from 'kysely-pglite-dialect'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { composeDeps } from '../app/compose.js'
import { loadConfig } from '../app/config.js'
import type { Deps } from '../app/deps.js'
import { systemActor } from '../policy/index.js'
import { migrationProvider } from '../db/migrations/index.js'
import { createPglite } from '../db/connection.js'
import { buildApp } from '../app/build-app.js'
import { PASSWORD } from '../../test/helpers/factories.js'
import { leafOf, verifyInclusion } from '../../test/helpers/rfc9162.js'
import { createServerDatabase, startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import type { AuditEventDto, TreeHeadDto } from '../../test/helpers/audit.js'

const run = promisify(execFile)

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({})
})
afterAll(async () => t?.close())

describe('migration from the hash chain (0014)', () => {
  it("keeps the chained events' seq, seals them into the tree (409 for a proof until then), and numbers new events after them", async () => {
    const secrets = { MASTER_KEY: randomBytes(32).toString('base64'), JWT_SECRET: randomBytes(32).toString('base64url') }
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-audit-migrate-'))
    const server = process.env.DATABASE_URL ? await createServerDatabase(process.env.DATABASE_URL) : undefined
    const pglite = server ? undefined : createPglite(path.join(dataDir, 'db'))
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
      const db = createPglite(path.join(edited, 'db'))
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
