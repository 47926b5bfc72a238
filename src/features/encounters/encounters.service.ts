/**
 * Encounters — the visits a doctor records (SPEC §10, FHIR Encounter). A doctor with an
 * approved consultation records one, optionally for a `booked` appointment of the patient
 * with them, which becomes `completed` in the same transaction. The patient, a treating
 * doctor and the patient's caregivers (`read` or `manage`) read the visits; a visit's detail
 * carries the notes, vitals and prescriptions that point to it (`encounterId`).
 *
 * Audit (SPEC §4.7): `encounter.created` in the write's transaction; `encounter.viewed` when
 * anyone but the patient lists or reads them (a caregiver's read as `actor.kind: "caregiver"`);
 * `encounter.denied` when the policy refuses someone other than the patient.
 */
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError } from '../../app/errors.js'
import { withPatientData } from '../../audit/patient-data.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import { encounterParts, type PatientScope, type UserActor } from '../../policy/index.js'
import { listEncounterNotes } from '../notes/notes.service.js'
import { listEncounterPrescriptions } from '../prescriptions/prescriptions.service.js'
import { listEncounterVitals } from '../vitals/vitals.service.js'
import * as q from './encounters.queries.js'
import { toEncounterDto, type CreateEncounterInput, type EncounterDetailDto, type EncounterDto } from './encounters.schema.js'

/** Audit resource: a patient's visits as a whole (lists, refusals); one visit is `{type: 'encounter', id}`. */
const encountersResource = (patientId: string) => ({ type: 'encounters', id: patientId })

/**
 * `POST /patients/{pid}/encounters` → 201 Encounter. Only a doctor with an approved
 * consultation (404 for any other doctor; consent judged again inside the transaction).
 * With `appointmentId`: an appointment of another patient or another doctor, or unknown, is
 * 404; one of theirs that is not `booked` (cancelled, no-show, already completed — so
 * recorded) is 409 `appointment-not-booked`.
 */
export function createEncounter(deps: Deps, actor: UserActor, pid: string, input: CreateEncounterInput): Promise<EncounterDto> {
  const created = (e: EncounterDto) => [{ action: 'encounter.created', resource: { type: 'encounter', id: e.id } }] as const
  const access = { action: 'encounter.create', visibility: 'encounter.read', kind: 'write', resource: encountersResource, audited: created } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const now = deps.now()
    const parties = { patientId: scope.patientId, doctorId: actor.id }
    if (input.appointmentId !== undefined) {
      const completed = await q.completeBookedAppointment(trx, { id: input.appointmentId, ...parties, now })
      if (!completed) {
        if (!(await q.findAppointmentStatus(trx, { id: input.appointmentId, ...parties }))) throw new NotFoundError('No such appointment of this patient with you.')
        throw new ConflictError('Only a booked appointment can be recorded as a visit.', 'appointment-not-booked')
      }
    }
    const id = await q.insertEncounter(trx, {
      ...parties,
      appointmentId: input.appointmentId ?? null,
      startsAt: new Date(input.start),
      endsAt: input.end === undefined ? null : new Date(input.end),
      type: input.type,
      reason: input.reason ?? null,
      diagnoses: JSON.stringify(input.diagnoses),
      summary: input.summary ?? null,
      createdAt: now,
    })
    const view = await q.findEncounterView(trx, scope.patientId, id)
    if (!view) throw new Error('An encounter just written is not visible in its own transaction.')
    return toEncounterDto(view)
  })
}

/**
 * `GET /patients/{pid}/encounters?limit&cursor` → `{items: Encounter[], nextCursor}`, newest
 * first by start. The patient, a treating doctor, a caregiver; 404 for anyone else; 400 for a
 * bad cursor.
 */
export function listEncounters(deps: Deps, actor: UserActor, pid: string, query: { limit: number; cursor?: string | undefined }): Promise<{ items: EncounterDto[]; nextCursor: string | null }> {
  const prepare = () => {
    const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
    return cursor && { at: cursor[0], id: cursor[1] }
  }
  const access = { action: 'encounter.read', kind: 'read', resource: encountersResource, audited: 'encounter.viewed', prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db, prepared: after }) => {
    const rows = await q.listEncounterViews(db, { patientId: scope.patientId, after, limit: query.limit + 1 })
    return toPage(rows, query.limit, (r) => [r.startsAt.toISOString(), r.id], toEncounterDto)
  })
}

/**
 * `GET /patients/{pid}/encounters/{id}` → EncounterDetail: the visit with its notes shared
 * with the patient (a doctor also sees their own), its vitals, and its prescriptions (a doctor:
 * their own). 404 when the reader may not read the patient's visits or the visit is not theirs.
 */
export function getEncounter(deps: Deps, actor: UserActor, pid: string, id: string): Promise<EncounterDetailDto> {
  const prepare = (scope: PatientScope) => {
    const parts = encounterParts(actor, scope)
    if (!parts) throw new Error('encounter.read allowed an actor that may read no part of a visit.')
    return parts
  }
  const access = { action: 'encounter.read', kind: 'read', resource: { type: 'encounter', id }, audited: 'encounter.viewed', prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db, prepared: parts }) => {
    const view = await q.findEncounterView(db, scope.patientId, id)
    if (!view) throw new NotFoundError('No such visit.')
    const [notes, vitals, prescriptions] = [
      await listEncounterNotes(db, scope, id, parts.noteAuthorId),
      await listEncounterVitals(db, scope, id),
      await listEncounterPrescriptions(deps, db, actor, scope, id, parts.prescriptions),
    ]
    return { ...toEncounterDto(view), notes, vitals, prescriptions }
  })
}

/** Account erasure's step (SPEC §9): deletes the patient's visits. */
export { deleteEncountersOf as eraseEncounters } from './encounters.queries.js'
