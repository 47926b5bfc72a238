/**
 * Backup and restore (SPEC §11), on the engine of this run (PGlite in the locker's DATA_DIR,
 * or PostgreSQL when DATABASE_URL is a postgres URL), through real processes: a server
 * process takes uploads over HTTP while `npm run backup` (src/cli/backup.ts) runs beside it —
 * on PGlite the server itself reads the snapshot through `$DATA_DIR/ops.sock`, on PostgreSQL
 * the CLI reads the database; then `npm run restore` fills a fresh database and a fresh
 * DATA_DIR, a server starts on the restored locker and every record downloads with its
 * sha256, and `npm run audit:verify` passes. Bad input: a wrong key, an altered or cut-short
 * archive are refused with nothing written; a non-empty target is refused. The same round
 * trip on S3 storage: from one real S3-compatible server (s3rver) into an empty bucket on another.
 */
import { randomBytes } from 'node:crypto'
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../../src/app/signing-keys.js'
import { archiveKey } from '../../src/ops/archive.js'
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.js'
import { download, ENGINE, freshKey, listRecordIds, login, newPlace, placeEnv, registerPatient, runCli, sha256, textFile, upload, type LockerPlace, type Patient } from './ops-helpers.js'

const secrets = { MASTER_KEY: freshKey(), JWT_SECRET: randomBytes(32).toString('base64url') }
const AUDIT_SIGNING_KEY = JSON.stringify(generateSigningKey())
/** What every process of this locker shares: the secrets a restore needs besides the archive. */
const lockerEnv = { ...secrets, AUDIT_SIGNING_KEY }

const places: LockerPlace[] = []
const nodes: NodeProcess[] = []
let source: LockerPlace
let archive: string
/** sha256 by record id of every upload that answered 201. */
const uploaded = new Map<string, string>()
/** Records that were live before the backup started: the restore must have each. */
const beforeBackup = new Set<string>()
let patient: Patient

const place = async () => {
  const p = await newPlace()
  places.push(p)
  return p
}
const startNode = async (p: LockerPlace, storageEnv: Record<string, string> = {}) => {
  const node = await startNodeProcess({ databaseUrl: p.databaseUrl, secrets, env: { ...placeEnv(p), AUDIT_SIGNING_KEY, ...storageEnv } })
  nodes.push(node)
  return node
}

/** Blob files under a DATA_DIR (local storage: `blobs/<2-char shard>/<key>`). */
async function blobFiles(dataDir: string): Promise<string[]> {
  const root = path.join(dataDir, 'blobs')
  const shards = await readdir(root).catch(() => [] as string[])
  const files: string[] = []
  for (const shard of shards) files.push(...(await readdir(path.join(root, shard))).filter((f) => !f.includes('.')))
  return files
}

/** True when `p` holds no database tables of ours and no blobs: nothing was written. */
async function untouched(p: LockerPlace): Promise<boolean> {
  if ((await blobFiles(p.dataDir)).length > 0) return false
  if (ENGINE === 'pglite') return !(await stat(path.join(p.dataDir, 'db')).then(() => true, () => false))
  const client = new pg.Client({ connectionString: p.databaseUrl })
  await client.connect()
  try {
    const res = await client.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")
    return res.rows[0].n === 0
  } finally {
    await client.end()
  }
}

beforeAll(async () => {
  source = await place()
  const node = await startNode(source)
  patient = await registerPatient(node)
  // Sizes around the 64 KiB segment of the file cipher, and a few larger ones.
  for (const size of [1, 1000, 65_536, 65_537, 300_000, 1_200_000]) {
    const bytes = textFile(size)
    const r = await upload(node, patient.token, bytes)
    expect(r.status).toBe(201)
    expect(r.sha256).toBe(sha256(bytes))
    uploaded.set(r.id, r.sha256)
    beforeBackup.add(r.id)
  }
  // A deleted record (its data key destroyed) is neither restored as live nor its blob copied.
  const doomed = await upload(node, patient.token, textFile(5000))
  const del = await fetch(`${node.url}/api/v1/patients/me/records/${doomed.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${patient.token}` } })
  expect(del.status).toBe(204)

  // Uploads keep coming while the backup runs.
  archive = path.join(source.dataDir, '..', `backup-${randomBytes(4).toString('hex')}.clbk`)
  let backingUp = true
  const writer = (async () => {
    while (backingUp) {
      const bytes = textFile(20_000 + Math.floor(Math.random() * 100_000))
      const r = await upload(node, patient.token, bytes)
      if (r.status === 201) uploaded.set(r.id, sha256(bytes))
    }
  })()
  const backup = await runCli('backup', ['--out', archive], { ...placeEnv(source), ...lockerEnv })
  backingUp = false
  await writer
  expect(backup.code, backup.stderr).toBe(0)
  expect(JSON.parse(backup.stdout).via).toBe(ENGINE === 'pglite' ? 'running server' : 'database')
})

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()))
  for (const p of places) {
    await p.drop()
    await rm(p.dataDir, { recursive: true, force: true })
  }
  if (archive) await rm(archive, { force: true })
})

