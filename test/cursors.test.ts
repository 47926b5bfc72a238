/**
 * Every list cursor is validated (SPEC §2: "a cursor the server did not issue, or altered, is
 * 400 — never 500"; STYLE §9: untrusted input is parsed once, by a schema — cursors too).
 *
 * The list routes are enumerated from the app itself (every GET whose query schema has a
 * `cursor`), so a new list route without a row here fails the test. Each route is called,
 * through HTTP, by every kind of caller that may list it, with cursors that are not base64url
 * JSON, JSON of the wrong shape or arity, and well-encoded tuples with one bad element (a
 * non-date, a date out of range, a non-UUID…) — the last kind is what reached the database
 * before. Each must answer 400 problem+json with an `errors` entry for `/cursor`, and a
 * well-formed cursor of the right shape must still be accepted.
 *
 * Last, a database error behind a 500 is logged with its SQLSTATE code only: its message,
 * detail, SQL and parameters may carry patient data.
 */
import { randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_PREFIX } from '../src/app/app-types.js'
import { errorLogFields, registerErrorHandlers } from '../src/app/error-handler.js'
import { PROBLEM_BASE } from '../src/app/errors.js'
import { registerFeatureRoutes } from '../src/app/routes.js'
import { createAdmin, registerUser, registerVerified, type TestUser } from './helpers/factories.js'
import { consent } from './helpers/prescriptions.js'
import { startTestApp, type TestApp } from './helpers/test-app.js'

let t: TestApp
let callers: { patient: TestUser; doctor: TestUser; pharmacist: TestUser; admin: TestUser }

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  const patient = await registerUser(t, 'patient')
  const doctor = await registerVerified(t, 'doctor', admin)
  const pharmacist = await registerVerified(t, 'pharmacist', admin)
  await consent(t, patient.id, doctor.id)
  callers = { patient, doctor, pharmacist, admin }
})

afterAll(async () => {
  await t?.close()
})

// ---------------------------------------------------------------------------------------
// The lists and their cursors' shapes

/** The kinds of element a list's cursor tuple holds, each with a good value and bad ones. */
const KINDS = {
  instant: {
    good: '2026-01-01T08:15:00.000Z',
    bad: ['not-a-date', '9999999-01-01', '9999999-01-01T00:00:00.000Z', '+275760-09-13T00:00:00.000Z', '2026-02-30T00:00:00.000Z', '2026-01-01T25:00:00.000Z', '0000-01-01T00:00:00.000Z', '', 1767225600000, null, ['2026-01-01T00:00:00.000Z']],
  },
  date: {
    good: '2026-01-01',
    bad: ['not-a-date', '9999999-01-01', '2026-02-30', '0000-01-01', '2026-13-01', '', 20260101, null],
  },
  uuid: {
    good: '6f1c2b1e-4a7d-4c3e-9b2a-1d2e3f4a5b6c',
    bad: ['not-a-uuid', '6f1c2b1e-4a7d-4c3e-9b2a-1d2e3f4a5b6', '6f1c2b1e-4a7d-4c3e-9b2a-1d2e3f4a5b6g', "' OR 1=1 --", '', 42, null, { id: 'x' }],
  },
  seq: {
    good: 1,
    bad: [0, -1, 1.5, '1', 1e20, 2 ** 63, null, 'not-a-number'],
  },
  name: {
    good: 'a',
    bad: ['a\u0000b', 42, null, 'x'.repeat(400)],
  },
} satisfies Record<string, { good: unknown; bad: unknown[] }>
type Kind = keyof typeof KINDS

type Role = keyof typeof callers
interface ListRoute {
  /** Route URL as registered (`:pid` and all), to match the enumeration. */
  route: string
  shape: Kind[]
  /** Who calls it, on which URL. */
  calls: { role: Role; url: () => string }[]
}

