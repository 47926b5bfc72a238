/**
 * `withPatientData` / `withPatientResource` (STYLE §9, SPEC §4.7) against a real database:
 * what each outcome writes to the audit log, measured by `audit_events.id` (events are
 * sealed later; `seq` is not needed here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ForbiddenError, NotFoundError } from '../app/errors.js'
import type { UserActor } from '../policy/index.js'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'
import { openPatientData, withPatientData, withPatientResource } from './patient-data.js'

let t: TestApp
let patient: UserActor
let treating: UserActor
let stranger: UserActor
let consultationId: string

const meta = { ip: '203.0.113.9', userAgent: 'patient-data test' }
const actorOf = (u: TestUser, role: 'patient' | 'doctor'): UserActor => ({ kind: 'user', id: u.id, role, status: 'active', name: `Test ${role}`, sessionId: 'test', secondFactor: false, meta })

async function lastEventId(): Promise<number> {
  const row = await t.deps.db.selectFrom('auditEvents').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst()
  return Number(row?.id ?? 0)
}
/** `[action, actorId, resource type, resource id]` of the events after `id`, in order. */
async function eventsSince(id: number): Promise<[string, string | null, string, string][]> {
  const rows = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorId', 'resourceType', 'resourceId']).where('id', '>', id).orderBy('id').execute()
  return rows.map((r) => [r.action, r.actorId, r.resourceType, r.resourceId])
}

beforeAll(async () => {
  t = await startTestApp()
  const admin = await createAdmin(t)
  const [p, d, s] = [await registerUser(t), await registerVerified(t, 'doctor', admin), await registerVerified(t, 'doctor', admin)]
  patient = actorOf(p, 'patient')
  treating = actorOf(d, 'doctor')
  stranger = actorOf(s, 'doctor')
  const row = await t.deps.db.insertInto('consultations').values({ patientId: p.id, doctorId: d.id, status: 'approved', decidedAt: new Date() }).returning('id').executeTakeFirstOrThrow()
  consultationId = row.id
})
afterAll(async () => t?.close())

const vitalsRead = { action: 'vitals.read', kind: 'read', resource: (id: string) => ({ type: 'vitals', id }), audited: 'vitals.viewed' } as const

describe('withPatientData (STYLE §9)', () => {
  it("the patient's own read runs and writes nothing; a consenting doctor's read writes the audited action, with no transaction", async () => {
    const since = await lastEventId()
    expect(await withPatientData(t.deps, patient, 'me', vitalsRead, async ({ scope }) => scope.patientId)).toBe(patient.id)
    expect(await withPatientData(t.deps, patient, 'me', vitalsRead, async ({ db }) => db.isTransaction)).toBe(false)
    expect(await eventsSince(since)).toEqual([])
    // A read holds no transaction: the event is one INSERT after it, before the answer.
    expect(await withPatientData(t.deps, treating, patient.id, vitalsRead, async ({ db }) => db.isTransaction)).toBe(false)
    expect(await eventsSince(since)).toEqual([['vitals.viewed', treating.id, 'vitals', patient.id]])
  })

  it('a refusal is logged as <feature>.denied of the policy action, throws as the policy decides, and never runs fn', async () => {
    const since = await lastEventId()
    let ran = false
    const run = async () => {
      ran = true
    }
    await expect(withPatientData(t.deps, stranger, patient.id, vitalsRead, run)).rejects.toBeInstanceOf(NotFoundError)
    // Seen but not changeable: 403 with `visibility`.
    const write = { action: 'profile.write', visibility: 'profile.read', kind: 'write', resource: { type: 'profile', id: patient.id }, audited: 'profile.updated' } as const
    await expect(withPatientData(t.deps, treating, patient.id, write, run)).rejects.toBeInstanceOf(ForbiddenError)
    // The patient's own refusal is not logged (SPEC §4.7: anyone but the patient).
    const note = { action: 'note.create', visibility: 'note.list', kind: 'write', resource: { type: 'notes', id: patient.id }, audited: 'note.created' } as const
    await expect(withPatientData(t.deps, patient, 'me', note, run)).rejects.toBeInstanceOf(ForbiddenError)
    expect(ran).toBe(false)
    expect(await eventsSince(since)).toEqual([
      ['vitals.denied', stranger.id, 'vitals', patient.id],
      ['profile.denied', treating.id, 'profile', patient.id],
    ])
  })

  it("a write's events come from its result, commit with it, and roll back with it", async () => {
    const since = await lastEventId()
    const write = {
      action: 'vitals.create',
      kind: 'write',
      resource: { type: 'vitals', id: patient.id },
      audited: (ids: string[]) => ids.map((id) => ({ action: 'vitals.recorded', resource: { type: 'vital', id } }) as const),
    } as const
    // The patient's own write is logged too.
    await withPatientData(t.deps, patient, 'me', write, async () => ['a', 'b'])
    await expect(
      withPatientData(t.deps, treating, patient.id, write, async (): Promise<string[]> => {
        throw new Error('the write failed')
      }),
    ).rejects.toThrow('the write failed')
    await withPatientData(t.deps, treating, patient.id, write, async () => [])
    expect(await eventsSince(since)).toEqual([
      ['vitals.recorded', patient.id, 'vital', 'a'],
      ['vitals.recorded', patient.id, 'vital', 'b'],
    ])
  })

  it('a write judges consent again inside its transaction: a consultation ended after the first check is 404 and fn does not run', async () => {
    const since = await lastEventId()
    let ran = false
    const endConsultation = async () => {
      await t.deps.db.updateTable('consultations').set({ status: 'ended', endedAt: new Date() }).where('id', '=', consultationId).execute()
    }
    const write = { action: 'vitals.create', kind: 'write', resource: { type: 'vitals', id: patient.id }, audited: 'vitals.recorded', prepare: endConsultation } as const
    await expect(
      withPatientData(t.deps, treating, patient.id, write, async () => {
        ran = true
      }),
    ).rejects.toBeInstanceOf(NotFoundError)
    expect(ran).toBe(false)
    expect(await eventsSince(since)).toEqual([])
    await t.deps.db.updateTable('consultations').set({ status: 'approved', endedAt: null }).where('id', '=', consultationId).execute()
  })
})

