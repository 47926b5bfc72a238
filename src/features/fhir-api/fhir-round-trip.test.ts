/**
 * Round trips through HTTP (SPEC §9): a Synthea patient imported into locker A, read back as
 * `$everything` and as `$summary`, and each imported into an empty locker with
 * `POST /api/v1/patients/me/import` reproduces A's allergies, conditions, medications and
 * vitals. Records: `$everything` carries Binary links, not bytes, so they are reported as
 * skipped; with the Binaries inlined in the same bundle (as other servers send them) they
 * come back byte for byte.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type * as fhir4 from 'fhir/r4.js'
import { registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { fhirValidator } from '../../../test/helpers/fhir-schema.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { URL_ONLY_ATTACHMENT } from '../import/fhir-documents.js'

const SANDEE = 'synthea/Sandee884_Lesch175_ad655588-9deb-d164-ea1e-29243f2de17d.json'
const NAME = 'Sandee Lesch'

let t: TestApp
let a: TestUser
let validate: (r: unknown) => string[]

const importInto = async (u: TestUser, bundle: unknown) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...u.headers, 'content-type': 'application/json' }, payload: JSON.stringify(bundle) })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { imported: Record<string, number>; skipped: { resourceType: string; count: number; reason: string }[] }
}

const fhir = async (u: TestUser, path: string): Promise<fhir4.Bundle> => {
  const res = await t.app.inject({ method: 'GET', url: `/fhir/R4${path}`, headers: u.headers })
  expect(res.statusCode, res.body).toBe(200)
  const body = res.json() as fhir4.Bundle
  expect(validate(body)).toEqual([])
  return body
}

async function listAll(u: TestUser, what: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = []
  let cursor: string | null = null
  do {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/${what}?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: u.headers })
    expect(res.statusCode, res.body).toBe(200)
    const page = res.json() as { items: Record<string, unknown>[]; nextCursor: string | null }
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  return items
}

/** What a locker holds, counted through /api/v1. */
async function lockerCounts(u: TestUser) {
  const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: u.headers })).json()
  return {
    allergies: profile.allergies.length as number,
    conditions: profile.conditions.length as number,
    medications: profile.medications.length as number,
    vitals: (await listAll(u, 'vitals')).length,
  }
}

beforeAll(async () => {
  t = await startTestApp()
  validate = fhirValidator()
  a = await registerUser(t, 'patient', { name: NAME })
  await importInto(a, JSON.parse(readFileSync(fixturePath(SANDEE), 'utf8')))
}, 120_000)
afterAll(async () => t.close())

describe('round trips (SPEC §9)', () => {
  it('$everything imported into an empty locker reproduces the allergies, conditions, medications and vitals', async () => {
    const original = await lockerCounts(a)
    expect(original.allergies).toBeGreaterThan(0)
    expect(original.vitals).toBeGreaterThan(0)
    const everything = await fhir(a, `/Patient/${a.id}/$everything`)
    const b = await registerUser(t, 'patient', { name: NAME })
    const result = await importInto(b, everything)
    expect(await lockerCounts(b)).toEqual(original)
    // Records travel as links: reported, not silently dropped.
    const records = (await listAll(a, 'records')).length
    expect(records).toBeGreaterThan(0)
    expect(result.imported.records).toBe(0)
    expect(result.skipped).toContainEqual({ resourceType: 'DocumentReference', count: records, reason: URL_ONLY_ATTACHMENT })
  })

  it('$summary imported into an empty locker reproduces the same counts', async () => {
    const original = await lockerCounts(a)
    const summary = await fhir(a, `/Patient/${a.id}/$summary`)
    const c = await registerUser(t, 'patient', { name: NAME })
    await importInto(c, summary)
    expect(await lockerCounts(c)).toEqual(original)
  })

  it('$everything with its Binaries inlined brings every record back byte for byte', async () => {
    const everything = await fhir(a, `/Patient/${a.id}/$everything`)
    const docs = (everything.entry ?? []).map((e) => e.resource).filter((r): r is fhir4.DocumentReference => r?.resourceType === 'DocumentReference')
    const digests: string[] = []
    for (const doc of docs) {
      const url = doc.content[0]?.attachment.url as string
      const res = await t.app.inject({ method: 'GET', url: url.replace(/^https?:\/\/[^/]+/, ''), headers: a.headers })
      expect(res.statusCode).toBe(200)
      digests.push(createHash('sha256').update(res.rawPayload).digest('hex'))
      const binary: fhir4.Binary = { resourceType: 'Binary', id: doc.id as string, contentType: String(res.headers['content-type']), data: res.rawPayload.toString('base64') }
      everything.entry?.push({ fullUrl: url, resource: binary })
    }
    const d = await registerUser(t, 'patient', { name: NAME })
    const result = await importInto(d, everything)
    expect(result.imported.records).toBe(docs.length)
    const back = await listAll(d, 'records')
    expect(back.map((r) => r.sha256).sort()).toEqual(digests.sort())
    const titles = (await listAll(a, 'records')).map((r) => [r.title, r.recordDate]).sort()
    expect(back.map((r) => [r.title, r.recordDate]).sort()).toEqual(titles)
  })
})
