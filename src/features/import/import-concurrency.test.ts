/**
 * Limits of `POST /patients/{pid}/import` against resource exhaustion (security review M2,
 * SPEC §9): an Apple Health zip whose export.xml is compressed far beyond a real export's
 * ratio is refused with 413 and nothing imported; one import per locker at a time (409
 * `import-in-progress` while another is still receiving its body, and — on PostgreSQL — while
 * another node's transaction holds the locker's import lock); the claim is released after.
 * A third streamed import while two hold their slots gets 503 with Retry-After (PostgreSQL).
 * And (review L3) an import still receiving its body when the patient erases the locker is
 * refused when it reaches its transaction: nothing lands in the erased account.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql, type Transaction } from 'kysely'
import yazl from 'yazl'
import { PASSWORD, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import type { DB } from '../../db/schema.js'
import { tryLockPatientImport } from './import.queries.js'

let t: TestApp
let port = 0

beforeAll(async () => {
  t = await startTestApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = (t.app.server.address() as AddressInfo).port
})
afterAll(async () => {
  await t?.close()
})

const EXPORT_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_GB">\n <ExportDate value="2024-06-01 08:10:05 +0200"/>\n'
const HEART_RATE =
  ' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" unit="count/min" creationDate="2024-03-01 08:00:00 +0100" startDate="2024-03-01 08:00:00 +0100" endDate="2024-03-01 08:00:00 +0100" value="70"/>\n'
const EXPORT = EXPORT_HEAD + HEART_RATE + '</HealthData>\n'

/** A deflated zip of `entries` (name → text), written by yazl into memory. */
function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.from(data), name)
  zip.end()
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject)
  })
}

const postImport = (u: TestUser, payload: Buffer | string | object, contentType: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...u.headers, 'content-type': contentType }, payload })

const vitalCount = async (u: TestUser) =>
  ((await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/vitals?limit=100', headers: u.headers })).json().items as unknown[]).length

/** A FHIR bundle with one heart-rate Observation (`id` distinguishes runs). */
const bundle = (id: string) => ({
  resourceType: 'Bundle',
  type: 'collection',
  entry: [
    {
      resource: {
        resourceType: 'Observation',
        id,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        effectiveDateTime: '2024-03-01T08:00:00Z',
        valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
    },
  ],
})

/** Starts a streamed import through the real listener and sends only `head` of its body; `finish` sends the rest. */
function startSlowImport(u: TestUser, head: string, rest: string) {
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/patients/me/import',
    headers: { ...u.headers, 'content-type': 'application/xml', 'transfer-encoding': 'chunked' },
  })
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }))
    })
    req.on('error', reject)
  })
  req.write(head)
  return { answer, finish: () => req.end(rest) }
}

/**
 * Opens a transaction on another pooled connection (PostgreSQL: another session, as another
 * node would), runs `take` in it and keeps it open until `release()` (which commits).
 */
async function holdInAnotherSession(take: (trx: Transaction<DB>) => Promise<void>): Promise<{ release(): Promise<void> }> {
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  let taken!: () => void
  const ready = new Promise<void>((r) => (taken = r))
  const done = t.deps.db.transaction().execute(async (trx) => {
    await take(trx)
    taken()
    await held
  })
  await Promise.race([ready, done])
  return {
    release: async () => {
      release()
      await done
    },
  }
}

/** Waits until `u`'s import holds its claim (past the policy, reading its body): an invalid bundle answers 400 before, 409 after. */
async function untilImportClaimed(u: TestUser) {
  let probe = await postImport(u, { resourceType: 'Bundle' }, 'application/json')
  for (let i = 0; i < 200 && probe.statusCode !== 409; i++) {
    await new Promise((r) => setTimeout(r, 25))
    probe = await postImport(u, { resourceType: 'Bundle' }, 'application/json')
  }
  expect(probe.statusCode, probe.body).toBe(409)
}

