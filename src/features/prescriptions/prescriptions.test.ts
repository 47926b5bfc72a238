import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { AMOXICILLIN, IBUPROFEN, consent, decodeQrPng, issue, patientWithProfile } from '../../../test/helpers/prescriptions.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { parseReference } from './reference-number.js'

let now = new Date()
let t: TestApp
let smtp: SmtpSink
let admin: TestUser
let doctor: TestUser
let pharmacist: TestUser

beforeAll(async () => {
  smtp = await startSmtpSink()
  t = await startTestApp({ SMTP_URL: smtp.url }, { now: () => now })
  admin = await createAdmin(t)
  doctor = await registerVerified(t, 'doctor', admin)
  pharmacist = await registerVerified(t, 'pharmacist', admin)
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
})

const get = (u: TestUser, url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: u.headers })
const post = (u: TestUser, url: string, payload?: object) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: u.headers, ...(payload !== undefined ? { payload } : {}) })

async function consentingPatient() {
  const p = await patientWithProfile(t)
  await consent(t, p.id, doctor.id)
  return p
}

// First: the job queue works through emails one poll at a time, so run these before the queue fills up.
describe('the patient email (SPEC §4.9, §5)', () => {
  it('reaches the SMTP listener with items, dosage, frequency, reference number, expiry and the QR as an inline CID image', async () => {
    now = new Date()
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id, { items: [AMOXICILLIN, IBUPROFEN] })
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(p.email) && m.subject.includes(rx.prescriptionNumber), 15_000)
    expect(mail.headers['content-type']).toMatch(/^multipart\//)
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('Amoxicillin')
      expect(part).toContain('500 mg')
      expect(part).toContain('three times a day')
      expect(part).toContain('Ibuprofen')
      expect(part).toContain(rx.referenceNumber)
      expect(part).toContain(rx.expiresAt.slice(0, 10))
    }
    const image = mail.parts.find((part) => part.contentType === 'image/png')
    expect(image?.contentId).toBe('prescription-qr@carelocker')
    expect(mail.html).toContain('src="cid:prescription-qr@carelocker"')
    expect(decodeQrPng(image!.content)).toBe(rx.qr.data)
    // The queued job held the prescription's id only: no drugs or names in the queue.
    const { rows } = await sql<{ data: string }>`SELECT data::text AS data FROM pgboss.job WHERE name = 'notify.prescription-issued' AND data->>'prescriptionId' = ${rx.id}`.execute(t.deps.db)
    expect(rows[0]?.data).toBeDefined()
    expect(rows[0]?.data).not.toContain('Amoxicillin')
  })

  it('re-sending answers 202 and the email arrives again; not for a cancelled prescription (409)', async () => {
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id)
    const match = (m: { envelopeTo: string[]; subject: string }) => m.envelopeTo.includes(p.email) && m.subject.includes(rx.prescriptionNumber)
    await smtp.waitFor(match, 15_000)
    expect((await post(p, `/prescriptions/${rx.id}/email`)).statusCode).toBe(202)
    expect((await post(doctor, `/prescriptions/${rx.id}/email`, {})).statusCode).toBe(202)
    await expect.poll(() => smtp.messages.filter(match).length, { timeout: 15_000 }).toBe(3)
    const stranger = await registerUser(t)
    expect((await post(stranger, `/prescriptions/${rx.id}/email`)).statusCode).toBe(404)
    expect((await post(pharmacist, `/prescriptions/${rx.id}/email`)).statusCode).toBe(403)
    expect((await post(doctor, `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(200)
    expect((await post(p, `/prescriptions/${rx.id}/email`)).statusCode).toBe(409)
  })
})

describe('issuing prescriptions (SPEC §4.9)', () => {
  it('a doctor with an approved consultation issues one: numbers, items, QR; the prescriber is the signed-in doctor', async () => {
    now = new Date()
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id, { items: [AMOXICILLIN, IBUPROFEN], notes: 'Review in a week' })
    const day = now.toISOString().slice(0, 10).replace(/-/g, '')
    expect(rx.prescriptionNumber).toMatch(new RegExp(`^RX-${day}-\\d{4,}$`))
    expect(rx.referenceNumber).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/)
    expect(parseReference(rx.referenceNumber).ok).toBe(true)
    expect(rx).toMatchObject({
      patient: { id: p.id, fullName: 'Pat Example', dateOfBirth: p.dateOfBirth },
      doctor: { id: doctor.id, name: 'Test doctor', specialty: 'Cardiology', licenseNumber: 'MD-12345' },
      diagnosis: 'Acute otitis media',
      notes: 'Review in a week',
      status: 'active',
      scanCount: 0,
      lastScannedAt: null,
      dispensations: [],
    })
    expect(rx.rejection).toBeUndefined()
    expect(rx.items).toHaveLength(2)
    expect(rx.items[0]).toMatchObject({ ...AMOXICILLIN, dispensedQuantity: 0 })
    expect(rx.items[1]).toMatchObject({ ...IBUPROFEN, durationDays: null, instructions: null, dispensedQuantity: 0 })
    expect(new Date(rx.expiresAt).getTime() - new Date(rx.issuedAt).getTime()).toBe(30 * 86_400_000)
    expect(rx.qr.pngUrl).toBe(`http://carelocker.test/api/v1/prescriptions/${rx.id}/qr.png`)
    expect(rx.qr.svgUrl).toBe(`http://carelocker.test/api/v1/prescriptions/${rx.id}/qr.svg`)
    // qr.data: ≤ 300 characters, only ids, a nonce and the expiry — no names, no drugs.
    expect(rx.qr.data.length).toBeLessThanOrEqual(300)
    const payload = JSON.parse(Buffer.from(rx.qr.data.split('.')[1], 'base64url').toString('utf8'))
    expect(Object.keys(payload).sort()).toEqual(['exp', 'n', 'rx'])
    expect(payload.rx).toBe(rx.id)
    for (const secret of ['Pat', 'Amoxicillin', 'otitis', p.dateOfBirth]) expect(Buffer.from(rx.qr.data.split('.')[1], 'base64url').toString()).not.toContain(secret)
  })

  it('the prescriber is never a body field, and the body is validated (400)', async () => {
    const p = await consentingPatient()
    const base = { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] }
    for (const bad of [
      { ...base, doctorId: doctor.id },
      { ...base, items: [] },
      { ...base, items: Array.from({ length: 21 }, () => AMOXICILLIN) },
      { ...base, items: [{ ...AMOXICILLIN, quantity: 0 }] },
      { ...base, validDays: 181 },
      { ...base, validDays: 0 },
      { ...base, items: [{ ...AMOXICILLIN, colour: 'red' }] },
    ]) {
      const res = await post(doctor, '/prescriptions', bad)
      expect(res.statusCode, JSON.stringify(bad).slice(0, 80)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
  })

  it('a doctor prescribing for a patient without consent gets 404 — never approved, ended, or no such patient', async () => {
    const p = await patientWithProfile(t)
    expect((await post(doctor, '/prescriptions', { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] })).statusCode).toBe(404)
    await consent(t, p.id, doctor.id)
    expect((await post(doctor, '/prescriptions', { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] })).statusCode).toBe(201)
    await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('patientId', '=', p.id).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (src/db/node-cache.ts)
    expect((await post(doctor, '/prescriptions', { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] })).statusCode).toBe(404)
    expect((await post(doctor, '/prescriptions', { patientId: '00000000-0000-4000-8000-000000000000', diagnosis: 'x', items: [AMOXICILLIN] })).statusCode).toBe(404)
    // Another doctor with consent is not this one's consent.
    const other = await registerVerified(t, 'doctor', admin)
    await consent(t, p.id, other.id)
    expect((await post(doctor, '/prescriptions', { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] })).statusCode).toBe(404)
  })

  it('only verified doctors issue: a patient, a pharmacist or an admin 403, a pending doctor 403 account-not-verified', async () => {
    const p = await consentingPatient()
    const body = { patientId: p.id, diagnosis: 'x', items: [AMOXICILLIN] }
    for (const u of [p, pharmacist, admin]) expect((await post(u, '/prescriptions', body)).statusCode).toBe(403)
    const pending = await registerUser(t, 'doctor')
    await consent(t, p.id, pending.id)
    const res = await post(pending, '/prescriptions', body)
    expect(res.statusCode).toBe(403)
    expect(res.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
  })

  it('prescription numbers come from a sequence: unique, with no daily cap (past 4 digits)', async () => {
    const p = await consentingPatient()
    await sql`SELECT setval('prescription_number_seq', 9998)`.execute(t.deps.db)
    const a = await issue(t, doctor, p.id)
    const b = await issue(t, doctor, p.id)
    expect(a.prescriptionNumber).toMatch(/-9999$/)
    expect(b.prescriptionNumber).toMatch(/-10000$/)
  })
})

