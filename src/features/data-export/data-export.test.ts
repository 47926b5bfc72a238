import { existsSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import yauzl from 'yauzl'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import { fhirValidator } from '../../../test/helpers/fhir-schema.js'
import { DOMENICA_FILE, FIXTURES_URL } from '../../../test/helpers/fixtures.js'
import { recordFixtures, recordHelpers, sha256 } from '../../../test/helpers/records.js'
import type { TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'

/** The clock the app reads (`deps.now`): moved forward to reach an export's expiry. */
let offsetMs = 0
let t: TestApp
let admin: TestUser
beforeAll(async () => {
  ;({ t, admin } = await startWithAdmin({}, { now: () => new Date(Date.now() + offsetMs) }))
})
afterAll(async () => t?.close())
const { uploadOk, blobPathOf } = recordHelpers(() => t)
const { PDF, PNG } = recordFixtures()

const api = (u: TestUser, method: 'GET' | 'POST', path: string, payload?: unknown) =>
  t.app.inject({ method, url: `/api/v1/patients/${path}`, headers: u.headers, ...(payload === undefined ? {} : { payload: payload as object }) })

/** Asks for an export (202) and polls it until it is no longer pending (a generous cap; no time is asserted). */
async function exportUntilSettled(u: TestUser): Promise<{ id: string; status: string; downloadUrl?: string; sizeBytes?: number; expiresAt?: string; error?: string }> {
  const res = await api(u, 'POST', 'me/export')
  expect(res.statusCode, res.body).toBe(202)
  const { id, status } = res.json()
  expect(status).toBe('pending')
  return waitUntil(async () => {
    const poll = await api(u, 'GET', `me/exports/${id}`)
    expect(poll.statusCode, poll.body).toBe(200)
    return poll.json().status === 'pending' ? undefined : poll.json()
  }, 60_000, 'the export to settle')
}

/** Every entry of a zip, by name (yauzl, checking CRC-32 and sizes as it reads). */
function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, file) => {
      if (err || !file) return reject(err)
      const out = new Map<string, Buffer>()
      file.on('error', reject)
      file.on('end', () => resolve(out))
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e)
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('error', reject)
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks))
            file.readEntry()
          })
        })
      })
      file.readEntry()
    })
  })
}

const importJson = async (u: TestUser, body: string) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...u.headers, 'content-type': 'application/json' }, payload: body })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().imported as Record<string, number>
}
const importSynthea = (u: TestUser) => importJson(u, readFileSync(new URL(`synthea/${DOMENICA_FILE}`, FIXTURES_URL), 'utf8'))