const LISTS: ListRoute[] = [
  { route: '/admin/users', shape: ['instant', 'uuid'], calls: [{ role: 'admin', url: () => '/admin/users' }] },
  { route: '/shares', shape: ['instant', 'uuid'], calls: [{ role: 'patient', url: () => '/shares' }] },
  {
    route: '/patients/:pid/records',
    shape: ['date', 'instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/patients/me/records' },
      { role: 'doctor', url: () => `/patients/${callers.patient.id}/records` },
    ],
  },
  {
    route: '/patients/:pid/vitals',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/patients/me/vitals' },
      { role: 'doctor', url: () => `/patients/${callers.patient.id}/vitals` },
    ],
  },
  {
    route: '/patients/:pid/labs',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/patients/me/labs' },
      { role: 'doctor', url: () => `/patients/${callers.patient.id}/labs` },
    ],
  },
  { route: '/patients/me/shl', shape: ['instant', 'uuid'], calls: [{ role: 'patient', url: () => '/patients/me/shl' }] },
  // Caregivers (SPEC §10): the patient's own invitations and grants, and a locker's prescriptions.
  { route: '/patients/me/caregivers', shape: ['instant', 'uuid'], calls: [{ role: 'patient', url: () => '/patients/me/caregivers' }] },
  { route: '/patients/:pid/prescriptions', shape: ['instant', 'uuid'], calls: [{ role: 'patient', url: () => '/patients/me/prescriptions' }] },
  {
    route: '/patients/:pid/notes',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/patients/me/notes' },
      { role: 'doctor', url: () => `/patients/${callers.patient.id}/notes` },
    ],
  },
  {
    route: '/patients/:pid/encounters',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/patients/me/encounters' },
      { role: 'doctor', url: () => `/patients/${callers.patient.id}/encounters` },
    ],
  },
  { route: '/patients/:pid/audit', shape: ['seq'], calls: [{ role: 'patient', url: () => '/patients/me/audit' }] },
  {
    route: '/consultations',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/consultations' },
      { role: 'doctor', url: () => '/consultations' },
    ],
  },
  { route: '/doctor/patients', shape: ['instant', 'uuid'], calls: [{ role: 'doctor', url: () => '/doctor/patients' }] },
  {
    route: '/appointments',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/appointments' },
      { role: 'doctor', url: () => '/appointments' },
    ],
  },
  { route: '/patients/:pid/appointments', shape: ['instant', 'uuid'], calls: [{ role: 'patient', url: () => '/patients/me/appointments' }] },
  { route: '/doctor/availability/exceptions', shape: ['instant', 'uuid'], calls: [{ role: 'doctor', url: () => '/doctor/availability/exceptions' }] },
  {
    route: '/notifications',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/notifications' },
      { role: 'doctor', url: () => '/notifications' },
    ],
  },
  {
    route: '/organizations',
    shape: ['name', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/organizations' },
      { role: 'admin', url: () => '/organizations' },
    ],
  },
  {
    route: '/doctors',
    shape: ['name', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/doctors' },
      { role: 'pharmacist', url: () => '/doctors' },
    ],
  },
  {
    route: '/prescriptions',
    shape: ['instant', 'uuid'],
    calls: [
      { role: 'patient', url: () => '/prescriptions' },
      { role: 'doctor', url: () => '/prescriptions' },
    ],
  },
  { route: '/pharmacy/history', shape: ['instant', 'uuid'], calls: [{ role: 'pharmacist', url: () => '/pharmacy/history' }] },
]

// ---------------------------------------------------------------------------------------
// Bad cursors

const b64 = (text: string) => Buffer.from(text).toString('base64url')
const tuple = (parts: unknown[]) => b64(JSON.stringify(parts))

/** `[name, cursor]` pairs that a list of `shape` must refuse. */
function badCursors(shape: Kind[]): [string, string][] {
  const good = shape.map((k) => KINDS[k].good)
  const out: [string, string][] = [
    ['not base64url', '!!not*a~cursor!!'],
    ['base64url with padding and spaces', `${tuple(good)}== `],
    ['base64url of text that is not JSON', b64('not json')],
    ['base64url of truncated JSON', tuple(good).slice(0, -4)],
    ['a JSON object', b64(JSON.stringify({ createdAt: KINDS.instant.good, id: KINDS.uuid.good }))],
    ['a JSON string', b64(JSON.stringify(KINDS.uuid.good))],
    ['JSON null', b64('null')],
    ['an empty tuple', tuple([])],
    ['a tuple one element short', tuple(good.slice(0, -1))],
    ['a tuple one element long', tuple([...good, KINDS.uuid.good])],
    ['an over-long cursor', 'A'.repeat(600)],
    ['an over-long tuple', tuple([...good, 'x'.repeat(600)])],
  ]
  shape.forEach((kind, i) => {
    for (const value of KINDS[kind].bad) {
      const parts: unknown[] = [...good]
      parts[i] = value
      out.push([`element ${i} (${kind}) = ${JSON.stringify(value)?.slice(0, 40)}`, tuple(parts)])
    }
  })
  return out
}

const get = (user: TestUser, url: string) => t.app.inject({ method: 'GET', url: `${API_PREFIX}${url}`, headers: user.headers })
const withCursor = (url: string, cursor: string) => `${url}?cursor=${encodeURIComponent(cursor)}`

/** What is wrong with `res` as the 400 of a bad cursor; undefined when it is right. */
function cursorProblem(res: Awaited<ReturnType<typeof get>>): string | undefined {
  if (res.statusCode !== 400) return `status ${res.statusCode}: ${res.body.slice(0, 200)}`
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) return `content-type ${res.headers['content-type']}`
  const body = res.json() as { type?: string; status?: number; errors?: { path: string }[] }
  if (body.type !== `${PROBLEM_BASE}validation-error` || body.status !== 400) return `problem ${res.body.slice(0, 200)}`
  if (!body.errors?.some((e) => e.path === '/cursor')) return `no /cursor entry in ${JSON.stringify(body.errors)}`
  return undefined
}

// ---------------------------------------------------------------------------------------

