import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { multipartBody, uploadRecord } from '../../../test/helpers/uploads.js'

let t: TestApp
let smtp: SmtpSink
let admin: TestUser

beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url, MAIL_FROM: 'CareLocker <no-reply@carelocker.test>' })
  admin = await createAdmin(t)
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

// ---------------------------------------------------------------------------------------
// Helpers

const API = '/api/v1'
const call = (u: TestUser | null, method: InjectOptions['method'], url: string, payload?: unknown) =>
  t.app.inject({ method, url: `${API}${url}`, headers: u ? u.headers : {}, ...(payload === undefined ? {} : { payload: payload as object }) })

async function ok<T = Record<string, unknown>>(res: Awaited<ReturnType<typeof call>>, status = 200): Promise<T> {
  expect(res.statusCode, res.body).toBe(status)
  return res.json() as T
}

interface ConsultationDto {
  id: string
  patient: { id: string; name: string }
  doctor: { id: string; name: string; specialty: string }
  status: string
  reason: string | null
  createdAt: string
  decidedAt: string | null
  endedAt: string | null
}

const requestConsultation = (p: TestUser, d: TestUser, reason?: string) =>
  call(p, 'POST', '/consultations', { doctorId: d.id, ...(reason ? { reason } : {}) })
const act = (u: TestUser, id: string, action: 'approve' | 'reject' | 'end') => call(u, 'POST', `/consultations/${id}/${action}`)

/** A consultation between them, taken to `status` through the API. */
async function consultation(p: TestUser, d: TestUser, status: 'pending' | 'approved' | 'rejected' | 'ended' = 'approved'): Promise<ConsultationDto> {
  const c = await ok<ConsultationDto>(await requestConsultation(p, d), 201)
  if (status === 'pending') return c
  if (status === 'rejected') return ok<ConsultationDto>(await act(d, c.id, 'reject'))
  await ok(await act(d, c.id, 'approve'))
  return status === 'ended' ? ok<ConsultationDto>(await act(p, c.id, 'end')) : ok<ConsultationDto>(await call(p, 'GET', `/consultations/${c.id}`))
}

const auditActions = async (p: TestUser) => {
  await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
  return (await ok<{ items: { action: string; actor: { id?: string }; resource: { type: string; id: string } }[] }>(await call(p, 'GET', '/patients/me/audit?limit=100'))).items
}

/**
 * Every route that reads or changes a patient's data, as one request each for a caller other
 * than the patient. Vitals and summary routes join when their features are mounted.
 */
