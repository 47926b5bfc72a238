/**
 * The QR code of a prescription is the prescription (it scans at the counter), so reading
 * `…/qr.png` or `…/qr.svg` is audited exactly as reading `GET /prescriptions/{id}` (SPEC §4.7):
 * `prescription.viewed` when anyone but the patient reads it, `prescription.denied` when the
 * policy refuses a doctor, nothing for the patient's own reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { consent, issue, patientWithProfile } from '../../../test/helpers/prescriptions.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'

let t: TestApp
let patient: TestUser, prescriber: TestUser, otherDoctor: TestUser
let rxId: string
beforeAll(async () => {
  t = await startTestApp()
  patient = await patientWithProfile(t)
  prescriber = await registerVerified(t, 'doctor')
  otherDoctor = await registerVerified(t, 'doctor')
  await consent(t, patient.id, prescriber.id)
  rxId = (await issue(t, prescriber, patient.id)).id
})
afterAll(async () => t?.close())

/** The events a request wrote about the prescription (or its patient), as `action by actor`. */
async function eventsWrittenBy(send: () => Promise<{ statusCode: number }>, expectedStatus: number): Promise<string[]> {
  const head = await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  const res = await send()
  expect(res.statusCode).toBe(expectedStatus)
  const rows = await t.deps.db
    .selectFrom('auditEvents')
    .select(['action', 'actorId', 'patientId', 'resourceType', 'resourceId'])
    .where('id', '>', Number(head?.id ?? 0))
    .where('patientId', '=', patient.id)
    .orderBy('id')
    .execute()
  const names = new Map([[prescriber.id, 'prescriber'], [otherDoctor.id, 'otherDoctor'], [patient.id, 'patient']])
  return rows.map((r) => `${r.action} by ${names.get(r.actorId ?? '') ?? r.actorId} on ${r.resourceType}/${r.resourceId === rxId ? 'rx' : r.resourceId}`)
}

const read = (u: TestUser, suffix: string) => () => t.app.inject({ method: 'GET', url: `/api/v1/prescriptions/${rxId}${suffix}`, headers: u.headers })

const READS = [
  ['the JSON read', ''],
  ['the QR PNG', '/qr.png'],
  ['the QR SVG', '/qr.svg'],
] as const

describe('prescription reads and their QR codes are audited alike (SPEC §4.7)', () => {
  it.each(READS)('%s by the prescriber writes prescription.viewed', async (_name, suffix) => {
    expect(await eventsWrittenBy(read(prescriber, suffix), 200)).toEqual(['prescription.viewed by prescriber on prescription/rx'])
  })

  it.each(READS)('%s by a doctor who may not see it is 404 and writes prescription.denied', async (_name, suffix) => {
    expect(await eventsWrittenBy(read(otherDoctor, suffix), 404)).toEqual(['prescription.denied by otherDoctor on prescription/rx'])
  })

  it.each(READS)("%s by the patient is their own read: no event", async (_name, suffix) => {
    expect(await eventsWrittenBy(read(patient, suffix), 200)).toEqual([])
  })
})
