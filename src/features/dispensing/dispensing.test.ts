import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, loginAs, registerUser, registerVerified, startWithAdmin, type TestUser } from '../../../test/helpers/factories.js'
import { AMOXICILLIN, IBUPROFEN, OVERRIDE, consent, issue, patientWithProfile } from '../../../test/helpers/prescriptions.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The test's clock: real time unless a test moves it. */
let now = new Date()
let t: TestApp
let admin: TestUser, doctor: TestUser, pharmacist: TestUser, other: TestUser

beforeAll(async () => {
  ;({ t, admin } = await startWithAdmin({}, { now: () => now }))
  doctor = await registerVerified(t, 'doctor', admin)
  pharmacist = await registerVerified(t, 'pharmacist', admin)
  other = await registerVerified(t, 'pharmacist', admin)
})
afterAll(async () => t?.close())

const call = (u: TestUser, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, ...(payload !== undefined ? { payload } : {}) })
const post = (u: TestUser, url: string, payload?: object) => call(u, 'POST', url, payload)
const scan = (u: TestUser, qrData: string) => post(u, '/pharmacy/scan', { qrData })
const lookup = (u: TestUser, referenceNumber: string, patientDateOfBirth: string) => post(u, '/pharmacy/lookup', { referenceNumber, patientDateOfBirth })
const dispense = (u: TestUser, id: string, items: object[], notes?: string) => post(u, `/pharmacy/prescriptions/${id}/dispense`, { items, ...(notes ? { notes } : {}) })

/** A consenting patient with a profile, and a prescription the doctor issued for them. */
async function prescriptionFor(profile: Parameters<typeof patientWithProfile>[1] = {}, body: Record<string, unknown> = {}) {
  const patient = await patientWithProfile(t, profile)
  await consent(t, patient.id, doctor.id)
  const rx = await issue(t, doctor, patient.id, body)
  return { patient, rx }
}

/** Signs everyone in again after the clock moved (access tokens live 15 minutes on that clock). */
async function relogin(...users: TestUser[]) {
  for (const u of users) Object.assign(u, await loginAs(t, u.email))
}

const itemsOf = (id: string) => t.deps.db.selectFrom('prescriptionItems').selectAll().where('prescriptionId', '=', id).orderBy('position').execute()
const dispensationsOf = (id: string) => t.deps.db.selectFrom('dispensations').selectAll().where('prescriptionId', '=', id).execute()

