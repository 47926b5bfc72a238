/**
 * Consultations are the patient's consent (SPEC §3, §4.8): a doctor reaches a patient's data
 * only while a consultation between them is `approved` — checked on every request by
 * `resolvePatientScope` (src/policy/patient-scope.ts), so approving grants access at once and ending removes it on the
 * very next request.
 *
 * State machine (each move one conditional UPDATE … WHERE status = … RETURNING):
 *
 *   pending ──approve (doctor)──▶ approved ──end (either side)──▶ ended
 *      │ ──reject (doctor)──▶ rejected
 *      └ ──end (patient)───▶ cancelled
 *
 * Any other move is 409 `invalid-status-transition`. Someone who is not a party gets 404.
 * Audit (SPEC §4.7): `consultation.requested|approved|rejected|ended|cancelled`, with the
 * patient's id, in the transition's transaction. Approve and reject email both sides.
 * In-app notifications (SPEC §10), in the same transaction: a request tells the doctor; an
 * approval, rejection or ending tells the other side — the patient's side being the patient
 * and the managers of their locker (`lockerRecipients`).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { ConsultationStatus, DB } from '../../db/schema.js'
import { authorize, can, type UserActor } from '../../policy/index.js'
import { findVerifiedDoctor } from '../doctors/doctors.service.js'
import { lockerRecipients, notifyUsers, type NotificationType } from '../in-app-notifications/notify.js'
import { enqueueEmail } from '../notifications/notifications.service.js'
import * as q from './consultations.queries.js'
import {
  toConsultationDto,
  toDoctorPatientDto,
  type ConsultationDto,
  type ConsultationListInput,
  type DoctorPatientDto,
  type RequestConsultationInput,
} from './consultations.schema.js'

type Db = Kysely<DB> | Transaction<DB>
type Trx = Transaction<DB>

// ---------------------------------------------------------------------------------------
// Helpers

/** `[instant, uuid]` cursors of this feature's lists; 400 for anything else. */
function decodeInstantCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, InstantIdCursor)
  return { at, id }
}

const consultationTarget = (c: { id: string; patientId: string }) => ({ patientId: c.patientId, resource: { type: 'consultation', id: c.id } })

/**
 * Raises `type` about consultation `c` for the side that did not act: the doctor when the
 * patient acted (`to: 'doctor'`), else the patient's locker (`lockerRecipients`). `data` names
 * the other party for the web app's wording.
 */
async function notifyOtherSide(trx: Trx, c: ConsultationDto, type: NotificationType, to: 'doctor' | 'patient'): Promise<void> {
  const recipients = to === 'doctor' ? [c.doctor.id] : await lockerRecipients(trx, c.patient.id)
  const data: Record<string, string> = to === 'doctor' ? { patientName: c.patient.name } : { doctorName: c.doctor.name }
  await notifyUsers(trx, recipients.map((userId) => ({ userId, type, patientId: c.patient.id, resource: { type: 'consultation', id: c.id }, data })))
}

async function viewOf(db: Db, id: string): Promise<ConsultationDto> {
  const view = await q.findConsultationView(db, id)
  if (!view) throw new Error('A consultation just written is not visible in its own transaction.')
  return toConsultationDto(view)
}

/** The consultation if `actor` is one of its parties; NotFoundError otherwise (SPEC §2: not yours = absent). */
async function findVisible(trx: Trx, actor: UserActor, id: string) {
  const c = await q.findConsultation(trx, id)
  if (!c || !can(actor, 'consultation.read', c)) throw new NotFoundError('Consultation not found.')
  return c
}

/** The 409 of a refused move, naming the state the consultation is in now (it may have just changed). */
async function wrongState(trx: Trx, id: string, wanted: string): Promise<ConflictError> {
  const now = await q.findConsultation(trx, id)
  return new ConflictError(`This consultation is ${now?.status ?? 'gone'}; only ${wanted}.`, 'invalid-status-transition')
}

// ---------------------------------------------------------------------------------------
// Use cases

/**
 * `POST /consultations {doctorId, reason?}` (SPEC §4.8): the calling patient asks a verified
 * doctor → 201 pending Consultation. NotFoundError when `doctorId` is not a verified, active
 * doctor; ConflictError `consultation-open` when this pair already has a pending or approved one.
 */
export async function requestConsultation(deps: Deps, actor: UserActor, input: RequestConsultationInput): Promise<ConsultationDto> {
  authorize(actor, 'consultation.request', { patientId: actor.id, doctorId: input.doctorId })
  return deps.db.transaction().execute(async (trx) => {
    const doctor = await findVerifiedDoctor(trx, input.doctorId)
    if (!doctor) throw new NotFoundError('No verified doctor with this id.')
    const row = await q.insertPendingConsultation(trx, { patientId: actor.id, doctorId: doctor.id, reason: input.reason ?? null, createdAt: deps.now() })
    if (!row) throw new ConflictError('You already have an open consultation request or consultation with this doctor.', 'consultation-open')
    const dto = await viewOf(trx, row.id)
    await deps.audit.record(trx, actor, 'consultation.requested', consultationTarget(row))
    await notifyOtherSide(trx, dto, 'consultation.requested', 'doctor')
    return dto
  })
}

