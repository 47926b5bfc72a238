/**
 * SPEC §6: names and other single-line text fields reject control characters with a 400
 * problem naming the field; free text (notes, descriptions) keeps line breaks and tabs but
 * refuses every other control. One table of fields across features × one list of characters,
 * through real HTTP; after each refusal nothing has changed.
 */
import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser, registerVerified, type TestUser } from './helpers/factories.js'
import { AMOXICILLIN, consent, patientWithProfile } from './helpers/prescriptions.js'
import { startTestApp, type TestApp } from './helpers/test-app.js'
import { multipartBody } from './helpers/uploads.js'

/** C0 (incl. NUL, tab, line feed, carriage return), DEL, C1 (NEL), line/paragraph separators, bidi overrides and isolates, invisible format characters. */
const CONTROLS: Record<string, string> = {
  NUL: '\u0000',
  TAB: '\t',
  LF: '\n',
  CR: '\r',
  ESC: '\u001b',
  DEL: '\u007f',
  NEL: '\u0085',
  LSEP: '\u2028',
  PSEP: '\u2029',
  LRE: '\u202a',
  RLO: '\u202e',
  LRI: '\u2066',
  PDI: '\u2069',
  ZWSP: '\u200b',
  BOM: '\ufeff',
}
/** Allowed in free text only. */
const LINE_BREAKS_AND_TABS = new Set(['TAB', 'LF', 'CR'])

let t: TestApp
let patient: TestUser
let doctor: TestUser
beforeAll(async () => {
  t = await startTestApp()
  patient = await patientWithProfile(t)
  doctor = await registerVerified(t, 'doctor')
  await consent(t, patient.id, doctor.id)
})
afterAll(async () => t?.close())

const get = (u: TestUser, url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: u.headers })
const profileOf = async (u: TestUser) => (await get(u, '/patients/me/profile')).json()
const recordsOf = async (u: TestUser) => (await get(u, '/patients/me/records')).json().items
const issuedBy = async (u: TestUser) => (await get(u, '/prescriptions')).json().items

interface Field {
  /** JSON pointer the 400 must name. */
  path: string
  /** False for free text, which keeps line breaks and tabs. */
  singleLine: boolean
  send(value: string): Promise<LightMyRequestResponse>
  /** What must be unchanged after a refusal. */
  state(): Promise<unknown>
}

const registerEmail = `control-${randomUUID()}@example.test`

const FIELDS: Record<string, Field> = {
  'register name': {
    path: '/name',
    singleLine: true,
    send: (v) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: registerEmail, password: PASSWORD, role: 'patient', name: `Eve${v}Smith` } }),
    state: async () => (await t.deps.db.selectFrom('users').select('id').where('email', '=', registerEmail).execute()).length,
  },
  'doctor registration specialty': {
    path: '/specialty',
    singleLine: true,
    send: (v) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: registerEmail, password: PASSWORD, role: 'doctor', name: 'Dr Who', specialty: `Cardio${v}logy`, licenseNumber: 'MD-1' },
      }),
    state: async () => (await t.deps.db.selectFrom('users').select('id').where('email', '=', registerEmail).execute()).length,
  },
  'profile fullName': {
    path: '/fullName',
    singleLine: true,
    send: (v) => t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: `Pat${v}Example` } }),
    state: () => profileOf(patient),
  },
  'emergency contact name': {
    path: '/emergencyContacts/0/name',
    singleLine: true,
    send: (v) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/v1/patients/me/profile',
        headers: patient.headers,
        payload: { fullName: 'Pat Example', emergencyContacts: [{ name: `Luis${v}Lopez`, phone: '+14155550123' }] },
      }),
    state: () => profileOf(patient),
  },
  'allergy substance': {
    path: '/allergies/0/substance',
    singleLine: true,
    send: (v) =>
      t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Pat Example', allergies: [{ substance: `Peni${v}cillin` }] } }),
    state: () => profileOf(patient),
  },
  'profile notes (free text)': {
    path: '/notes',
    singleLine: false,
    send: (v) => t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Pat Example', notes: `Carries${v}an EpiPen` } }),
    state: () => profileOf(patient),
  },
  'record title (multipart)': {
    path: '/title',
    singleLine: true,
    send: async (v) => {
      const { body, contentType } = await multipartBody({ category: 'lab_report', title: `Blood${v}count` }, { name: 'result.txt', bytes: 'Hemoglobin 14 g/dL\n' })
      return t.app.inject({ method: 'POST', url: '/api/v1/patients/me/records', headers: { ...patient.headers, 'content-type': contentType }, payload: body })
    },
    state: () => recordsOf(patient),
  },
  'prescription item medicineName': {
    path: '/items/0/medicineName',
    singleLine: true,
    send: (v) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/prescriptions',
        headers: doctor.headers,
        payload: { patientId: patient.id, diagnosis: 'Acute otitis media', items: [{ ...AMOXICILLIN, medicineName: `Amoxi${v}cillin` }] },
      }),
    state: () => issuedBy(doctor),
  },
  'prescription diagnosis': {
    path: '/diagnosis',
    singleLine: true,
    send: (v) =>
      t.app.inject({ method: 'POST', url: '/api/v1/prescriptions', headers: doctor.headers, payload: { patientId: patient.id, diagnosis: `Otitis${v}media`, items: [AMOXICILLIN] } }),
    state: () => issuedBy(doctor),
  },
}