describe('reading, QR codes and cancelling (SPEC §4.9)', () => {
  it('the QR PNG decodes (jsQR) to qr.data and that string scans at the pharmacy; the SVG is made locally', async () => {
    now = new Date()
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id)
    const png = await get(p, `/prescriptions/${rx.id}/qr.png`)
    expect(png.statusCode).toBe(200)
    expect(png.headers['content-type']).toBe('image/png')
    const decoded = decodeQrPng(png.rawPayload)
    expect(decoded).toBe(rx.qr.data)
    const scan = await post(pharmacist, '/pharmacy/scan', { qrData: decoded })
    expect(scan.statusCode, scan.body).toBe(200)
    expect(scan.json().prescription.id).toBe(rx.id)
    const svg = await get(doctor, `/prescriptions/${rx.id}/qr.svg`)
    expect(svg.statusCode).toBe(200)
    expect(svg.headers['content-type']).toContain('image/svg+xml')
    expect(svg.body).toContain('<svg')
    expect((await get(await registerUser(t), `/prescriptions/${rx.id}/qr.png`)).statusCode).toBe(404)
  })

  it('its patient and its prescriber read it; another patient or doctor gets 404; pharmacists and admins 403', async () => {
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id)
    expect((await get(p, `/prescriptions/${rx.id}`)).json()).toMatchObject({ id: rx.id, status: 'active' })
    expect((await get(doctor, `/prescriptions/${rx.id}`)).statusCode).toBe(200)
    expect((await get(await registerUser(t), `/prescriptions/${rx.id}`)).statusCode).toBe(404)
    expect((await get(await registerVerified(t, 'doctor', admin), `/prescriptions/${rx.id}`)).statusCode).toBe(404)
    expect((await get(pharmacist, `/prescriptions/${rx.id}`)).statusCode).toBe(403)
    expect((await get(admin, `/prescriptions/${rx.id}`)).statusCode).toBe(403)
    expect((await get(p, '/prescriptions/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404)
    expect((await get(p, '/prescriptions/not-a-uuid')).statusCode).toBe(400)
  })

  it('lists: a doctor sees what they issued, a patient their own, newest first in keyset pages, by status; a pharmacist gets 403', async () => {
    now = new Date()
    const doc = await registerVerified(t, 'doctor', admin)
    const p1 = await patientWithProfile(t)
    const p2 = await patientWithProfile(t)
    await consent(t, p1.id, doc.id)
    await consent(t, p2.id, doc.id)
    const issued: string[] = []
    for (const [i, p] of [p1, p1, p2, p1].entries()) {
      now = new Date(Date.now() + i * 1000)
      issued.push((await issue(t, doc, p.id)).id)
    }
    expect((await post(doc, `/prescriptions/${issued[0]}/cancel`)).statusCode).toBe(200)
    const page1 = (await get(doc, '/prescriptions?limit=3')).json()
    expect(page1.items.map((r: { id: string }) => r.id)).toEqual([issued[3], issued[2], issued[1]])
    const page2 = (await get(doc, `/prescriptions?limit=3&cursor=${page1.nextCursor}`)).json()
    expect(page2).toMatchObject({ items: [{ id: issued[0], status: 'cancelled' }], nextCursor: null })
    const own = (await get(p1, '/prescriptions')).json()
    expect(own.items.map((r: { id: string }) => r.id)).toEqual([issued[3], issued[1], issued[0]])
    expect((await get(p1, '/prescriptions?status=cancelled')).json().items.map((r: { id: string }) => r.id)).toEqual([issued[0]])
    expect((await get(p1, '/prescriptions?status=active')).json().items).toHaveLength(2)
    expect((await get(p2, '/prescriptions?status=expired')).json().items).toHaveLength(0)
    expect((await get(pharmacist, '/prescriptions')).statusCode).toBe(403)
    expect((await get(admin, '/prescriptions')).statusCode).toBe(403)
    expect((await get(p1, '/prescriptions?status=lost')).statusCode).toBe(400)
    expect((await get(p1, '/prescriptions?cursor=garbage')).statusCode).toBe(400)
    // The doctor's list pages are in each listed patient's audit log; the patient's own are not.
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const listed = (await get(p2, '/patients/me/audit?action=prescription.listed')).json().items
    expect(listed.length).toBeGreaterThan(0)
    expect(listed[0]).toMatchObject({ actor: { kind: 'doctor', id: doc.id }, patientId: p2.id })
  })

  it('the prescriber cancels while active (200); again 409; another doctor 404; the patient 403', async () => {
    now = new Date()
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id)
    expect((await post(p, `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(403)
    expect((await post(await registerVerified(t, 'doctor', admin), `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(404)
    const res = await post(doctor, `/prescriptions/${rx.id}/cancel`, {})
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id: rx.id, status: 'cancelled' })
    expect(res.json().cancelledAt).not.toBeNull()
    expect((await post(doctor, `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(409)
  })

  it('past expiresAt a prescription reads expired and can no longer be cancelled', async () => {
    now = new Date()
    const p = await consentingPatient()
    const rx = await issue(t, doctor, p.id, { validDays: 1 })
    now = new Date(Date.now() + 86_400_000 + 60_000)
    const patient = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: p.password } })
    const headers = { authorization: `Bearer ${patient.json().accessToken}` }
    const read = await t.app.inject({ method: 'GET', url: `/api/v1/prescriptions/${rx.id}`, headers })
    expect(read.json().status).toBe('expired')
    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/prescriptions?status=expired', headers })
    expect(listed.json().items.map((r: { id: string }) => r.id)).toContain(rx.id)
    const docLogin = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: doctor.email, password: doctor.password } })
    const cancel = await t.app.inject({ method: 'POST', url: `/api/v1/prescriptions/${rx.id}/cancel`, headers: { authorization: `Bearer ${docLogin.json().accessToken}` } })
    expect(cancel.statusCode).toBe(409)
    now = new Date()
  })
})