describe('scanning and validating (SPEC §4.9)', () => {
  it('a scan answers validity, problems and warnings, counts the scan and records who scanned', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor({ allergies: [{ substance: 'Penicillin', severity: 'severe' }] }, { items: [AMOXICILLIN, IBUPROFEN], allergyOverride: OVERRIDE })
    const res = await scan(pharmacist, rx.qr.data)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ isValid: true, canDispense: true, problems: [] })
    expect(body.prescription).toMatchObject({ id: rx.id, scanCount: 1, status: 'active', patient: { id: patient.id, fullName: 'Pat Example', dateOfBirth: patient.dateOfBirth } })
    expect(body.prescription.lastScannedAt).toBe(now.toISOString())
    expect(body.allergies).toEqual([{ substance: 'Penicillin', severity: 'severe' }])
    expect(body.warnings.map((w: { code: string }) => w.code)).toEqual(['allergy', 'prescriber_override'])
    expect((await scan(other, rx.qr.data)).json().prescription.scanCount).toBe(2)
    const scans = await t.deps.db.selectFrom('prescriptionScans').selectAll().where('prescriptionId', '=', rx.id).execute()
    expect(scans.map((s) => s.pharmacistId).sort()).toEqual([pharmacist.id, other.id].sort())
    expect((await call(patient, 'GET', `/prescriptions/${rx.id}`)).json().scanCount).toBe(2)
  })

  it('a scan reads a cached view (SPEC §7) yet sees every change: a dispense here at once, a change made straight in the database once its invalidation is back', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor()
    expect((await scan(pharmacist, rx.qr.data)).json()).toMatchObject({ isValid: true, prescription: { status: 'active', scanCount: 1 } })
    // An allergy recorded after the first scan shows on the next (the profile is read per scan; the cached view carries its tag).
    const saved = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: patient.headers, payload: { fullName: 'Pat Example', dateOfBirth: patient.dateOfBirth, allergies: [{ substance: 'Ibuprofen', severity: 'moderate' }] } })
    expect(saved.statusCode, saved.body).toBe(200)
    expect((await scan(pharmacist, rx.qr.data)).json().allergies).toEqual([{ substance: 'Ibuprofen', severity: 'moderate' }])
    const item = (await itemsOf(rx.id))[0]!
    expect((await dispense(pharmacist, rx.id, [{ itemId: item.id, quantity: 5, batchNumber: 'B-1' }])).statusCode).toBe(200)
    const afterDispense = (await scan(pharmacist, rx.qr.data)).json()
    expect(afterDispense.prescription).toMatchObject({ status: 'partially_dispensed', scanCount: 3 })
    expect(afterDispense.prescription.items[0].dispensedQuantity).toBe(5)
    await t.deps.db.updateTable('prescriptions').set({ status: 'cancelled', cancelledAt: now }).where('id', '=', rx.id).execute()
    await t.deps.database.cache.settle(t.deps.db) // raw SQL: wait for the trigger's invalidation (migration 0016)
    const afterCancel = (await scan(pharmacist, rx.qr.data)).json()
    expect(afterCancel).toMatchObject({ isValid: false, canDispense: false, prescription: { status: 'cancelled', scanCount: 4 } })
  })

  it('validate reports amoxicillin for a penicillin allergy as an allergy warning naming both, without counting a scan', async () => {
    const { rx } = await prescriptionFor({ allergies: [{ substance: 'Penicillin', severity: 'severe' }] }, { items: [AMOXICILLIN, IBUPROFEN], allergyOverride: OVERRIDE })
    expect((await scan(pharmacist, rx.qr.data)).statusCode).toBe(200)
    const res = await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body).toMatchObject({ isValid: true, canDispense: true, problems: [] })
    expect(body.prescription.scanCount).toBe(1)
    expect(body.warnings).toHaveLength(2)
    const [warning] = body.warnings
    expect(warning).toMatchObject({ code: 'allergy', itemId: rx.items[0].id, substance: 'Penicillin' })
    expect(warning.message).toContain('Amoxicillin')
    expect(warning.message).toContain('Penicillin')
    // A warning does not block, once acknowledged: the pharmacist may still dispense.
    const items = [{ itemId: rx.items[1].id, quantity: 20, batchNumber: 'IBU-1' }]
    expect((await dispense(pharmacist, rx.id, items)).statusCode).toBe(409)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/dispense`, { items, warningsAcknowledged: true })).statusCode).toBe(200)
  })

  it('a one-character change to qr.data is 400, at the start, the middle and the end; a forged code is 400', async () => {
    const { rx } = await prescriptionFor()
    const data: string = rx.qr.data
    const flip = (c: string) => (c === 'A' ? 'B' : 'A')
    for (const pos of [0, 10, data.indexOf('.') + 5, data.lastIndexOf('.') - 1, data.lastIndexOf('.') + 7, data.length - 1]) {
      const changed = data.slice(0, pos) + flip(data[pos]!) + data.slice(pos + 1)
      const res = await scan(pharmacist, changed)
      expect(res.statusCode, `position ${pos}`).toBe(400)
      expect(res.json().type).toBe('https://carelocker.dev/problems/invalid-qr-code')
    }
    expect((await scan(pharmacist, 'https://example.com/not-ours')).statusCode).toBe(400)
    const prescriptions = await t.deps.db.selectFrom('prescriptions').select('scanCount').where('id', '=', rx.id).executeTakeFirstOrThrow()
    expect(prescriptions.scanCount).toBe(0)
  })
})

describe('looking up by reference number (SPEC §4.9)', () => {
  it('ignores case, spaces and hyphens and reads O as 0, I and L as 1; counts a scan', async () => {
    const { patient, rx } = await prescriptionFor({ dateOfBirth: '1975-06-30' })
    const compact = rx.referenceNumber.replace(/-/g, '')
    const messy = ` ${compact.slice(0, 3)} ${compact.slice(3, 9).toLowerCase()}-${compact.slice(9)} `.replace(/0/g, 'O').replace(/1/g, 'l')
    const res = await lookup(pharmacist, messy, patient.dateOfBirth)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ isValid: true, canDispense: true, prescription: { id: rx.id, scanCount: 1 } })
    // The lookup counts as this pharmacist's scan: they may validate now.
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)).statusCode).toBe(200)
  })

  it('a wrong date of birth is the same 404 as an unknown number; a failed check character is 400', async () => {
    const { patient, rx } = await prescriptionFor({ dateOfBirth: '1990-01-15' })
    const wrongDob = await lookup(pharmacist, rx.referenceNumber, '1990-01-16')
    expect(wrongDob.statusCode).toBe(404)
    // An unknown number with a valid check character (all zeros: value 0, check 0): same answer, same body.
    const unknown = await lookup(pharmacist, '0000-0000-0000-0', patient.dateOfBirth)
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual(wrongDob.json())
    // One character changed (here: the first), whatever it becomes: 400, check failed.
    const ref: string = rx.referenceNumber
    for (const sub of ['Z', '7', 'K']) {
      if (sub === ref[0]) continue
      const res = await lookup(pharmacist, sub + ref.slice(1), patient.dateOfBirth)
      expect(res.statusCode).toBe(400)
      expect(res.json().type).toBe('https://carelocker.dev/problems/reference-check-failed')
    }
    expect((await lookup(pharmacist, 'ABC', patient.dateOfBirth)).statusCode).toBe(400)
    expect((await lookup(pharmacist, rx.referenceNumber, '1990-13-45')).statusCode).toBe(400)
    // Failed lookups count no scan.
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)).statusCode).toBe(404)
  })
})

describe('who may use the pharmacy counter (SPEC §3, §2)', () => {
  it('an unverified pharmacist gets 403 account-not-verified; patients, doctors and admins 403', async () => {
    const { patient, rx } = await prescriptionFor()
    const pending = await registerUser(t, 'pharmacist')
    const routes: [string, object][] = [
      ['/pharmacy/scan', { qrData: rx.qr.data }],
      ['/pharmacy/lookup', { referenceNumber: rx.referenceNumber, patientDateOfBirth: patient.dateOfBirth }],
      [`/pharmacy/prescriptions/${rx.id}/validate`, {}],
      [`/pharmacy/prescriptions/${rx.id}/dispense`, { items: [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'B' }] }],
      [`/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'no' }],
    ]
    for (const [url, body] of routes) {
      const res = await post(pending, url, body)
      expect(res.statusCode, url).toBe(403)
      expect(res.json().type).toBe('https://carelocker.dev/problems/account-not-verified')
      for (const u of [patient, doctor, admin]) expect((await post(u, url, body)).statusCode, `${u.role} ${url}`).toBe(403)
    }
    for (const u of [pending, patient, doctor, admin]) expect((await call(u, 'GET', '/pharmacy/history')).statusCode).toBe(403)
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/pharmacy/scan', payload: { qrData: rx.qr.data } })).statusCode).toBe(401)
    const unchanged = await t.deps.db.selectFrom('prescriptions').select('scanCount').where('id', '=', rx.id).executeTakeFirstOrThrow()
    expect(unchanged.scanCount).toBe(0)
  })

  it('validate, dispense and reject need a scan or lookup by this pharmacist within the last hour (404 otherwise)', async () => {
    now = new Date()
    const { rx } = await prescriptionFor()
    const item = [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'B1' }]
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)).statusCode).toBe(404)
    expect((await dispense(pharmacist, rx.id, item)).statusCode).toBe(404)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'x' })).statusCode).toBe(404)
    expect((await scan(pharmacist, rx.qr.data)).statusCode).toBe(200)
    // Another pharmacist's scan is not this one's.
    expect((await dispense(other, rx.id, item)).statusCode).toBe(404)
    now = new Date(now.getTime() + HOUR + 60_000)
    await relogin(pharmacist)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)).statusCode).toBe(404)
    expect((await dispense(pharmacist, rx.id, item)).statusCode).toBe(404)
    expect((await scan(pharmacist, rx.qr.data)).statusCode).toBe(200)
    expect((await dispense(pharmacist, rx.id, item)).statusCode).toBe(200)
    expect((await post(pharmacist, '/pharmacy/prescriptions/00000000-0000-4000-8000-000000000000/validate')).statusCode).toBe(404)
    now = new Date()
    await relogin(pharmacist)
  })
})