describe('Take your data and go: the export (SPEC §9)', () => {
  it('exports a Synthea patient as a zip with both bundles, NDJSON per type, every file with its bytes, and a README', async () => {
    const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const firstImport = await importSynthea(p)
    const pdf = await uploadOk(p, PDF)
    const png = await uploadOk(p, PNG, { fields: { category: 'imaging' } })
    const records = (await api(p, 'GET', 'me/records?limit=100')).json().items as { fileName: string; sha256: string }[]
    expect(records.length).toBeGreaterThanOrEqual(2)

    const done = await exportUntilSettled(p)
    expect(done).toMatchObject({ status: 'ready', downloadUrl: `/api/v1/patients/me/exports/${done.id}/download` })
    expect(Date.parse(done.expiresAt ?? '')).toBeGreaterThan(Date.now() + 23 * 3600_000)

    const res = await t.app.inject({ method: 'GET', url: done.downloadUrl ?? '', headers: p.headers })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/zip')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="carelocker-export-\d{4}-\d{2}-\d{2}\.zip"$/)
    expect(res.rawPayload.length).toBe(done.sizeBytes)
    const entries = await unzip(res.rawPayload)

    const everything = JSON.parse(entries.get('everything.json')?.toString('utf8') ?? 'null')
    expect(everything).toMatchObject({ resourceType: 'Bundle', type: 'searchset' })
    const summary = JSON.parse(entries.get('summary.ips.json')?.toString('utf8') ?? 'null')
    expect(summary).toMatchObject({ resourceType: 'Bundle', type: 'document' })
    expect(summary.entry[0].resource).toMatchObject({ resourceType: 'Composition', type: { coding: [expect.objectContaining({ code: '60591-5' })] } })
    // Both validate against the official FHIR R4 JSON schema.
    const validate = fhirValidator()
    expect(validate(everything)).toEqual([])
    expect(validate(summary)).toEqual([])

    // One NDJSON file per resource type of everything.json, each line a resource of that type, together all of its entries.
    const types = new Set<string>(everything.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType))
    const ndjson = [...entries.keys()].filter((n) => n.endsWith('.ndjson'))
    expect(new Set(ndjson)).toEqual(new Set([...types].map((ty) => `${ty}.ndjson`)))
    let lines = 0
    for (const name of ndjson) {
      const text = entries.get(name)?.toString('utf8') ?? ''
      for (const line of text.trimEnd().split('\n')) {
        expect(JSON.parse(line).resourceType).toBe(name.replace('.ndjson', ''))
        lines += 1
      }
    }
    expect(lines).toBe(everything.entry.length)

    // files/: every live record under its fileName, with the bytes it was uploaded with.
    const files = [...entries.keys()].filter((n) => n.startsWith('files/'))
    expect(files.sort()).toEqual(records.map((r) => `files/${r.fileName}`).sort())
    for (const r of records) expect(sha256(entries.get(`files/${r.fileName}`) as Buffer)).toBe(r.sha256)
    expect(sha256(entries.get(`files/${pdf.fileName}`) as Buffer)).toBe(sha256(PDF))
    expect(sha256(entries.get(`files/${png.fileName}`) as Buffer)).toBe(sha256(PNG))

    const readme = entries.get('README.txt')?.toString('utf8') ?? ''
    expect(readme).toContain('everything.json')
    expect(readme).toContain('summary.ips.json')
    expect(readme).toContain('files/')
    expect(readme).toMatch(/\/api\/v1\/patients\/me\/import/)
    expect(readme).toContain(new Date().toISOString().slice(0, 10))

    // everything.json imports into an empty locker: every Condition and vital sign of it is taken in (SPEC §9). (Its
    // DocumentReferences link to Binary without bytes — the bytes are in files/ — so no record comes with it.)
    const elsewhere = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    const again = await importJson(elsewhere, entries.get('everything.json')?.toString('utf8') ?? '')
    const entriesOf = (type: string) => everything.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === type).length
    expect(again.conditions).toBe(entriesOf('Condition'))
    expect(again.vitals).toBe(firstImport.vitals)

    // The zip is stored encrypted: the blob on disk is not the zip.
    const row = await t.deps.db.selectFrom('patientExports').selectAll().where('id', '=', done.id).executeTakeFirstOrThrow()
    const stored = readFileSync(await blobPathOfExport(row.blobKey as string))
    expect(stored.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))).toBe(false)
    expect(row.sha256).toBe(sha256(res.rawPayload))

    // Audited in the patient's own log.
    await t.deps.audit.sealNow()
    const audit = (await api(p, 'GET', 'me/audit?limit=100')).json().items as { action: string; resource: { id: string } }[]
    expect(audit).toContainEqual(expect.objectContaining({ action: 'export.requested', resource: { type: 'export', id: done.id } }))
    expect(audit).toContainEqual(expect.objectContaining({ action: 'export.downloaded', resource: { type: 'export', id: done.id } }))

    // Listed while it lives.
    const list = await api(p, 'GET', 'me/exports')
    expect(list.statusCode).toBe(200)
    expect(list.json().items).toContainEqual(expect.objectContaining({ id: done.id, status: 'ready' }))
  })

  it('allows one pending export at a time (409), and a new one once it settled', async () => {
    const p = await registerUser(t, 'patient')
    // Two requests at once: exactly one is accepted (the partial unique index decides).
    const both = await Promise.all([api(p, 'POST', 'me/export'), api(p, 'POST', 'me/export')])
    expect(both.map((r) => r.statusCode).sort()).toEqual([202, 409])
    const conflict = both.find((r) => r.statusCode === 409)
    expect(conflict?.json()).toMatchObject({ type: 'https://carelocker.dev/problems/export-pending' })
    const accepted = both.find((r) => r.statusCode === 202)?.json()
    await waitUntil(async () => (await api(p, 'GET', `me/exports/${accepted.id}`)).json().status === 'ready', 60_000, 'the first export')
    const next = await api(p, 'POST', 'me/export')
    expect(next.statusCode, next.body).toBe(202)
  })

  it('refuses other roles (403), other patients\' export ids (404), unknown fields and bad ids (400), and no token (401)', async () => {
    const owner = await registerUser(t, 'patient')
    const other = await registerUser(t, 'patient')
    const doctor = await registerVerified(t, 'doctor', admin)
    const done = await exportUntilSettled(owner)

    expect((await api(other, 'GET', `me/exports/${done.id}`)).statusCode).toBe(404)
    expect((await api(other, 'GET', `me/exports/${done.id}/download`)).statusCode).toBe(404)
    expect((await api(other, 'GET', `${owner.id}/exports/${done.id}`)).statusCode).toBe(404)
    expect((await api(other, 'POST', `${owner.id}/export`)).statusCode).toBe(404)
    expect((await api(other, 'GET', 'me/exports')).json().items).toEqual([])

    for (const [method, path] of [['POST', `${owner.id}/export`], ['GET', `${owner.id}/exports/${done.id}`], ['GET', `${owner.id}/exports/${done.id}/download`], ['GET', `${owner.id}/exports`]] as const) {
      expect((await api(doctor, method, path)).statusCode, `${method} ${path}`).toBe(403)
      expect((await api(admin, method, path)).statusCode, `${method} ${path}`).toBe(403)
      expect((await t.app.inject({ method, url: `/api/v1/patients/${path}` })).statusCode, `${method} ${path}`).toBe(401)
    }

    expect((await api(owner, 'POST', 'me/export', { everything: true })).statusCode).toBe(400)
    expect((await api(owner, 'GET', 'me/exports/not-a-uuid')).statusCode).toBe(400)
    expect((await api(owner, 'GET', 'me/exports/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
  })

  it('marks an export failed with a clear error when a record\'s stored bytes are missing, and stores nothing', async () => {
    const p = await registerUser(t, 'patient')
    const rec = await uploadOk(p, PDF)
    await rm(await blobPathOf(rec.id))
    const done = await exportUntilSettled(p)
    expect(done.status).toBe('failed')
    expect(done.error).toContain(rec.fileName)
    expect(done.error).toMatch(/could not be read/)
    expect(done.downloadUrl).toBeUndefined()
    const download = await api(p, 'GET', `me/exports/${done.id}/download`)
    expect(download.statusCode).toBe(409)
    const row = await t.deps.db.selectFrom('patientExports').selectAll().where('id', '=', done.id).executeTakeFirstOrThrow()
    expect(row.blobKey).toBeNull()
    expect(await t.deps.blobs.remove(done.id).then(() => 'removed')).toBe('removed')
  })

  it('answers 410 after 24 hours, and the expiry sweep makes the zip unreadable and removes its blob', async () => {
    const owner = await registerUser(t, 'patient')
    await uploadOk(owner, PDF)
    const done = await exportUntilSettled(owner)
    const row = await t.deps.db.selectFrom('patientExports').selectAll().where('id', '=', done.id).executeTakeFirstOrThrow()
    const blobFile = await blobPathOfExport(row.blobKey as string)
    expect(readFileSync(blobFile).length).toBeGreaterThan(0)

    offsetMs = 24 * 3600_000 + 60_000
    try {
      // A day later the access token has expired too: sign in again.
      const p = await loginAs(t, owner.email)
      expect((await api(p, 'GET', `me/exports/${done.id}`)).statusCode).toBe(410)
      expect((await api(p, 'GET', `me/exports/${done.id}/download`)).statusCode).toBe(410)
      expect((await api(p, 'GET', 'me/exports')).json().items).toEqual([])
      // The job scheduled for the expiry runs the sweep; run one now rather than wait 24 h.
      await t.deps.jobs.send(t.deps.db, 'export.expire', { exportId: done.id })
      await waitUntil(() => !existsSync(blobFile), 30_000, 'the expiry sweep to remove the blob')
      const r = await t.deps.db.selectFrom('patientExports').select(['blobKey', 'wrappedKey']).where('id', '=', done.id).executeTakeFirstOrThrow()
      expect(r).toEqual({ blobKey: null, wrappedKey: null })
    } finally {
      offsetMs = 0
    }
  })
})

/** Where the local store keeps an export's encrypted zip. */
async function blobPathOfExport(key: string): Promise<string> {
  const path = await import('node:path')
  return path.join(t.dataDir, 'blobs', key.slice(0, 2), key)
}