describe('npm run backup / npm run restore', () => {
  it('restores into an empty database and storage: every record downloads with its sha256, only live records’ blobs, and the audit log verifies', async () => {
    const target = await place()
    const restore = await runCli('restore', ['--in', archive], { ...placeEnv(target), ...lockerEnv })
    expect(restore.code, restore.stderr).toBe(0)

    const node = await startNode(target)
    const token = await login(node, patient)
    const ids = await listRecordIds(node, token)
    for (const id of beforeBackup) expect(ids).toContain(id)
    for (const id of ids) {
      expect(uploaded.has(id), `restored record ${id} was uploaded`).toBe(true)
      const got = await download(node, token, id)
      expect(got.status).toBe(200)
      expect(got.sha256).toBe(uploaded.get(id))
    }
    // Exactly the blobs of the snapshot's live records: no deleted record's, no orphan.
    expect((await blobFiles(target.dataDir)).length).toBe(ids.length)
    await node.stop()

    const verify = await runCli('audit-verify', [], { ...placeEnv(target), ...lockerEnv })
    expect(verify.code, verify.stderr).toBe(0)
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true })
    expect(JSON.parse(verify.stdout).events).toBeGreaterThan(beforeBackup.size)

    // The same archive again into this (now filled) locker: refused, named.
    const again = await runCli('restore', ['--in', archive], { ...placeEnv(target), ...lockerEnv })
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/not empty/)
  })

  it('refuses an archive opened with the wrong key, and writes nothing', async () => {
    const target = await place()
    const res = await runCli('restore', ['--in', archive], { ...placeEnv(target), ...lockerEnv, BACKUP_KEY: freshKey() })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/archive key does not open this archive/)
    expect(await untouched(target)).toBe(true)
  })

  it('refuses a restore under another master key (the files’ data keys would not open), and writes nothing', async () => {
    const target = await place()
    // The archive's own key (derived from the source's master key), but another MASTER_KEY.
    const BACKUP_KEY = archiveKey({ backupKey: undefined, masterKey: Buffer.from(secrets.MASTER_KEY, 'base64') }).toString('base64')
    const res = await runCli('restore', ['--in', archive], { ...placeEnv(target), ...lockerEnv, BACKUP_KEY, MASTER_KEY: freshKey() })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/data keys this server's MASTER_KEY does not open/)
    expect(await untouched(target)).toBe(true)
  })

  it('refuses an altered archive and one cut short, and writes nothing', async () => {
    const bytes = await readFile(archive)
    const altered = Buffer.from(bytes)
    const at = Math.floor(altered.length * 0.8)
    altered[at] = (altered[at] as number) ^ 0x01
    const cuts = {
      altered,
      'cut mid-segment': bytes.subarray(0, bytes.length - 1000),
      'cut at a segment boundary': bytes.subarray(0, 8 + 1 + 61 + 65_552 * 2),
    }
    for (const [what, content] of Object.entries(cuts)) {
      const file = `${archive}.${what.replace(/\W+/g, '-')}`
      await writeFile(file, content)
      const target = await place()
      const res = await runCli('restore', ['--in', file], { ...placeEnv(target), ...lockerEnv })
      await rm(file, { force: true })
      expect(res.code, what).toBe(1)
      expect(res.stderr, what).toMatch(/altered or cut short|cut short/)
      expect(await untouched(target), what).toBe(true)
    }
  })

  it('refuses to restore onto a running locker (PGlite: the server owns DATA_DIR; PostgreSQL: the database is not empty)', async () => {
    const res = await runCli('restore', ['--in', archive], { ...placeEnv(source), ...lockerEnv })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(ENGINE === 'pglite' ? /server is running/ : /not empty/)
  })

  it('never overwrites an existing file', async () => {
    const res = await runCli('backup', ['--out', archive], { ...placeEnv(source), ...lockerEnv })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/already exists/)
  })
})

describe('npm run backup / npm run restore on S3 storage', () => {
  const servers: S3TestServer[] = []
  afterAll(async () => {
    for (const s3 of servers) await s3.close()
  })

  it('copies the live records’ objects from one bucket and restores them into an empty one, every file with its sha256', async () => {
    const [from, to] = [await startS3Server(), await startS3Server()] as [S3TestServer, S3TestServer]
    servers.push(from, to)
    const origin = await place()
    const node = await startNode(origin, from.env)
    const owner = await registerPatient(node)
    const sums = new Map<string, string>()
    for (const size of [10, 70_000, 400_000]) {
      const bytes = textFile(size)
      const r = await upload(node, owner.token, bytes)
      expect(r.status).toBe(201)
      sums.set(r.id, sha256(bytes))
    }
    const file = `${archive}.s3`
    const backup = await runCli('backup', ['--out', file], { ...placeEnv(origin), ...lockerEnv, ...from.env })
    expect(backup.code, backup.stderr).toBe(0)
    expect(JSON.parse(backup.stdout)).toMatchObject(ENGINE === 'pglite' ? { via: 'running server' } : { blobs: 3 })

    const target = await place()
    const restore = await runCli('restore', ['--in', file], { ...placeEnv(target), ...lockerEnv, ...to.env })
    await rm(file, { force: true })
    expect(restore.code, restore.stderr).toBe(0)
    expect(JSON.parse(restore.stdout)).toMatchObject({ blobs: 3 })
    const restored = await startNode(target, to.env)
    const token = await login(restored, owner)
    expect((await listRecordIds(restored, token)).sort()).toEqual([...sums.keys()].sort())
    for (const [id, sum] of sums) expect(await download(restored, token, id)).toEqual({ status: 200, sha256: sum })
  })
})