describe('dispensing (SPEC §4.9)', () => {
  it('partial, then the rest: partially_dispensed, then dispensed, with batches, expiry dates and prices; then it scans as fully dispensed', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor({}, { items: [AMOXICILLIN, IBUPROFEN] })
    const [amox, ibu] = rx.items
    await scan(pharmacist, rx.qr.data)
    const first = await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 14, batchNumber: 'AMX-2291', expiryDate: '2099-01-31', unitPrice: 0.35 }], 'First week')
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ status: 'partially_dispensed', items: [{ id: amox.id, dispensedQuantity: 14 }, { id: ibu.id, dispensedQuantity: 0 }] })
    expect(first.json().dispensations).toEqual([
      {
        id: expect.any(String),
        pharmacist: { id: pharmacist.id, name: 'Test pharmacist', pharmacyName: 'Corner Pharmacy' },
        at: now.toISOString(),
        notes: 'First week',
        items: [{ itemId: amox.id, quantity: 14, batchNumber: 'AMX-2291', expiryDate: '2099-01-31', unitPrice: 0.35 }],
        warningsAcknowledged: false,
        acknowledgedWarnings: [],
      },
    ])
    const rest = await dispense(pharmacist, rx.id, [
      { itemId: amox.id, quantity: 7, batchNumber: 'AMX-2291' },
      { itemId: ibu.id, quantity: 20, batchNumber: 'IBU-77' },
    ])
    expect(rest.statusCode, rest.body).toBe(200)
    expect(rest.json()).toMatchObject({ status: 'dispensed', items: [{ dispensedQuantity: 21 }, { dispensedQuantity: 20 }] })
    expect(rest.json().dispensations).toHaveLength(2)
    const again = await scan(pharmacist, rx.qr.data)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ isValid: false, canDispense: false, problems: [{ code: 'fully_dispensed' }] })
    expect((await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 1, batchNumber: 'X' }])).statusCode).toBe(409)
    expect((await call(patient, 'GET', `/prescriptions/${rx.id}`)).json().status).toBe('dispensed')
    // The prescriber can no longer cancel it.
    expect((await post(doctor, `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(409)
  })

  it('dispensing more than prescribed is 409 and changes nothing, even when another item in the request fits', async () => {
    const { rx } = await prescriptionFor({}, { items: [AMOXICILLIN, IBUPROFEN] })
    const [amox, ibu] = rx.items
    await scan(pharmacist, rx.qr.data)
    const res = await dispense(pharmacist, rx.id, [
      { itemId: ibu.id, quantity: 5, batchNumber: 'IBU-1' },
      { itemId: amox.id, quantity: 22, batchNumber: 'AMX-1' },
    ])
    expect(res.statusCode).toBe(409)
    expect(res.json().type).toBe('https://carelocker.dev/problems/quantity-exceeds-remaining')
    expect((await itemsOf(rx.id)).map((i) => i.dispensedQuantity)).toEqual([0, 0])
    expect(await dispensationsOf(rx.id)).toEqual([])
    const row = await t.deps.db.selectFrom('prescriptions').select('status').where('id', '=', rx.id).executeTakeFirstOrThrow()
    expect(row.status).toBe('active')
    // After a partial dispense, asking for more than remains is refused the same way.
    expect((await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 20, batchNumber: 'AMX-1' }])).statusCode).toBe(200)
    expect((await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 2, batchNumber: 'AMX-1' }])).statusCode).toBe(409)
    expect((await itemsOf(rx.id)).map((i) => i.dispensedQuantity)).toEqual([20, 0])
  })

  it('20 concurrent requests for the full quantity: exactly one succeeds and the dispensed total equals the prescription', async () => {
    const { rx } = await prescriptionFor()
    const item = rx.items[0]
    await scan(pharmacist, rx.qr.data)
    await scan(other, rx.qr.data)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => dispense(i % 2 === 0 ? pharmacist : other, rx.id, [{ itemId: item.id, quantity: item.quantity, batchNumber: `B-${i}` }])),
    )
    const codes = results.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 200)).toHaveLength(1)
    expect(codes.filter((c) => c === 409)).toHaveLength(19)
    const [stored] = await itemsOf(rx.id)
    expect(stored!.dispensedQuantity).toBe(item.quantity)
    const lines = await t.deps.db
      .selectFrom('dispensationItems')
      .innerJoin('dispensations', 'dispensations.id', 'dispensationItems.dispensationId')
      .select('dispensationItems.quantity')
      .where('dispensations.prescriptionId', '=', rx.id)
      .execute()
    expect(lines.reduce((sum, l) => sum + l.quantity, 0)).toBe(item.quantity)
  })

  it('refuses items not on the prescription or listed twice (400), and a batch past its expiry date (422)', async () => {
    now = new Date()
    const { rx } = await prescriptionFor()
    const amox = rx.items[0]
    await scan(pharmacist, rx.qr.data)
    const unknown = await dispense(pharmacist, rx.id, [{ itemId: '00000000-0000-4000-8000-000000000000', quantity: 1, batchNumber: 'B' }])
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors).toEqual([{ path: '/items/0/itemId', message: 'Not an item of this prescription.' }])
    const twice = await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 1, batchNumber: 'B' }, { itemId: amox.id, quantity: 1, batchNumber: 'C' }])
    expect(twice.statusCode).toBe(400)
    const stale = await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 1, batchNumber: 'B', expiryDate: '2001-01-01' }])
    expect(stale.statusCode).toBe(422)
    for (const bad of [{ quantity: 0 }, { batchNumber: '' }, { unitPrice: -1 }, { unitPrice: 0.001 }, { expiryDate: '2030-02-30' }, { extra: true }]) {
      expect((await dispense(pharmacist, rx.id, [{ itemId: amox.id, quantity: 1, batchNumber: 'B', ...bad }])).statusCode, JSON.stringify(bad)).toBe(400)
    }
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/dispense`, { items: [] })).statusCode).toBe(400)
    expect((await itemsOf(rx.id))[0]!.dispensedQuantity).toBe(0)
  })
})