const cases = Object.entries(FIELDS).flatMap(([field, f]) =>
  Object.entries(CONTROLS)
    .filter(([name]) => f.singleLine || !LINE_BREAKS_AND_TABS.has(name))
    .map(([name, char]) => [field, name, char] as const),
)

describe('control characters in text fields (SPEC §6)', () => {
  it.each(cases)('%s with %s inside is 400 naming the field, and nothing changes', async (field, _name, char) => {
    const f = FIELDS[field]!
    const before = await f.state()
    const res = await f.send(char)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(f.path)
    expect(await f.state()).toEqual(before)
  })

  it('a trailing newline in a name is refused, not trimmed away', async () => {
    const res = await FIELDS['profile fullName']!.send('\n')
    expect(res.statusCode).toBe(400)
    const trailing = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Pat Example\n' } })
    expect(trailing.statusCode).toBe(400)
  })

  it('names in any script are accepted, with the zero-width joiners some scripts need', async () => {
    for (const name of ['José Müller-Łukasz', 'محمد\u200cرضا', '山田 太郎', "Seán O'Brien"]) {
      const res = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: name } })
      expect(res.statusCode, res.body).toBe(200)
      expect(res.json().fullName).toBe(name)
    }
  })

  it('free text keeps line breaks and tabs; a browser form\'s CRLF is stored as LF', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me/profile',
      headers: patient.headers,
      payload: { fullName: 'Pat Example', notes: 'Carries an EpiPen.\r\n\tLeft pocket.' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().notes).toBe('Carries an EpiPen.\n\tLeft pocket.')

    // FormData sends multipart fields with CRLF line breaks.
    const { body, contentType } = await multipartBody({ category: 'lab_report', description: 'Line one\nLine two' }, { name: 'note.txt', bytes: 'hello\n' })
    const up = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/records', headers: { ...patient.headers, 'content-type': contentType }, payload: body })
    expect(up.statusCode, up.body).toBe(201)
    expect(up.json().description).toBe('Line one\nLine two')
  })

  it('an uploaded file name with control characters is 400 and stores nothing', async () => {
    for (const name of ['report\u202etxt.pdf', 'lab\u0000result.txt', 'scan\u0007.txt']) {
      const before = await recordsOf(patient)
      const { body, contentType } = await multipartBody({ category: 'lab_report' }, { name, bytes: 'Hemoglobin 14 g/dL\n' })
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/records', headers: { ...patient.headers, 'content-type': contentType }, payload: body })
      expect(res.statusCode, JSON.stringify(name)).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain('/file/filename')
      expect(await recordsOf(patient)).toEqual(before)
    }
  })
})