/** `GET /consultations/{id}`: one of the caller's consultations; 404 for anyone but its two parties. */
export async function getConsultation(deps: Deps, actor: UserActor, id: string): Promise<ConsultationDto> {
  const view = await q.findConsultationView(deps.db, id)
  if (!view || !can(actor, 'consultation.read', view)) throw new NotFoundError('Consultation not found.')
  return toConsultationDto(view)
}

/**
 * `GET /consultations?status&limit&cursor` (SPEC §4.8): the caller's own consultations —
 * a patient's as patient, a doctor's as doctor — newest first, keyset pages.
 */
export async function listConsultations(deps: Deps, actor: UserActor, query: ConsultationListInput): Promise<{ items: ConsultationDto[]; nextCursor: string | null }> {
  authorize(actor, 'consultation.list', { userId: actor.id })
  const after = query.cursor ? decodeInstantCursor(query.cursor) : undefined
  const rows = await q.listConsultationViews(deps.db, {
    side: actor.role === 'patient' ? 'patient' : 'doctor',
    userId: actor.id,
    status: query.status,
    after: after ? { createdAt: after.at, id: after.id } : undefined,
    limit: query.limit + 1,
  })
  return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], toConsultationDto)
}

/**
 * `POST /consultations/{id}/approve|reject` (SPEC §4.8): the addressed doctor decides a pending
 * request. 404 when the caller is not a party; 403 for the patient party; 409 unless pending.
 * Approval grants access at once. Both sides are emailed through the queue, in the same
 * transaction as the change.
 */
export async function decideConsultation(deps: Deps, actor: UserActor, id: string, decision: 'approve' | 'reject'): Promise<ConsultationDto> {
  return deps.db.transaction().execute(async (trx) => {
    const c = await findVisible(trx, actor, id)
    authorize(actor, 'consultation.decide', c, 'consultation.read')
    const now = deps.now()
    const to = decision === 'approve' ? 'approved' : 'rejected'
    const row = await q.transitionConsultation(trx, id, 'pending', to, { decidedAt: now })
    if (!row) throw await wrongState(trx, id, 'a pending request can be approved or rejected')
    const template = to === 'approved' ? 'consultation-approved' : 'consultation-rejected'
    const data = { consultationId: id, doctorName: actor.name, decidedAt: now.toISOString() }
    await enqueueEmail(deps, trx, { template, to: { userId: row.patientId }, data })
    await enqueueEmail(deps, trx, { template, to: { userId: row.doctorId }, data })
    const dto = await viewOf(trx, id)
    await deps.audit.record(trx, actor, `consultation.${to}`, consultationTarget(row))
    await notifyOtherSide(trx, dto, `consultation.${to}`, 'patient')
    return dto
  })
}

/**
 * `POST /consultations/{id}/end` (SPEC §4.8): either party ends an approved consultation
 * (→ ended; the doctor's access stops on the very next request); the patient may also
 * withdraw a pending request with it (→ cancelled). 404 when the caller is not a party;
 * 409 for any other state (a doctor rejects a pending request instead of ending it).
 */
export async function endConsultation(deps: Deps, actor: UserActor, id: string): Promise<ConsultationDto> {
  return deps.db.transaction().execute(async (trx) => {
    const c = await findVisible(trx, actor, id)
    const cancel = c.status === 'pending' && can(actor, 'consultation.cancel', c)
    if (!cancel) authorize(actor, 'consultation.end', c, 'consultation.read')
    const [from, to]: [ConsultationStatus, ConsultationStatus] = cancel ? ['pending', 'cancelled'] : ['approved', 'ended']
    const row = await q.transitionConsultation(trx, id, from, to, { endedAt: deps.now() })
    if (!row) throw await wrongState(trx, id, cancel ? 'a pending request can be cancelled' : 'an approved consultation can be ended')
    const dto = await viewOf(trx, id)
    await deps.audit.record(trx, actor, `consultation.${to}`, consultationTarget(row))
    // Ending tells the other side; withdrawing a request that was never answered tells no one.
    if (to === 'ended') await notifyOtherSide(trx, dto, 'consultation.ended', actor.id === row.doctorId ? 'patient' : 'doctor')
    return dto
  })
}

/**
 * `GET /doctor/patients` (SPEC §4.8): the calling doctor's patients with an approved
 * consultation right now, most recently approved first, `{id, fullName, dateOfBirth,
 * consultationId, since}`. Showing a patient's name and date of birth is a read of their data
 * (SPEC §4.7): each patient on the page gets a `profile.listed` event, written in the read's
 * transaction.
 */
export async function listDoctorPatients(deps: Deps, actor: UserActor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: DoctorPatientDto[]; nextCursor: string | null }> {
  authorize(actor, 'consultation.patients', { userId: actor.id })
  const after = query.cursor ? decodeInstantCursor(query.cursor) : undefined
  return deps.db.transaction().execute(async (trx) => {
    const rows = await q.listApprovedPatients(trx, actor.id, query.limit + 1, after ? { since: after.at, consultationId: after.id } : undefined)
    const page = toPage(rows, query.limit, (r) => [new Date(r.since).toISOString(), r.consultationId], toDoctorPatientDto)
    for (const p of page.items) {
      await deps.audit.record(trx, actor, 'profile.listed', { patientId: p.id, resource: { type: 'profile', id: p.id } })
    }
    return page
  })
}