describe('prescriptions that cannot be dispensed (SPEC §4.9)', () => {
  it('a cancelled prescription scans with 200 and its problem, and cannot be dispensed (409)', async () => {
    now = new Date()
    const { rx } = await prescriptionFor()
    expect((await post(doctor, `/prescriptions/${rx.id}/cancel`)).statusCode).toBe(200)
    const res = await scan(pharmacist, rx.qr.data)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ isValid: false, canDispense: false, problems: [{ code: 'cancelled' }], prescription: { status: 'cancelled' } })
    const d = await dispense(pharmacist, rx.id, [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'B' }])
    expect(d.statusCode).toBe(409)
    expect(d.json().type).toBe('https://carelocker.dev/problems/prescription-cancelled')
    expect((await itemsOf(rx.id))[0]!.dispensedQuantity).toBe(0)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'x' })).statusCode).toBe(409)
  })

  it('an expired prescription reads expired, its QR answers 410, a lookup shows the problem, and it cannot be dispensed', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor({}, { validDays: 1 })
    expect((await scan(pharmacist, rx.qr.data)).statusCode).toBe(200)
    const item = [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'B' }]
    // Expired while the pharmacist's scan is still recent: refused on the state.
    now = new Date(new Date(rx.expiresAt).getTime() + 1000)
    await relogin(pharmacist, patient)
    const late = await dispense(pharmacist, rx.id, item)
    expect(late.statusCode).toBe(409)
    expect(late.json().type).toBe('https://carelocker.dev/problems/prescription-expired')
    // A day later.
    now = new Date(new Date(rx.expiresAt).getTime() + DAY)
    await relogin(pharmacist, patient)
    expect((await call(patient, 'GET', `/prescriptions/${rx.id}`)).json().status).toBe('expired')
    const qr = await scan(pharmacist, rx.qr.data)
    expect(qr.statusCode).toBe(410)
    expect(qr.json().type).toBe('https://carelocker.dev/problems/prescription-expired')
    const looked = await lookup(pharmacist, rx.referenceNumber, patient.dateOfBirth)
    expect(looked.statusCode).toBe(200)
    expect(looked.json()).toMatchObject({ isValid: false, canDispense: false, problems: [{ code: 'expired' }], prescription: { status: 'expired' } })
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)).json().problems).toEqual([{ code: 'expired', message: expect.stringContaining('expired') }])
    expect((await dispense(pharmacist, rx.id, item)).statusCode).toBe(409)
    expect((await itemsOf(rx.id))[0]!.dispensedQuantity).toBe(0)
    now = new Date()
    await relogin(pharmacist)
  })

  it('a pharmacist rejects with a reason: status rejected with rejection {reason, by, at}; it then scans with that problem', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor()
    await scan(pharmacist, rx.qr.data)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/reject`, {})).statusCode).toBe(400)
    const res = await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'Dose looks ten times too high; calling the prescriber.' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'rejected',
      rejection: { reason: 'Dose looks ten times too high; calling the prescriber.', by: { id: pharmacist.id, name: 'Test pharmacist', pharmacyName: 'Corner Pharmacy' }, at: now.toISOString() },
    })
    expect((await call(patient, 'GET', `/prescriptions/${rx.id}`)).json().rejection.reason).toContain('ten times')
    expect((await scan(other, rx.qr.data)).json()).toMatchObject({ isValid: false, problems: [{ code: 'rejected' }] })
    expect((await dispense(pharmacist, rx.id, [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'B' }])).statusCode).toBe(409)
    expect((await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'again' })).statusCode).toBe(409)
  })
})

describe('history and audit (SPEC §4.9, §4.7)', () => {
  it("history lists this pharmacist's dispensations and rejections, newest first, in keyset pages, filtered by date", async () => {
    const ph = await registerVerified(t, 'pharmacist', admin)
    const base = Date.now()
    const ids: string[] = []
    for (let i = 0; i < 3; i += 1) {
      now = new Date(base + i * 1000)
      const { rx } = await prescriptionFor()
      await scan(ph, rx.qr.data)
      if (i === 1) await post(ph, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'Illegible' })
      else await dispense(ph, rx.id, [{ itemId: rx.items[0].id, quantity: 3, batchNumber: `H-${i}`, unitPrice: 1.2 }])
      ids.push(rx.id)
    }
    now = new Date()
    const page1 = await call(ph, 'GET', '/pharmacy/history?limit=2')
    expect(page1.statusCode, page1.body).toBe(200)
    expect(page1.json().items).toMatchObject([
      { kind: 'dispensation', prescriptionId: ids[2], items: [{ medicineName: 'Amoxicillin', quantity: 3, batchNumber: 'H-2', unitPrice: 1.2 }] },
      { kind: 'rejection', prescriptionId: ids[1], reason: 'Illegible' },
    ])
    const page2 = (await call(ph, 'GET', `/pharmacy/history?limit=2&cursor=${page1.json().nextCursor}`)).json()
    expect(page2).toMatchObject({ items: [{ kind: 'dispensation', prescriptionId: ids[0] }], nextCursor: null })
    const today = new Date().toISOString().slice(0, 10)
    expect((await call(ph, 'GET', `/pharmacy/history?from=${today}&to=${today}`)).json().items).toHaveLength(3)
    expect((await call(ph, 'GET', '/pharmacy/history?to=2000-01-01')).json().items).toHaveLength(0)
    // Only one's own.
    expect((await call(other, 'GET', '/pharmacy/history')).json().items.map((e: { prescriptionId: string }) => e.prescriptionId)).not.toContain(ids[0])
    expect((await call(ph, 'GET', '/pharmacy/history?cursor=nope')).statusCode).toBe(400)
  })

  it('the patient sees creation, scans, lookups, validation, dispensing and rejection in their audit log', async () => {
    now = new Date()
    const { patient, rx } = await prescriptionFor()
    await scan(pharmacist, rx.qr.data)
    await lookup(other, rx.referenceNumber, '1900-01-01') // wrong date of birth
    await lookup(other, rx.referenceNumber, patient.dateOfBirth)
    await post(pharmacist, `/pharmacy/prescriptions/${rx.id}/validate`)
    await dispense(pharmacist, rx.id, [{ itemId: rx.items[0].id, quantity: 1, batchNumber: 'A' }])
    await post(other, `/pharmacy/prescriptions/${rx.id}/reject`, { reason: 'Patient declined the rest' })
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const res = await call(patient, 'GET', '/patients/me/audit?limit=100')
    expect(res.statusCode).toBe(200)
    const events = (res.json().items as { action: string; actor: { kind: string; id?: string }; resource: { type: string; id: string } }[])
      .filter((e) => e.resource.id === rx.id)
      .reverse()
    expect(events.map((e) => [e.action, e.actor.id])).toEqual([
      ['prescription.created', doctor.id],
      ['prescription.scanned', pharmacist.id],
      ['prescription.lookup_failed', other.id],
      ['prescription.scanned', other.id],
      ['prescription.validated', pharmacist.id],
      ['prescription.dispensed', pharmacist.id],
      ['prescription.rejected', other.id],
    ])
    expect(events.every((e) => e.resource.type === 'prescription')).toBe(true)
    expect(events.find((e) => e.action === 'prescription.dispensed')?.actor.kind).toBe('pharmacist')
  })
})

describe('lookup rate limit (SPEC §6: per pharmacist)', () => {
  let limited: TestApp
  beforeAll(async () => {
    limited = await startTestApp({ RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN: '3' })
  })
  afterAll(async () => limited?.close())

  it('the fourth lookup in a minute is 429 with RateLimit headers; another pharmacist is not affected', async () => {
    const a = await createAdmin(limited)
    const [p1, p2] = [await registerVerified(limited, 'pharmacist', a), await registerVerified(limited, 'pharmacist', a)]
    const body = { referenceNumber: '0000-0000-0000-0', patientDateOfBirth: '1980-01-01' }
    const send = (u: TestUser) => limited.app.inject({ method: 'POST', url: '/api/v1/pharmacy/lookup', headers: u.headers, payload: body })
    for (let i = 0; i < 3; i += 1) expect((await send(p1)).statusCode).toBe(404)
    const refused = await send(p1)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBeDefined()
    expect(refused.headers['ratelimit-remaining']).toBe('0')
    expect((await send(p2)).statusCode).toBe(404)
  })
})
