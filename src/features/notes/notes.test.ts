import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import type { TestApp } from '../../../test/helpers/test-app.js'
import { can, readableNotes, type UserActor } from '../../policy/index.js'

let t: TestApp
let admin: TestUser
beforeAll(async () => ({ t, admin } = await startWithAdmin()))
afterAll(async () => t?.close())

interface NoteDto {
  id: string
  patientId: string
  author: { id: string; name: string }
  body: string
  sharedWithPatient: boolean
  createdAt: string
}

const call = (u: TestUser | null, method: InjectOptions['method'], url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u ? u.headers : {}, ...(payload ? { payload } : {}) })

const write = (d: TestUser, pid: string, body: object) => call(d, 'POST', `/patients/${pid}/notes`, body)

async function note(d: TestUser, pid: string, body: string, sharedWithPatient?: boolean): Promise<NoteDto> {
  const res = await write(d, pid, sharedWithPatient === undefined ? { body } : { body, sharedWithPatient })
  expect(res.statusCode, res.body).toBe(201)
  return res.json()
}

async function bodies(u: TestUser, pid: string, query = ''): Promise<string[]> {
  const res = await call(u, 'GET', `/patients/${pid}/notes${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return (res.json() as { items: NoteDto[] }).items.map((n) => n.body)
}

/** An approved consultation through the API; returns its id. */
async function consent(p: TestUser, d: TestUser): Promise<string> {
  const req = await call(p, 'POST', '/consultations', { doctorId: d.id })
  expect(req.statusCode, req.body).toBe(201)
  const { id } = req.json() as { id: string }
  expect((await call(d, 'POST', `/consultations/${id}/approve`)).statusCode).toBe(200)
  return id
}

const pause = () => new Promise((r) => setTimeout(r, 3))

describe('notes (SPEC §3, §4.8)', () => {
  it('a consenting doctor writes notes; each doctor sees only their own, the patient only the shared ones', async () => {
    const patient = await registerUser(t)
    const doc1 = await registerVerified(t, 'doctor', admin)
    const doc2 = await registerVerified(t, 'doctor', admin)
    await consent(patient, doc1)
    await consent(patient, doc2)

    const first = await note(doc1, patient.id, '  Suspected angina; order stress test.  ')
    expect(first).toEqual({
      id: expect.any(String),
      patientId: patient.id,
      author: { id: doc1.id, name: 'Test doctor' },
      body: 'Suspected angina; order stress test.',
      sharedWithPatient: false,
      encounterId: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    })
    await pause()
    await note(doc1, patient.id, 'Please walk 30 minutes a day.', true)
    await pause()
    await note(doc2, patient.id, 'Second opinion: agree.', false)
    await pause()
    await note(doc2, patient.id, 'Shared by the second doctor.', true)

    expect(await bodies(doc1, patient.id)).toEqual(['Please walk 30 minutes a day.', 'Suspected angina; order stress test.'])
    expect(await bodies(doc2, patient.id)).toEqual(['Shared by the second doctor.', 'Second opinion: agree.'])
    expect(await bodies(patient, 'me')).toEqual(['Shared by the second doctor.', 'Please walk 30 minutes a day.'])
    expect(await bodies(patient, patient.id)).toEqual(['Shared by the second doctor.', 'Please walk 30 minutes a day.'])
  })

  it('pages newest first with a keyset cursor', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient, doctor)
    for (const n of [1, 2, 3, 4, 5]) {
      await note(doctor, patient.id, `note ${n}`, n % 2 === 1)
      await pause()
    }
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await call(doctor, 'GET', `/patients/${patient.id}/notes?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      const p = res.json() as { items: NoteDto[]; nextCursor: string | null }
      seen.push(...p.items.map((n) => n.body))
      cursor = p.nextCursor
    } while (cursor)
    expect(seen).toEqual(['note 5', 'note 4', 'note 3', 'note 2', 'note 1'])
    expect(await bodies(patient, 'me', '?limit=1')).toEqual(['note 5'])
  })

  it('ending the consultation hides even the author’s own notes; they come back with a new approved consultation', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const id = await consent(patient, doctor)
    await note(doctor, patient.id, 'Before the end.', false)
    expect((await call(patient, 'POST', `/consultations/${id}/end`)).statusCode).toBe(200)
    expect((await call(doctor, 'GET', `/patients/${patient.id}/notes`)).statusCode).toBe(404)
    expect((await write(doctor, patient.id, { body: 'After the end.' })).statusCode).toBe(404)
    await consent(patient, doctor)
    expect(await bodies(doctor, patient.id)).toEqual(['Before the end.'])
  })

  it('who is refused: other doctors and patients 404, the patient 403 on writing, pending doctors and other roles 403, anonymous 401', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient, doctor)
    await note(doctor, patient.id, 'Private.', false)
    await note(doctor, patient.id, 'Shared.', true)

    const stranger = await registerVerified(t, 'doctor', admin)
    const otherPatient = await registerUser(t)
    for (const u of [stranger, otherPatient]) expect((await call(u, 'GET', `/patients/${patient.id}/notes`)).statusCode).toBe(404)
    expect((await write(stranger, patient.id, { body: 'x' })).statusCode).toBe(404)
    // The other patient's own locker holds none of them; a doctor has no `me`.
    expect(await bodies(otherPatient, 'me')).toEqual([])
    expect((await call(doctor, 'GET', '/patients/me/notes')).statusCode).toBe(404)

    expect((await write(patient, 'me', { body: 'My own note' })).statusCode).toBe(403)
    const pending = await registerUser(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    for (const [u, code] of [[pending, 'account-not-verified'], [pharmacist, 'forbidden'], [admin, 'forbidden']] as const) {
      for (const res of [await call(u, 'GET', `/patients/${patient.id}/notes`), await write(u, patient.id, { body: 'x' })]) {
        expect(res.statusCode).toBe(403)
        expect(res.json().type).toBe(`https://carelocker.dev/problems/${code}`)
      }
    }
    expect((await call(null, 'GET', `/patients/${patient.id}/notes`)).statusCode).toBe(401)
  })

  it("writes and a doctor's reads are audited; the patient's own reads are not", async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient, doctor)
    const n = await note(doctor, patient.id, 'Audited.', true)
    await bodies(doctor, patient.id)
    await bodies(patient, 'me')
    const stranger = await registerVerified(t, 'doctor', admin)
    await call(stranger, 'GET', `/patients/${patient.id}/notes`)
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const res = await call(patient, 'GET', '/patients/me/audit?limit=100')
    const events = (res.json() as { items: { action: string; actor: { id?: string }; resource: { type: string; id: string } }[] }).items
    expect(events.filter((e) => e.action.startsWith('note.')).map((e) => [e.action, e.actor.id])).toEqual([
      ['note.denied', stranger.id],
      ['note.viewed', doctor.id],
      ['note.created', doctor.id],
    ])
    expect(events.find((e) => e.action === 'note.created')?.resource).toEqual({ type: 'note', id: n.id })
  })

  it('bad input is 400 with the field', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(patient, doctor)
    for (const [body, path] of [
      [{ body: '' }, '/body'],
      [{ body: '   ' }, '/body'],
      [{ body: 'x'.repeat(10_001) }, '/body'],
      [{ body: 42 }, '/body'],
      [{}, '/body'],
      [{ body: 'ok', sharedWithPatient: 'yes' }, '/sharedWithPatient'],
      [{ body: 'ok', authorId: doctor.id }, '/authorId'],
    ] as const) {
      const res = await write(doctor, patient.id, body)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    expect((await note(doctor, patient.id, 'y'.repeat(10_000))).body).toHaveLength(10_000)
    for (const [url, path] of [
      ['/patients/not-a-uuid/notes', '/pid'],
      [`/patients/${patient.id}/notes?limit=500`, '/limit'],
      [`/patients/${patient.id}/notes?cursor=abc`, '/cursor'],
      [`/patients/${patient.id}/notes?shared=true`, '/shared'],
    ] as const) {
      const res = await call(doctor, 'GET', url)
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
  })
})