describe('import limits (security review M2)', () => {
  it('refuses with 413 a zip whose export.xml is compressed beyond 200:1, and imports nothing', async () => {
    const p = await registerUser(t)
    // Well under MAX_IMPORT_ARCHIVE_MB (4096) inflated, but ~1000:1: what a zip bomb looks like.
    const bomb = await zipOf({ 'apple_health_export/export.xml': EXPORT_HEAD + HEART_RATE + `<!-- ${' '.repeat(1024 * 1024)} -->` + '</HealthData>\n' })
    const res = await postImport(p, bomb, 'application/zip')
    expect(res.statusCode, res.body).toBe(413)
    expect(res.json().type).toBe('https://carelocker.dev/problems/payload-too-large')
    expect(res.json().detail).toMatch(/compressed more than 200:1/)
    expect(await vitalCount(p)).toBe(0)
    // An ordinary export zip still imports.
    const ok = await postImport(p, await zipOf({ 'apple_health_export/export.xml': EXPORT }), 'application/zip')
    expect(ok.statusCode, ok.body).toBe(200)
    expect(ok.json().imported.vitals).toBe(1)
  })

  it('answers 409 import-in-progress to a second import into a locker whose import is still running; others are not affected', async () => {
    const p = await registerUser(t)
    const other = await registerUser(t)
    const slow = startSlowImport(p, EXPORT_HEAD, HEART_RATE + '</HealthData>\n')
    await untilImportClaimed(p)
    const second = await postImport(p, bundle('obs-1'), 'application/json')
    expect(second.statusCode, second.body).toBe(409)
    expect(second.json().type).toBe('https://carelocker.dev/problems/import-in-progress')
    // Another patient imports meanwhile.
    const others = await postImport(other, bundle('obs-1'), 'application/json')
    expect(others.statusCode, others.body).toBe(200)

    slow.finish()
    const first = await slow.answer
    expect(first.status, first.body).toBe(200)
    expect(JSON.parse(first.body).imported.vitals).toBe(1)
    // Released: the next import runs.
    const after = await postImport(p, bundle('obs-2'), 'application/json')
    expect(after.statusCode, after.body).toBe(200)
    expect(await vitalCount(p)).toBe(2)
  })

  it('answers 409 while another node holds the locker’s import lock (PostgreSQL; PGlite has one session)', async () => {
    const p = await registerUser(t)
    if (!process.env.DATABASE_URL) {
      // PGlite: one connection, so no second session can hold the lock; the import simply runs.
      expect((await postImport(p, bundle('obs-1'), 'application/json')).statusCode).toBe(200)
      return
    }
    const otherNode = await holdInAnotherSession(async (trx) => {
      expect(await tryLockPatientImport(trx, p.id)).toBe(true)
    })
    const refused = await postImport(p, bundle('obs-1'), 'application/json')
    await otherNode.release()
    expect(refused.statusCode, refused.body).toBe(409)
    expect(refused.json().type).toBe('https://carelocker.dev/problems/import-in-progress')
    expect(await vitalCount(p)).toBe(0)
    expect((await postImport(p, bundle('obs-1'), 'application/json')).statusCode).toBe(200)
  })
})

describe('streamed imports per process (security review M2)', () => {
  it('answers 503 with Retry-After to a third Apple Health import while two stream in their transactions (PostgreSQL)', async () => {
    const [a, b, c] = [await registerUser(t), await registerUser(t), await registerUser(t)]
    if (!process.env.DATABASE_URL) {
      // PGlite: one connection, so no two transactions can be held open at once; the import simply runs.
      expect((await postImport(c, EXPORT, 'application/xml')).statusCode).toBe(200)
      return
    }
    // Another session holds a's and b's user rows FOR UPDATE: their imports stop in their
    // transactions (the recheck reads the account row), each holding a streamed-import slot.
    const holder = await holdInAnotherSession(async (trx) => {
      await trx.selectFrom('users').select('id').where('id', 'in', [a.id, b.id]).forUpdate().execute()
    })
    const running = [postImport(a, EXPORT, 'application/xml'), postImport(b, EXPORT, 'application/xml')]
    let waiting = 0
    for (let i = 0; i < 400 && waiting < 2; i++) {
      await new Promise((r) => setTimeout(r, 25))
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(t.deps.db)
      waiting = rows[0]?.n ?? 0
    }
    expect(waiting).toBe(2)
    const busy = await postImport(c, EXPORT, 'application/xml')
    await holder.release()
    expect(busy.statusCode, busy.body).toBe(503)
    expect(busy.headers['retry-after']).toBe('30')
    for (const res of await Promise.all(running)) expect(res.statusCode, res.body).toBe(200)
    // The slots are free again.
    expect((await postImport(c, EXPORT, 'application/xml')).statusCode).toBe(200)
  })
})

describe('an import in flight when the locker is erased (security review L3)', () => {
  it('is refused in its transaction (404: the policy sees the account disabled) and writes nothing', async () => {
    const p = await registerUser(t)
    const slow = startSlowImport(p, EXPORT_HEAD, HEART_RATE + '</HealthData>\n')
    await untilImportClaimed(p)
    const erased = await t.app.inject({ method: 'DELETE', url: '/api/v1/patients/me', headers: p.headers, payload: { password: PASSWORD } })
    expect(erased.statusCode, erased.body).toBe(204)

    slow.finish()
    const answer = await slow.answer
    expect(answer.status, answer.body).toBe(404)
    const vitals = await t.deps.db.selectFrom('vitals').select('id').where('patientId', '=', p.id).execute()
    expect(vitals).toEqual([])
  })
})
