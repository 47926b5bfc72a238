import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAs, PASSWORD, registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import { DOMENICA_FILE, FIXTURES_URL } from '../../../test/helpers/fixtures.js'
import { recordFixtures, recordHelpers } from '../../../test/helpers/records.js'
import { consent, issue } from '../../../test/helpers/prescriptions.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import type { TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import { createShlOk, pathOf, payloadOf } from '../../../test/helpers/shl.js'

let smtp: SmtpSink
let t: TestApp
let admin: TestUser
beforeAll(async () => {
  smtp = await startSmtpSink()
  ;({ t, admin } = await startWithAdmin({ SMTP_URL: smtp.url }))
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})
const { uploadOk, blobPathOf } = recordHelpers(() => t)
const { PDF } = recordFixtures()

const erase = (u: TestUser, payload: unknown, pid = 'me') =>
  t.app.inject({ method: 'DELETE', url: `/api/v1/patients/${pid}`, headers: u.headers, payload: payload as object })
const get = (u: TestUser | null, url: string) => t.app.inject({ method: 'GET', url, headers: u ? u.headers : {} })

/** Row counts of the patient's clinical tables, straight from the database. */
async function clinicalCounts(patientId: string) {
  const db = t.deps.db
  const count = async (table: 'patientProfiles' | 'vitals' | 'labResults' | 'notes' | 'fhirImportedResources' | 'patientExports') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('patientId', '=', patientId).executeTakeFirstOrThrow()).n)
  const keyed = Number((await db.selectFrom('records').select((eb) => eb.fn.countAll().as('n')).where('patientId', '=', patientId).where('wrappedKey', 'is not', null).executeTakeFirstOrThrow()).n)
  return {
    profiles: await count('patientProfiles'),
    vitals: await count('vitals'),
    labs: await count('labResults'),
    notes: await count('notes'),
    imported: await count('fhirImportedResources'),
    exports: await count('patientExports'),
    recordsWithKey: keyed,
  }
}