describe('note rules (policy unit)', () => {
  const actor = (role: UserActor['role'], id: string, status: UserActor['status'] = 'active'): UserActor => ({
    kind: 'user', id, role, status, name: role, sessionId: 's', secondFactor: false, meta: { ip: '127.0.0.1', userAgent: 'test' },
  })
  const P = '11111111-1111-4111-8111-111111111111'
  const D = '22222222-2222-4222-8222-222222222222'
  it('note.read agrees with the list filter readableNotes for every actor', () => {
    const actors = [actor('patient', P), actor('patient', D), actor('doctor', D), actor('doctor', D, 'pending'), actor('pharmacist', D), actor('admin', D)]
    for (const a of actors) {
      for (const consented of [true, false]) {
        const scope = { patientId: P, actorHasApprovedConsultation: consented }
        const filter = readableNotes(a, scope)
        expect(filter !== null, `${a.role}/${a.status}/${consented}`).toBe(can(a, 'note.list', scope))
        for (const authorId of [D, P]) {
          for (const sharedWithPatient of [true, false]) {
            const expected = filter !== null && ('authorId' in filter ? filter.authorId === authorId : sharedWithPatient)
            expect(can(a, 'note.read', { ...scope, authorId, sharedWithPatient })).toBe(expected)
          }
        }
      }
    }
  })
})