async function patientRoutes(pid: string, recordId: string): Promise<{ name: string; req: (u: TestUser) => InjectOptions }[]> {
  const upload = await multipartBody({ category: 'clinical_note' }, { name: 'n.txt', bytes: 'note by a doctor\n' })
  const routes: { name: string; req: (u: TestUser) => InjectOptions }[] = [
    { name: 'GET profile', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/profile`, headers: u.headers }) },
    { name: 'PUT profile', req: (u) => ({ method: 'PUT', url: `${API}/patients/${pid}/profile`, headers: u.headers, payload: { fullName: 'Hijack' } }) },
    { name: 'GET records', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/records`, headers: u.headers }) },
    { name: 'GET record', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/records/${recordId}`, headers: u.headers }) },
    { name: 'GET record content', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/records/${recordId}/content`, headers: u.headers }) },
    { name: 'GET record verify', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/records/${recordId}/verify`, headers: u.headers }) },
    {
      name: 'POST record',
      req: (u) => ({ method: 'POST', url: `${API}/patients/${pid}/records`, headers: { ...u.headers, 'content-type': upload.contentType }, payload: upload.body }),
    },
    { name: 'PATCH record', req: (u) => ({ method: 'PATCH', url: `${API}/patients/${pid}/records/${recordId}`, headers: u.headers, payload: { title: 'x' } }) },
    { name: 'DELETE record', req: (u) => ({ method: 'DELETE', url: `${API}/patients/${pid}/records/${recordId}`, headers: u.headers }) },
    { name: 'POST import', req: (u) => ({ method: 'POST', url: `${API}/patients/${pid}/import`, headers: u.headers, payload: { resourceType: 'Bundle', type: 'collection', entry: [] } }) },
    { name: 'GET notes', req: (u) => ({ method: 'GET', url: `${API}/patients/${pid}/notes`, headers: u.headers }) },
    { name: 'POST notes', req: (u) => ({ method: 'POST', url: `${API}/patients/${pid}/notes`, headers: u.headers, payload: { body: 'x' } }) },
  ]
  const optional: { name: string; method: 'GET' | 'POST'; path: string; payload?: object }[] = [
    { name: 'GET vitals', method: 'GET', path: '/vitals' },
    { name: 'POST vitals', method: 'POST', path: '/vitals', payload: { type: 'heart_rate', value: 70 } },
    { name: 'GET vitals trends', method: 'GET', path: '/vitals/trends?type=heart_rate' },
    { name: 'GET summary', method: 'GET', path: '/summary' },
  ]
  for (const o of optional) {
    if (!t.app.hasRoute({ method: o.method, url: `${API}/patients/:pid${o.path.split('?')[0]}` })) continue
    routes.push({ name: o.name, req: (u) => ({ method: o.method, url: `${API}/patients/${pid}${o.path}`, headers: u.headers, ...(o.payload ? { payload: o.payload } : {}) }) })
  }
  return routes
}

// ---------------------------------------------------------------------------------------

describe('the consult flow (SPEC §4.8)', () => {
  it('request → approve → the doctor reads profile and records and adds a record → end → 404 on the very next request', async () => {
    const patient = await registerUser(t, 'patient', { name: 'Pat Flow' })
    const doctor = await registerVerified(t, 'doctor', admin)
    await ok(await call(patient, 'PUT', '/patients/me/profile', { fullName: 'Patricia Flow', dateOfBirth: '1980-04-02', bloodGroup: 'A+' }))
    const rec = await uploadRecord(t, patient, { name: 'lab.txt', bytes: 'glucose 5.4 mmol/L\n' })

    expect((await call(doctor, 'GET', `/patients/${patient.id}/profile`)).statusCode).toBe(404)
    const requested = await ok<ConsultationDto>(await requestConsultation(patient, doctor, 'Chest pain on exertion'), 201)
    expect(requested).toEqual({
      id: expect.any(String),
      patient: { id: patient.id, name: 'Patricia Flow' },
      doctor: { id: doctor.id, name: 'Test doctor', specialty: 'Cardiology' },
      status: 'pending',
      reason: 'Chest pain on exertion',
      createdAt: expect.stringMatching(/Z$/),
      decidedAt: null,
      endedAt: null,
    })
    // A pending request is not consent.
    expect((await call(doctor, 'GET', `/patients/${patient.id}/profile`)).statusCode).toBe(404)
    const inbox = await ok<{ items: ConsultationDto[] }>(await call(doctor, 'GET', '/consultations?status=pending'))
    expect(inbox.items.map((c) => c.id)).toEqual([requested.id])

    const approved = await ok<ConsultationDto>(await act(doctor, requested.id, 'approve'))
    expect(approved).toMatchObject({ id: requested.id, status: 'approved', decidedAt: expect.stringMatching(/Z$/), endedAt: null })

    // Access starts with the approval.
    expect((await ok<{ fullName: string }>(await call(doctor, 'GET', `/patients/${patient.id}/profile`))).fullName).toBe('Patricia Flow')
    const list = await ok<{ items: { id: string }[] }>(await call(doctor, 'GET', `/patients/${patient.id}/records`))
    expect(list.items.map((r) => r.id)).toEqual([rec.id])
    expect((await call(doctor, 'GET', `/patients/${patient.id}/records/${rec.id}`)).statusCode).toBe(200)
    const content = await call(doctor, 'GET', `/patients/${patient.id}/records/${rec.id}/content`)
    expect(content.statusCode).toBe(200)
    expect(content.body).toBe('glucose 5.4 mmol/L\n')
    const added = await uploadRecord(t, doctor, { name: 'ecg.txt', bytes: 'ECG: sinus rhythm\n' }, { category: 'clinical_note' }, patient.id)
    expect(added).toMatchObject({ patientId: patient.id, uploadedBy: { id: doctor.id, role: 'doctor' } })
    const mine = await ok<{ items: { id: string }[] }>(await call(patient, 'GET', '/patients/me/records'))
    expect(mine.items.map((r) => r.id)).toContain(added.id)

    const patients = await ok<{ items: unknown[]; nextCursor: string | null }>(await call(doctor, 'GET', '/doctor/patients'))
    expect(patients).toEqual({
      items: [{ id: patient.id, fullName: 'Patricia Flow', dateOfBirth: '1980-04-02', consultationId: requested.id, since: approved.decidedAt }],
      nextCursor: null,
    })

    const ended = await ok<ConsultationDto>(await act(patient, requested.id, 'end'))
    expect(ended).toMatchObject({ status: 'ended', endedAt: expect.stringMatching(/Z$/), decidedAt: approved.decidedAt })
    // The very next request is refused.
    expect((await call(doctor, 'GET', `/patients/${patient.id}/profile`)).statusCode).toBe(404)
    expect((await call(doctor, 'GET', `/patients/${patient.id}/records`)).statusCode).toBe(404)
    expect((await call(doctor, 'GET', `/patients/${patient.id}/records/${rec.id}/content`)).statusCode).toBe(404)
    expect((await ok<{ items: unknown[] }>(await call(doctor, 'GET', '/doctor/patients'))).items).toEqual([])
    // Both sides still see the consultation in their history.
    expect((await ok<{ items: ConsultationDto[] }>(await call(doctor, 'GET', '/consultations'))).items[0]).toMatchObject({ id: requested.id, status: 'ended' })

    const actions = (await auditActions(patient)).map((e) => e.action)
    for (const a of ['consultation.requested', 'consultation.approved', 'consultation.ended', 'profile.viewed', 'record.created', 'profile.listed']) {
      expect(actions).toContain(a)
    }
    const approvedEvent = (await auditActions(patient)).find((e) => e.action === 'consultation.approved')
    expect(approvedEvent).toMatchObject({ actor: { id: doctor.id }, resource: { type: 'consultation', id: requested.id } })
  })

  it('the doctor may end an approved consultation too; the patient withdraws a pending request with /end (→ cancelled)', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const c = await consultation(patient, doctor, 'approved')
    expect((await ok<ConsultationDto>(await act(doctor, c.id, 'end'))).status).toBe('ended')
    expect((await call(doctor, 'GET', `/patients/${patient.id}/records`)).statusCode).toBe(404)

    const again = await consultation(patient, doctor, 'pending')
    const cancelled = await ok<ConsultationDto>(await act(patient, again.id, 'end'))
    expect(cancelled).toMatchObject({ status: 'cancelled', decidedAt: null, endedAt: expect.any(String) })
    expect((await act(doctor, again.id, 'approve')).statusCode).toBe(409)
    expect((await auditActions(patient)).map((e) => e.action)).toContain('consultation.cancelled')
  })

  it('approval and rejection are emailed to both sides through a real SMTP listener', async () => {
    const patient = await registerUser(t, 'patient', { name: 'Mail Patient' })
    const doctor = await registerVerified(t, 'doctor', admin)
    const other = await registerVerified(t, 'doctor', admin)
    await consultation(patient, doctor, 'approved')
    await consultation(patient, other, 'rejected')

    const toPatientApproved = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && m.subject.includes('accepted your consultation'))
    expect(toPatientApproved.subject).toBe('Test doctor accepted your consultation request')
    expect(toPatientApproved.text).toContain('Hello Mail Patient,')
    expect(toPatientApproved.text).toMatch(/at \d{4}-\d\d-\d\d \d\d:\d\d UTC/)
    expect(toPatientApproved.html).toContain('accepted your consultation request')
    const toDoctorApproved = await smtp.waitFor((m) => m.envelopeTo.includes(doctor.email) && m.subject === 'You approved a consultation request')
    // The doctor's copy names no patient.
    expect(toDoctorApproved.text).not.toContain('Mail Patient')

    const toPatientRejected = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && m.subject.includes('declined your consultation'))
    expect(toPatientRejected.text).toContain('They have no access to your data.')
    await smtp.waitFor((m) => m.envelopeTo.includes(other.email) && m.subject === 'You declined a consultation request')
  })
})

describe('who decides (SPEC §4.8: the addressed doctor, while pending)', () => {
  it('another doctor gets 404 for a consultation addressed to someone else; the patient gets 403 on approve/reject', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const intruder = await registerVerified(t, 'doctor', admin)
    const c = await consultation(patient, doctor, 'pending')
    for (const a of ['approve', 'reject', 'end'] as const) {
      const res = await act(intruder, c.id, a)
      expect(res.statusCode).toBe(404)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    expect((await call(intruder, 'GET', `/consultations/${c.id}`)).statusCode).toBe(404)
    expect((await ok<{ items: unknown[] }>(await call(intruder, 'GET', '/consultations'))).items).toEqual([])
    expect((await act(patient, c.id, 'approve')).statusCode).toBe(403)
    expect((await act(patient, c.id, 'reject')).statusCode).toBe(403)
    // A stranger patient cannot end or read it either.
    const stranger = await registerUser(t)
    expect((await act(stranger, c.id, 'end')).statusCode).toBe(404)
    expect((await call(stranger, 'GET', `/consultations/${c.id}`)).statusCode).toBe(404)
    // Nothing changed, and the intruder has no access.
    expect((await ok<ConsultationDto>(await call(patient, 'GET', `/consultations/${c.id}`))).status).toBe('pending')
    expect((await call(intruder, 'GET', `/patients/${patient.id}/profile`)).statusCode).toBe(404)
    // An unknown id is the same 404.
    expect((await act(doctor, '00000000-0000-4000-8000-000000000000', 'approve')).statusCode).toBe(404)
  })

  it('a wrong transition is 409 and changes nothing', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const approved = await consultation(patient, doctor, 'approved')
    for (const a of ['approve', 'reject'] as const) {
      const res = await act(doctor, approved.id, a)
      expect(res.statusCode).toBe(409)
      expect(res.json().type).toBe('https://carelocker.dev/problems/invalid-status-transition')
    }
    await ok(await act(patient, approved.id, 'end'))
    for (const [u, a] of [[doctor, 'approve'], [doctor, 'reject'], [doctor, 'end'], [patient, 'end']] as const) {
      expect((await act(u, approved.id, a)).statusCode).toBe(409)
    }
    // A doctor rejects a pending request; ending it is not a move of theirs.
    const pending = await consultation(patient, doctor, 'pending')
    expect((await act(doctor, pending.id, 'end')).statusCode).toBe(409)
    const rejected = await ok<ConsultationDto>(await act(doctor, pending.id, 'reject'))
    expect(rejected.status).toBe('rejected')
    for (const [u, a] of [[doctor, 'approve'], [doctor, 'reject'], [doctor, 'end'], [patient, 'end']] as const) {
      expect((await act(u, pending.id, a)).statusCode).toBe(409)
    }
    expect((await ok<ConsultationDto>(await call(patient, 'GET', `/consultations/${pending.id}`))).status).toBe('rejected')
  })

  it('concurrent approve and reject of one request: exactly one wins, the other is 409', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const c = await consultation(patient, doctor, 'pending')
    const results = await Promise.all([act(doctor, c.id, 'approve'), act(doctor, c.id, 'reject'), act(doctor, c.id, 'approve')])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409])
    const winner = results.find((r) => r.statusCode === 200)!.json() as ConsultationDto
    expect((await ok<ConsultationDto>(await call(patient, 'GET', `/consultations/${c.id}`))).status).toBe(winner.status)
  })
})

describe('requests (SPEC §4.8)', () => {
  it('a second open request to the same doctor is 409, also when sent concurrently; after it closes a new one may be made', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const first = await consultation(patient, doctor, 'pending')
    const dup = await requestConsultation(patient, doctor)
    expect(dup.statusCode).toBe(409)
    expect(dup.json().type).toBe('https://carelocker.dev/problems/consultation-open')
    await ok(await act(doctor, first.id, 'approve'))
    expect((await requestConsultation(patient, doctor)).statusCode).toBe(409)
    await ok(await act(doctor, first.id, 'end'))
    await consultation(patient, doctor, 'pending')

    const doctor2 = await registerVerified(t, 'doctor', admin)
    const racing = await Promise.all([requestConsultation(patient, doctor2), requestConsultation(patient, doctor2), requestConsultation(patient, doctor2)])
    expect(racing.map((r) => r.statusCode).sort()).toEqual([201, 409, 409])
    const rows = await t.deps.db.selectFrom('consultations').select('id').where('patientId', '=', patient.id).where('doctorId', '=', doctor2.id).execute()
    expect(rows).toHaveLength(1)
  })

  it('only a verified, active doctor can be asked: unknown, pending, disabled doctors and other roles are 404', async () => {
    const patient = await registerUser(t)
    const pending = await registerUser(t, 'doctor')
    const disabled = await registerVerified(t, 'doctor', admin)
    await ok(await call(admin, 'POST', `/admin/users/${disabled.id}/disable`))
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    const otherPatient = await registerUser(t)
    for (const id of [pending.id, disabled.id, pharmacist.id, otherPatient.id, admin.id, patient.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await call(patient, 'POST', '/consultations', { doctorId: id })
      expect(res.statusCode, id).toBe(404)
    }
  })

  it('only patients ask; the doctor is never a body field of someone else', async () => {
    const doctor = await registerVerified(t, 'doctor', admin)
    const other = await registerVerified(t, 'doctor', admin)
    expect((await call(doctor, 'POST', '/consultations', { doctorId: other.id })).statusCode).toBe(403)
    const patient = await registerUser(t)
    // A patientId in the body is an unknown field: the patient is always the caller.
    const res = await call(patient, 'POST', '/consultations', { doctorId: doctor.id, patientId: patient.id })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ path: '/patientId', message: 'Unknown field.' }])
  })
})

describe('lists', () => {
  it('each side sees its own consultations, newest first, filtered by status, in keyset pages', async () => {
    const patient = await registerUser(t)
    const doctors = [await registerVerified(t, 'doctor', admin), await registerVerified(t, 'doctor', admin), await registerVerified(t, 'doctor', admin)]
    const made: ConsultationDto[] = []
    for (const d of doctors) {
      made.push(await consultation(patient, d, 'pending'))
      await new Promise((r) => setTimeout(r, 3))
    }
    await ok(await act(doctors[1]!, made[1]!.id, 'approve'))

    const page1 = await ok<{ items: ConsultationDto[]; nextCursor: string }>(await call(patient, 'GET', '/consultations?limit=2'))
    expect(page1.items.map((c) => c.id)).toEqual([made[2]!.id, made[1]!.id])
    const page2 = await ok<{ items: ConsultationDto[]; nextCursor: string | null }>(await call(patient, 'GET', `/consultations?limit=2&cursor=${page1.nextCursor}`))
    expect(page2).toEqual({ items: [expect.objectContaining({ id: made[0]!.id })], nextCursor: null })

    const approved = await ok<{ items: ConsultationDto[] }>(await call(patient, 'GET', '/consultations?status=approved'))
    expect(approved.items.map((c) => c.id)).toEqual([made[1]!.id])
    const ofDoctor = await ok<{ items: ConsultationDto[] }>(await call(doctors[0]!, 'GET', '/consultations'))
    expect(ofDoctor.items.map((c) => c.id)).toEqual([made[0]!.id])
  })

  it("GET /doctor/patients pages through the doctor's approved patients only", async () => {
    const doctor = await registerVerified(t, 'doctor', admin)
    const ps = [await registerUser(t), await registerUser(t), await registerUser(t)]
    for (const p of ps) {
      await consultation(p, doctor, 'approved')
      await new Promise((r) => setTimeout(r, 3))
    }
    await consultation(await registerUser(t), doctor, 'pending')
    await consultation(await registerUser(t), doctor, 'rejected')
    const first = await ok<{ items: { id: string }[]; nextCursor: string }>(await call(doctor, 'GET', '/doctor/patients?limit=2'))
    expect(first.items.map((p) => p.id)).toEqual([ps[2]!.id, ps[1]!.id])
    const second = await ok<{ items: { id: string }[]; nextCursor: string | null }>(await call(doctor, 'GET', `/doctor/patients?limit=2&cursor=${first.nextCursor}`))
    expect(second.items.map((p) => p.id)).toEqual([ps[0]!.id])
    expect(second.nextCursor).toBeNull()
    // The patient sees in their audit log that the doctor listed them.
    expect((await auditActions(ps[0]!)).map((e) => e.action)).toContain('profile.listed')
  })
})

describe('denied exactly per SPEC on every patient route (SPEC §2, §3)', () => {
  it('a doctor never approved, a rejected one and one whose consultation ended a moment ago get 404; a pending doctor 403 account-not-verified', async () => {
    const patient = await registerUser(t)
    const rec = await uploadRecord(t, patient, { name: 'lab.txt', bytes: 'result\n' })
    const never = await registerVerified(t, 'doctor', admin)
    const rejected = await registerVerified(t, 'doctor', admin)
    await consultation(patient, rejected, 'rejected')
    const pendingRequest = await registerVerified(t, 'doctor', admin)
    await consultation(patient, pendingRequest, 'pending')
    const ended = await registerVerified(t, 'doctor', admin)
    const endedC = await consultation(patient, ended, 'approved')
    // It worked until a moment ago.
    expect((await call(ended, 'GET', `/patients/${patient.id}/profile`)).statusCode).toBe(200)
    await ok(await act(patient, endedC.id, 'end'))
    const unverified = await registerUser(t, 'doctor')
    // Even with an approved consultation row, an unverified doctor is refused at the gate.
    await t.deps.db.insertInto('consultations').values({ patientId: patient.id, doctorId: unverified.id, status: 'approved' }).execute()

    const routes = await patientRoutes(patient.id, rec.id)
    expect(routes.length).toBeGreaterThanOrEqual(12)
    for (const r of routes) {
      for (const [who, u] of [['never approved', never], ['rejected', rejected], ['pending request', pendingRequest], ['ended', ended]] as const) {
        const res = await t.app.inject(r.req(u))
        expect(res.statusCode, `${r.name} by a doctor whose consultation is ${who}: ${res.body}`).toBe(404)
        expect(res.json().type).toBe('https://carelocker.dev/problems/not-found')
      }
      const res = await t.app.inject(r.req(unverified))
      expect(res.statusCode, `${r.name} by a pending doctor`).toBe(403)
      expect(res.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
    }
    // Nothing was written or removed.
    const records = await ok<{ items: unknown[] }>(await call(patient, 'GET', '/patients/me/records'))
    expect(records.items).toHaveLength(1)
    expect((await ok<{ fullName: string }>(await call(patient, 'GET', '/patients/me/profile'))).fullName).toBe('Test patient')
  })

  it('a pending doctor gets 403 account-not-verified on the care-team routes too', async () => {
    const unverified = await registerUser(t, 'doctor')
    const patient = await registerUser(t)
    const c = await consultation(patient, await registerVerified(t, 'doctor', admin), 'pending')
    for (const [method, url] of [
      ['GET', '/doctors'], ['GET', '/consultations'], ['GET', `/consultations/${c.id}`], ['POST', `/consultations/${c.id}/approve`],
      ['POST', `/consultations/${c.id}/reject`], ['POST', `/consultations/${c.id}/end`], ['GET', '/doctor/patients'],
    ] as const) {
      const res = await call(unverified, method, url)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
    }
  })
})

describe('bad input is 400 with the field (SPEC §2, §6)', () => {
  it('names unknown fields, wrong types, bad ids, bad filters and bad cursors', async () => {
    const patient = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const cases: [Awaited<ReturnType<typeof call>>, string][] = [
      [await call(patient, 'POST', '/consultations', { doctorId: doctor.id, urgent: true }), '/urgent'],
      [await call(patient, 'POST', '/consultations', { doctorId: 42 }), '/doctorId'],
      [await call(patient, 'POST', '/consultations', { doctorId: 'not-a-uuid' }), '/doctorId'],
      [await call(patient, 'POST', '/consultations', {}), '/doctorId'],
      [await call(patient, 'POST', '/consultations', { doctorId: doctor.id, reason: 'x'.repeat(1001) }), '/reason'],
      [await call(patient, 'POST', '/consultations', { doctorId: doctor.id, reason: 7 }), '/reason'],
      [await call(doctor, 'POST', '/consultations/not-a-uuid/approve'), '/id'],
      [await call(doctor, 'POST', `/consultations/${doctor.id}/approve`, { note: 'x' }), '/note'],
      [await call(patient, 'GET', '/consultations?status=open'), '/status'],
      [await call(patient, 'GET', '/consultations?limit=0'), '/limit'],
      [await call(patient, 'GET', '/consultations?cursor=nonsense'), '/cursor'],
      [await call(patient, 'GET', '/consultations?sort=asc'), '/sort'],
      [await call(doctor, 'GET', '/doctor/patients?cursor=WyJ4IiwieSJd'), '/cursor'],
      [await call(doctor, 'GET', '/doctor/patients?limit=101'), '/limit'],
    ]
    for (const [res, path] of cases) {
      expect(res.statusCode, res.body).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path)
    }
    // Action routes take no body, an empty one, or {} (SPEC §2).
    const c = await consultation(patient, doctor, 'pending')
    expect((await t.app.inject({ method: 'POST', url: `${API}/consultations/${c.id}/approve`, headers: { ...doctor.headers, 'content-type': 'application/json' }, payload: '{}' })).statusCode).toBe(200)
  })
})