describe('openPatientData', () => {
  it("authorizes before any transaction; within() writes the events (and the caller's own) with the caller's handle, rolling back with its transaction", async () => {
    const since = await lastEventId()
    await expect(openPatientData(t.deps, stranger, patient.id, vitalsRead)).rejects.toBeInstanceOf(NotFoundError)
    const grant = await openPatientData(t.deps, treating, patient.id, vitalsRead)
    await expect(
      t.deps.db.transaction().execute(async (trx) => {
        await grant.within(trx, async () => 'read')
        throw new Error('something else in the transaction failed')
      }),
    ).rejects.toThrow('something else')
    const again = await openPatientData(t.deps, treating, patient.id, vitalsRead)
    const also = [{ action: 'emergency.accessed', resource: { type: 'test', id: 'also' } }] as const
    expect(await t.deps.db.transaction().execute((trx) => again.within(trx, async ({ scope }) => scope.actorHasApprovedConsultation, also))).toBe(true)
    expect(await eventsSince(since)).toEqual([
      ['vitals.denied', stranger.id, 'vitals', patient.id],
      ['vitals.viewed', treating.id, 'vitals', patient.id],
      ['emergency.accessed', treating.id, 'test', 'also'],
    ])
  })
})

describe('withPatientResource', () => {
  it("judges the resource's own scope: its parties read (logged for the doctor), others are refused and logged", async () => {
    const since = await lastEventId()
    const scope = { patientId: patient.id, doctorId: treating.id }
    const read = { action: 'prescription.read', scope, kind: 'read', resource: { type: 'prescription', id: 'rx-1' }, audited: 'prescription.viewed' } as const
    await withPatientResource(t.deps, patient, read, async () => 'patient')
    await withPatientResource(t.deps, treating, read, async () => 'prescriber')
    await expect(withPatientResource(t.deps, stranger, read, async () => 'nobody')).rejects.toBeInstanceOf(NotFoundError)
    const cancel = { ...read, action: 'prescription.cancel', visibility: 'prescription.read', kind: 'write', audited: 'prescription.cancelled' } as const
    await expect(withPatientResource(t.deps, patient, cancel, async () => 'patient')).rejects.toBeInstanceOf(ForbiddenError)
    expect(await eventsSince(since)).toEqual([
      ['prescription.viewed', treating.id, 'prescription', 'rx-1'],
      ['prescription.denied', stranger.id, 'prescription', 'rx-1'],
    ])
  })
})