describe('list cursors (SPEC §2)', () => {
  it('covers every list route the API registers', async () => {
    const found = new Set<string>()
    const mirror = Fastify({ logger: false }).withTypeProvider()
    mirror.setValidatorCompiler(validatorCompiler)
    mirror.setSerializerCompiler(serializerCompiler)
    mirror.addHook('onRoute', (route) => {
      const query = route.schema?.querystring as { shape?: Record<string, unknown> } | undefined
      if ([route.method].flat().includes('GET') && query?.shape && 'cursor' in query.shape) found.add(route.url.slice(API_PREFIX.length))
    })
    await mirror.register(async (scope) => registerFeatureRoutes(scope, t.deps), { prefix: API_PREFIX })
    await mirror.ready()
    await mirror.close()
    expect(found.size).toBeGreaterThan(0)
    expect([...found].sort()).toEqual(LISTS.map((l) => l.route).sort())
  })

  for (const list of LISTS) {
    for (const call of list.calls) {
      describe(`GET ${list.route} as ${call.role}`, () => {
        it('answers 400 problem+json naming /cursor for every malformed or altered cursor', async () => {
          const failures: string[] = []
          for (const [name, cursor] of badCursors(list.shape)) {
            const res = await get(callers[call.role], withCursor(call.url(), cursor))
            const problem = cursorProblem(res)
            if (problem) failures.push(`${name}: ${problem}`)
          }
          expect(failures).toEqual([])
        })

        it('accepts a well-formed cursor of its shape', async () => {
          const cursor = tuple(list.shape.map((k) => KINDS[k].good))
          const res = await get(callers[call.role], withCursor(call.url(), cursor))
          expect(res.statusCode, res.body).toBe(200)
          expect(res.json()).toMatchObject({ items: expect.any(Array) })
        })
      })
    }
  }
})

// ---------------------------------------------------------------------------------------

describe('a database error behind a 500', () => {
  /** `SELECT '<secret>'::uuid` on the test database: the engine's own 22P02 error, quoting the secret. */
  const castToUuid = (secret: string) => sql`SELECT ${secret}::uuid AS id`.execute(t.deps.db)

  it('is logged by its SQLSTATE code, never its message, detail, SQL or parameters', async () => {
    const secret = `Jane Roe ${randomUUID()} HIV positive`
    const err = await castToUuid(secret).then(
      () => expect.fail('the cast did not fail'),
      (e: unknown) => e,
    )
    expect(JSON.stringify(err) + String(err)).toContain(secret) // what would have leaked
    const fields = errorLogFields(err)
    expect(fields).toMatchObject({ type: 'DatabaseError', code: '22P02' })
    const logged = JSON.stringify(fields)
    expect(logged).not.toContain(secret)
    expect(logged).not.toContain('SELECT')
    expect(logged).not.toContain('invalid input syntax')
    // …also when our code wraps it.
    expect(JSON.stringify(errorLogFields(new Error(`listing failed: ${String(err)}`, { cause: err })))).not.toContain(secret)
  })

  it('leaves the error handler as a 500 with only the request id, and a log line with the code only', async () => {
    const secret = `Jane Roe ${randomUUID()} HIV positive`
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    // The real error handler on a bare instance whose log we can read, in front of the real database.
    const bare = Fastify({ logger: { level: 'error', stream } }).withTypeProvider<ZodTypeProvider>()
    registerErrorHandlers(bare)
    bare.get('/db', async () => {
      await castToUuid(secret)
      return {}
    })
    bare.get('/bug', async () => {
      throw new TypeError('a bug of ours')
    })
    await bare.ready()
    try {
      const res = await bare.inject({ method: 'GET', url: '/db' })
      expect(res.statusCode).toBe(500)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toEqual({
        type: `${PROBLEM_BASE}internal-error`,
        title: 'Internal server error',
        status: 500,
        detail: expect.stringContaining(res.json().requestId),
        requestId: expect.any(String),
      })
      expect(res.body).not.toContain(secret)

      const logged = lines.map((l) => JSON.parse(l) as { level: number; reqId?: string; err?: Record<string, unknown> })
      expect(logged).toHaveLength(1)
      expect(logged[0]).toMatchObject({ level: 50, reqId: res.json().requestId, err: { type: 'DatabaseError', code: '22P02' } })
      const text = lines.join('\n')
      expect(text).not.toContain(secret)
      expect(text).not.toContain('SELECT')
      expect(text).not.toContain('invalid input syntax')

      // An error of our own keeps its message and stack in the log (and out of the body).
      lines.length = 0
      const bug = await bare.inject({ method: 'GET', url: '/bug' })
      expect(bug.statusCode).toBe(500)
      expect(bug.body).not.toContain('a bug of ours')
      expect(lines).toHaveLength(1)
      expect(JSON.parse(lines[0]!)).toMatchObject({ err: { type: 'TypeError', message: 'a bug of ours', stack: expect.stringContaining('a bug of ours') } })
    } finally {
      await bare.close()
    }
  })
})
