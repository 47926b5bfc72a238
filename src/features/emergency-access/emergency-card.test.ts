import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { DOMENICA_CARD_CONDITIONS, DOMENICA_FILE, fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const DOMENICA = readFileSync(fixturePath(`synthea/${DOMENICA_FILE}`), 'utf8')

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

interface Entry { id: string; name: string; status?: string; code?: unknown }
type ProfileBody = Record<string, unknown> & { conditions: Entry[]; medications: Entry[]; allergies: { substance: string }[] }

/** A patient whose locker holds Domenica436's Synthea bundle (the registration name matches the file's patient). */
async function importedPatient(): Promise<TestUser> {
  const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...p.headers, 'content-type': 'application/fhir+json' }, payload: DOMENICA })
  expect(res.statusCode, res.body).toBe(200)
  return p
}

const getProfile = async (p: TestUser) => {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: p.headers })
  expect(res.statusCode).toBe(200)
  return res.json() as ProfileBody & { emergencyCard: unknown; emergencyCardDefault: { conditionIds: string[]; medicationIds: string[] } }
}

/** The profile as a PUT body: the response minus its read-only fields. */
const asBody = (p: ProfileBody) => {
  const { age: _a, updatedAt: _u, emergencyCardDefault: _d, ...body } = p
  return body
}

const emergencyView = async (p: TestUser) => {
  const { token } = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json() as { token: string }
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}`, headers: { 'user-agent': 'Mozilla/5.0 (iPhone)' } })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().patient as { allergies: { substance: string }[]; conditions: Entry[]; medications: Entry[] }
}

const names = (items: { name: string }[]) => items.map((i) => i.name).sort()

describe('emergency card (SPEC §4.2 emergencyCard, §4.6)', () => {
  it('by default the emergency view shows every allergy, the active disorders without findings, situations or social history, and every medication', async () => {
    const p = await importedPatient()
    const profile = await getProfile(p)
    expect(profile.emergencyCard).toEqual({ conditionIds: null, medicationIds: null })
    const view = await emergencyView(p)

    expect(view.allergies.map((a) => a.substance).sort()).toEqual(profile.allergies.map((a) => a.substance).sort())
    expect(names(view.conditions)).toEqual(DOMENICA_CARD_CONDITIONS)
    const left = names(profile.conditions).filter((n) => !names(view.conditions).includes(n))
    expect(left).toEqual(expect.arrayContaining(['Full-time employment (finding)', 'Has a criminal record (finding)', 'Medication review due (situation)', 'Received higher education (finding)', 'Stress (finding)', 'Social isolation (finding)']))
    expect(names(view.medications)).toEqual(names(profile.medications))
    expect(view.medications.length).toBeGreaterThan(0)
    // The profile tells the web app what the default picks, so it never re-implements the rule.
    expect(profile.emergencyCardDefault.conditionIds.sort()).toEqual(view.conditions.map((c) => c.id).sort())

    const page = await t.app.inject({ method: 'GET', url: `/e/${(await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json().token}`, headers: { 'user-agent': 'Mozilla/5.0 (iPhone)' } })
    expect(page.body).toContain('Ischemic heart disease (disorder)')
    expect(page.body).not.toContain('Full-time employment')
  })

  it('a PUT emergencyCard choice shows exactly the chosen conditions and medications — a finding or resolved one too — and survives a GET', async () => {
    const p = await importedPatient()
    const profile = await getProfile(p)
    const byName = (n: string) => profile.conditions.find((c) => c.name === n)!.id
    const conditionIds = [byName('Ischemic heart disease (disorder)'), byName('Stress (finding)'), byName('Acute bronchitis (disorder)')]
    const medicationIds = [profile.medications[0]!.id]
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: { ...asBody(profile), emergencyCard: { conditionIds, medicationIds } } })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().emergencyCard).toEqual({ conditionIds, medicationIds })
    expect((await getProfile(p)).emergencyCard).toEqual({ conditionIds, medicationIds })

    const view = await emergencyView(p)
    expect(names(view.conditions)).toEqual(['Acute bronchitis (disorder)', 'Ischemic heart disease (disorder)', 'Stress (finding)'])
    expect(view.medications.map((m) => m.id)).toEqual(medicationIds)
    expect(view.allergies.length).toBe(profile.allergies.length)

    // An empty choice shows none; null goes back to the default.
    await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: { ...asBody(profile), emergencyCard: { conditionIds: [], medicationIds: null } } })
    const none = await emergencyView(p)
    expect(none.conditions).toEqual([])
    expect(none.medications.length).toBe(profile.medications.length)
  })

  it('an emergencyCard id that is not one of the profile\'s conditions or medications is 400 with its path, and nothing changes', async () => {
    const p = await importedPatient()
    const profile = await getProfile(p)
    const stranger = '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f'
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me/profile',
      headers: p.headers,
      // A medication id in the conditions list is not a condition either.
      payload: { ...asBody(profile), emergencyCard: { conditionIds: [profile.conditions[0]!.id, stranger], medicationIds: [profile.conditions[0]!.id] } },
    })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().errors).toEqual([
      { path: '/emergencyCard/conditionIds/1', message: expect.stringContaining('conditions') },
      { path: '/emergencyCard/medicationIds/0', message: expect.stringContaining('medications') },
    ])
    expect((await getProfile(p)).emergencyCard).toEqual({ conditionIds: null, medicationIds: null })
  })

  it('a new profile answers the default card; a PUT without emergencyCard keeps the default', async () => {
    const p = await registerUser(t, 'patient', { name: 'Ana Card' })
    expect((await getProfile(p)).emergencyCard).toEqual({ conditionIds: null, medicationIds: null })
    const res = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: { fullName: 'Ana Card', conditions: [{ name: 'Asthma', status: 'active' }] } })
    expect(res.statusCode).toBe(200)
    expect(res.json().emergencyCard).toEqual({ conditionIds: null, medicationIds: null })
    expect(res.json().emergencyCardDefault).toEqual({ conditionIds: [res.json().conditions[0].id], medicationIds: [] })
  })
})