/** A patient with a Synthea import, an uploaded PDF, a vital, a doctor's note, a share link, the emergency link, a ready export and an approved consultation. */
async function fullLocker() {
  const p = await registerUser(t, 'patient', { name: 'Domenica Brown' })
  const body = readFileSync(new URL(`synthea/${DOMENICA_FILE}`, FIXTURES_URL), 'utf8')
  const imported = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...p.headers, 'content-type': 'application/json' }, payload: body })
  expect(imported.statusCode, imported.body).toBe(200)
  const rec = await uploadOk(p, PDF)
  const vital = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: p.headers, payload: { type: 'heart_rate', value: 72 } })
  expect(vital.statusCode, vital.body).toBe(201)
  const doctor = await registerVerified(t, 'doctor', admin)
  await t.deps.db.insertInto('consultations').values({ patientId: p.id, doctorId: doctor.id, status: 'approved', reason: 'chest pain', decidedAt: new Date() }).execute()
  await t.deps.database.cache.settle(t.deps.db)
  const note = await t.app.inject({ method: 'POST', url: `/api/v1/patients/${p.id}/notes`, headers: doctor.headers, payload: { body: 'Stable.', sharedWithPatient: true } })
  expect(note.statusCode, note.body).toBe(201)
  const share = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${rec.id}/shares`, headers: p.headers, payload: {} })
  expect(share.statusCode, share.body).toBe(201)
  const emergency = await get(p, '/api/v1/patients/me/emergency')
  expect(emergency.statusCode, emergency.body).toBe(200)
  const exp = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/export', headers: p.headers })
  expect(exp.statusCode, exp.body).toBe(202)
  await waitUntil(async () => (await get(p, `/api/v1/patients/me/exports/${exp.json().id}`)).json().status === 'ready', 60_000, 'the export')
  const exportKey = (await t.deps.db.selectFrom('patientExports').select('blobKey').where('id', '=', exp.json().id).executeTakeFirstOrThrow()).blobKey as string
  return { p, rec, doctor, shareToken: share.json().token as string, emergencyToken: emergency.json().token as string, exportKey }
}

describe('Erasing the locker: DELETE /patients/me (SPEC §9)', () => {
  it('crypto-shreds files, deletes clinical rows, kills links and sessions, disables the account, keeps a verifiable audit log, and emails the patient', async () => {
    const { p, rec, doctor, shareToken, emergencyToken, exportKey } = await fullLocker()
    const blobFile = await blobPathOf(rec.id)
    const before = await clinicalCounts(p.id)
    expect(before).toMatchObject({ profiles: 1, vitals: expect.any(Number), notes: 1, exports: 1 })
    expect(before.recordsWithKey).toBeGreaterThan(1)
    expect(before.vitals).toBeGreaterThan(1)
    const second = await loginAs(t, p.email)
    const shl = await createShlOk(t, p, { include: { summary: true, recordIds: [rec.id] } })
    const shlFiles = await t.deps.db.selectFrom('smartHealthLinkFiles').select('blobKey').where('linkId', '=', shl.id).execute()
    expect(shlFiles).toHaveLength(2)
    for (const f of shlFiles) expect(readFileSync(`${t.dataDir}/blobs/${f.blobKey.slice(0, 2)}/${f.blobKey}`).length).toBeGreaterThan(0)
    await t.deps.audit.sealNow()
    const eventsBefore = Number((await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.countAll().as('n')).where('patientId', '=', p.id).executeTakeFirstOrThrow()).n)

    const res = await erase(p, { password: PASSWORD })
    expect(res.statusCode, res.body).toBe(204)

    // Clinical rows gone, every record's key destroyed and its blob removed; the export's zip too.
    expect(await clinicalCounts(p.id)).toEqual({ profiles: 0, vitals: 0, labs: 0, notes: 0, imported: 0, exports: 0, recordsWithKey: 0 })
    const tombstones = await t.deps.db.selectFrom('records').selectAll().where('patientId', '=', p.id).execute()
    for (const r of tombstones) expect(r).toMatchObject({ wrappedKey: null, title: null, description: null, doctorName: null, originalFileName: '', sha256: '' })
    expect(() => readFileSync(blobFile)).toThrow(/ENOENT/)
    expect(() => readFileSync(`${t.dataDir}/blobs/${exportKey.slice(0, 2)}/${exportKey}`)).toThrow(/ENOENT/)
    // SMART Health Links: the link is dead and its encrypted files are gone.
    expect((await t.app.inject({ method: 'POST', url: pathOf(payloadOf(shl.shlink).url), payload: { recipient: 'Dr. A' } })).statusCode).toBe(404)
    for (const f of shlFiles) expect(() => readFileSync(`${t.dataDir}/blobs/${f.blobKey.slice(0, 2)}/${f.blobKey}`)).toThrow(/ENOENT/)

    // Sessions: both die at once (this one and the other browser's), and no sign-in works again.
    expect((await get(p, '/api/v1/auth/me')).statusCode).toBe(401)
    expect((await get(second, '/api/v1/auth/me')).statusCode).toBe(401)
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: PASSWORD } })
    expect([401, 403]).toContain(login.statusCode)
    const user = await t.deps.db.selectFrom('users').selectAll().where('id', '=', p.id).executeTakeFirstOrThrow()
    expect(user).toMatchObject({ status: 'disabled', passwordHash: null })
    expect(user.erasedAt).toBeInstanceOf(Date)
    // An admin cannot bring an erased account back.
    const enable = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${p.id}/enable`, headers: admin.headers })
    expect(enable.statusCode).toBe(409)

    // Links: share and emergency answer 410; the doctor's consultation ended, so the doctor sees nothing.
    expect((await get(null, `/api/v1/shared/${shareToken}`)).statusCode).toBe(410)
    expect((await get(null, `/api/v1/emergency/${emergencyToken}`)).statusCode).toBe(410)
    expect((await get(doctor, `/api/v1/patients/${p.id}/profile`)).statusCode).toBe(404)
    const consultation = await t.deps.db.selectFrom('consultations').selectAll().where('patientId', '=', p.id).executeTakeFirstOrThrow()
    expect(consultation).toMatchObject({ status: 'ended', reason: null })

    // The audit log stays, gains locker.erased, and still verifies.
    await t.deps.audit.sealNow()
    const events = await t.deps.db.selectFrom('auditEvents').select(['action']).where('patientId', '=', p.id).execute()
    expect(events.length).toBeGreaterThan(eventsBefore)
    expect(events.map((e) => e.action)).toContain('locker.erased')
    const verify = await get(admin, '/api/v1/admin/audit/verify')
    expect(verify.statusCode, verify.body).toBe(200)
    expect(verify.json()).toMatchObject({ ok: true })

    // The patient hears of it.
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(p.email) && m.subject.includes('erased'), 60_000)
    expect(mail.text).toContain('erased')
  }, 120_000)

  it('changes nothing on a wrong password (401), for another patient (404), for other roles (403), or for bad bodies (400)', async () => {
    const p = await registerUser(t, 'patient')
    await uploadOk(p, PDF)
    const other = await registerUser(t, 'patient')
    const doctor = await registerVerified(t, 'doctor', admin)
    const before = await clinicalCounts(p.id)

    const wrong = await erase(p, { password: 'not the password' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).toMatchObject({ type: 'https://carelocker.dev/problems/invalid-credentials' })
    expect((await erase(other, { password: PASSWORD }, p.id)).statusCode).toBe(404)
    expect((await erase(doctor, { password: PASSWORD }, p.id)).statusCode).toBe(403)
    expect((await erase(admin, { password: PASSWORD }, p.id)).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/patients/me', payload: { password: PASSWORD } })).statusCode).toBe(401)
    expect((await erase(p, { password: PASSWORD, reason: 'bye' })).statusCode).toBe(400)
    expect((await erase(p, { password: 42 })).statusCode).toBe(400)
    expect((await erase(p, {})).statusCode).toBe(400)
    expect((await erase(p, { password: 'x'.repeat(5000) })).statusCode).toBe(400)

    expect(await clinicalCounts(p.id)).toEqual(before)
    expect((await get(p, '/api/v1/auth/me')).statusCode).toBe(200)
    const user = await t.deps.db.selectFrom('users').select(['status', 'erasedAt']).where('id', '=', p.id).executeTakeFirstOrThrow()
    expect(user).toEqual({ status: 'active', erasedAt: null })
  })

  it('keeps prescriptions as the prescriber\'s and pharmacy\'s record, cancelling those that could still be dispensed', async () => {
    const p = await registerUser(t, 'patient')
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(t, p.id, doctor.id)
    const rx = await issue(t, doctor, p.id)
    // A second one, dispensed in full (set directly: the pharmacy counter is not under test here).
    const done = await issue(t, doctor, p.id)
    await t.deps.db.updateTable('prescriptions').set({ status: 'dispensed' }).where('id', '=', done.id).execute()
    expect((await erase(p, { password: PASSWORD })).statusCode).toBe(204)
    const rows = await t.deps.db.selectFrom('prescriptions').select(['id', 'status', 'cancelledAt']).where('patientId', '=', p.id).execute()
    expect(rows).toHaveLength(2)
    expect(rows.find((r) => r.id === rx.id)).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(Date) })
    expect(rows.find((r) => r.id === done.id)).toMatchObject({ status: 'dispensed', cancelledAt: null })
    // The prescriber still sees the prescription they wrote.
    expect((await get(doctor, `/api/v1/prescriptions/${rx.id}`)).statusCode).toBe(200)
  })

  it('refuses an account without a password (OpenID Connect) with 409 password-not-set, changing nothing', async () => {
    const p = await registerUser(t, 'patient')
    await t.deps.db.updateTable('users').set({ passwordHash: null }).where('id', '=', p.id).execute()
    const res = await erase(p, { password: 'anything' })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ type: 'https://carelocker.dev/problems/password-not-set' })
    expect((await get(p, '/api/v1/auth/me')).statusCode).toBe(200)
  })
})
