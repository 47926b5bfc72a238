/**
 * Appointments (SPEC §10, FHIR Appointment): booking, reading, cancelling and moving.
 *
 * Who (policy: src/policy/rules/appointments.ts): the patient books for themself and a
 * `manage` caregiver for the patient (`patientId`); either side — or a `manage` caregiver —
 * cancels or moves; the two sides and the patient's caregivers of either level read.
 *
 * No double booking, whatever the concurrency: a booking or move is one INSERT / UPDATE and
 * the exclusion constraint `appointments_no_overlap` (migration 0024) refuses a second `booked`
 * row of one doctor overlapping another in time (23P01), the unique index
 * `appointments_one_booking_per_slot` one with an equal start (23505), both → 409 `slot-taken`,
 * even after the doctor changed their grid; nothing checks "is it free?" first.
 * What is checked first is whether the start is a slot at all: on the doctor's grid, in the
 * future, clear of exceptions (else 409 `slot-unavailable`), and — for a booking — an approved
 * consultation between the patient and the doctor (else 409 `no-consultation`: the caller may
 * book, but not with this doctor until the doctor has accepted them).
 *
 * Audit (SPEC §4.7): `appointment.booked|rescheduled|cancelled` in the change's transaction
 * (actor kind `caregiver` when a caregiver acted); a doctor's or caregiver's reads are
 * `appointment.viewed`; refusals `appointment.denied`. Each change emails both sides with an
 * `.ics`, raises in-app notifications and (booking, move) schedules the reminder
 * (`appointment-messages.ts`).
 */
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError } from '../../app/errors.js'
import { withPatientData, withPatientResource } from '../../audit/patient-data.js'
import { instantBounds } from '../../app/dates.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { DB } from '../../db/schema.js'
import { authorize, type AppointmentScope, type UserActor } from '../../policy/index.js'
import { currentActor, resolvePatientScope } from '../../policy/patient-scope.js'
import { hasApprovedConsultation } from '../../policy/patient-scope.queries.js'
import { findVerifiedDoctor } from '../doctors/doctors.service.js'
import { notifyUsers } from '../in-app-notifications/notify.js'
import { announceChange, enqueueAppointmentMail } from './appointment-messages.js'
import * as q from './appointments.queries.js'
import { toAppointmentDto, type AppointmentDto, type AppointmentListInput, type BookInput, type RescheduleInput } from './appointments.schema.js'
import { scheduleOf } from './availability.service.js'
import { bookableSlot, type Slot } from './slots.js'

type Db = Kysely<DB> | Transaction<DB>
type Page<T> = { items: T[]; nextCursor: string | null }

const appointmentResource = (id: string) => ({ type: 'appointment', id })
/** A patient's appointments as a whole (lists, a refused booking). */
const appointmentsResource = (patientId: string) => ({ type: 'appointments', id: patientId })

async function viewOf(db: Db, id: string): Promise<AppointmentDto> {
  const view = await q.findAppointmentView(db, id)
  if (!view) throw new Error('An appointment just written is not visible in its own transaction.')
  return toAppointmentDto(view)
}

/**
 * The slot of `doctorId` starting at `start` when it may be taken: on the doctor's grid, in the
 * future and clear of exceptions. ConflictError `slot-unavailable` otherwise.
 */
async function requireBookableSlot(deps: Deps, db: Db, doctorId: string, start: Date): Promise<Slot> {
  const schedule = await q.findSchedule(db, doctorId)
  const exceptions = schedule ? await q.listExceptions(db, doctorId, { endsAfter: start, startsBefore: new Date(start.getTime() + schedule.slotMinutes * 60_000) }) : []
  const slot = schedule
    ? bookableSlot(scheduleOf(schedule), start, deps.now(), exceptions.map((e) => ({ start: e.startsAt, end: e.endsAt })))
    : undefined
  if (!slot) throw new ConflictError("This start is not a free slot of the doctor's (outside their availability, during an absence, or past).", 'slot-unavailable')
  return slot
}

/** The appointment and its scope as the policy judges it; NotFoundError when there is no such appointment. */
async function loadScoped(deps: Deps, actor: UserActor, id: string): Promise<{ row: q.AppointmentRow; scope: AppointmentScope }> {
  const row = await q.findAppointment(deps.db, id)
  if (!row) throw new NotFoundError('Appointment not found.')
  const patientScope = await resolvePatientScope(deps.db, actor, row.patientId)
  return { row, scope: { ...patientScope, doctorId: row.doctorId } }
}

/**
 * `POST /appointments {doctorId, start, reason?, patientId?}` (SPEC §10) → 201 Appointment.
 * Errors: 404 when the caller may not see `patientId`'s locker, or the doctor is unknown or
 * unverified; 403 for a `read` caregiver; 409 `no-consultation`, `slot-unavailable`, `slot-taken`.
 */
export function bookAppointment(deps: Deps, actor: UserActor, input: BookInput): Promise<AppointmentDto> {
  const pid = input.patientId ?? 'me'
  const start = new Date(input.start)
  const booked = (a: AppointmentDto) => [{ action: 'appointment.booked', resource: appointmentResource(a.id) }] as const
  const access = { action: 'appointment.book', visibility: 'appointment.list', kind: 'write', resource: appointmentsResource, audited: booked } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const doctor = await findVerifiedDoctor(trx, input.doctorId)
    if (!doctor) throw new NotFoundError('No verified doctor with this id.')
    if (!(await hasApprovedConsultation(trx, scope.patientId, doctor.id))) {
      throw new ConflictError('Appointments need an approved consultation with this doctor: request one first.', 'no-consultation')
    }
    const slot = await requireBookableSlot(deps, trx, doctor.id, start)
    const row = await q.insertAppointment(trx, {
      patientId: scope.patientId,
      doctorId: doctor.id,
      startsAt: slot.start,
      endsAt: slot.end,
      reason: input.reason || null,
      bookedBy: actor.id,
      createdAt: deps.now(),
    })
    const dto = await viewOf(trx, row.id)
    await announceChange(deps, trx, row, 'booked', actor.id, { doctorName: dto.doctor.name })
    return dto
  })
}

/**
 * `GET /appointments/{id}`: its patient, its doctor, or a caregiver of the patient; 404 for
 * anyone else. A doctor's or caregiver's read is `appointment.viewed`.
 */
export async function getAppointment(deps: Deps, actor: UserActor, id: string): Promise<AppointmentDto> {
  const { scope } = await loadScoped(deps, actor, id)
  const access = { action: 'appointment.read', scope, kind: 'read', resource: appointmentResource(id), audited: 'appointment.viewed' } as const
  return withPatientResource(deps, actor, access, async ({ db }) => viewOf(db, id))
}

function listWindow(query: AppointmentListInput) {
  const bounds = instantBounds(query.from, query.to)
  const after = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  return { from: bounds.from, toExclusive: bounds.before, after: after ? { at: after[0], id: after[1] } : undefined }
}

/**
 * `GET /appointments?from&to&status&limit&cursor` (SPEC §10): the caller's own side — a
 * patient's appointments as patient, a doctor's as doctor — by start, earliest first. A
 * doctor's page discloses patients' names and times: one `appointment.viewed` per patient on
 * the page (resource `{type: 'appointments', id: patientId}`), so each patient's log shows it.
 */
export async function listOwnAppointments(deps: Deps, actor: UserActor, query: AppointmentListInput): Promise<Page<AppointmentDto>> {
  authorize(actor, 'appointment.own', { userId: actor.id })
  const rows = await q.listAppointmentViews(deps.db, {
    side: actor.role === 'doctor' ? 'doctorId' : 'patientId',
    userId: actor.id,
    status: query.status,
    ...listWindow(query),
    limit: query.limit + 1,
  })
  const page = toPage(rows, query.limit, (r) => [r.startsAt.toISOString(), r.id], toAppointmentDto)
  const patients = [...new Set(page.items.map((a) => a.patient.id))]
  const events = patients.map((patientId) => ({ action: 'appointment.viewed' as const, target: { patientId, resource: appointmentsResource(patientId) } }))
  await deps.audit.recordRead(deps.db, actor, events)
  return page
}

/**
 * `GET /patients/{pid}/appointments` (SPEC §10): the patient's appointments with every doctor,
 * for the patient and their caregivers of either level (audited `appointment.viewed` for a
 * caregiver); 404 for anyone else.
 */
export function listPatientAppointments(deps: Deps, actor: UserActor, pid: string, query: AppointmentListInput): Promise<Page<AppointmentDto>> {
  const access = { action: 'appointment.list', kind: 'read', resource: appointmentsResource, audited: 'appointment.viewed', prepare: () => listWindow(query) } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db, prepared }) => {
    const rows = await q.listAppointmentViews(db, { side: 'patientId', userId: scope.patientId, status: query.status, ...prepared, limit: query.limit + 1 })
    return toPage(rows, query.limit, (r) => [r.startsAt.toISOString(), r.id], toAppointmentDto)
  })
}

/**
 * Judges a cancel or move again inside its transaction (security review L3): the actor's
 * account status and the patient scope re-read with `trx`, so a caregiver revoked (or an
 * account erased) after the first judgement is refused — 404/403 as `authorize` decides — and
 * nothing of the change commits. Mirrors the write recheck of `withPatientData`.
 */
async function rejudgeChange(trx: Transaction<DB>, actor: UserActor, row: q.AppointmentRow): Promise<void> {
  const who = await currentActor(trx, actor)
  const scope = await resolvePatientScope(trx, who, row.patientId)
  authorize(who, 'appointment.change', { ...scope, doctorId: row.doctorId }, 'appointment.read')
}

/** The 409 of a change to an appointment that is no longer booked. */
const notBooked = () => new ConflictError('Only a booked appointment can be cancelled or moved.', 'appointment-not-booked')

/**
 * `POST /appointments/{id}/cancel` (SPEC §10): either side or a `manage` caregiver → 200 the
 * appointment, cancelled (one conditional UPDATE: the slot frees at once). 404 for someone who
 * may not see it, 403 for a `read` caregiver, 409 `appointment-not-booked` when it is not booked.
 */
export async function cancelAppointment(deps: Deps, actor: UserActor, id: string): Promise<AppointmentDto> {
  const { row: current, scope } = await loadScoped(deps, actor, id)
  const access = { action: 'appointment.change', visibility: 'appointment.read', scope, kind: 'write', resource: appointmentResource(id), audited: 'appointment.cancelled' } as const
  return withPatientResource(deps, actor, access, async ({ db: trx }) => {
    await rejudgeChange(trx, actor, current)
    const row = await q.cancelAppointment(trx, id, actor.id, deps.now())
    if (!row) throw notBooked()
    const dto = await viewOf(trx, id)
    await announceChange(deps, trx, row, 'cancelled', actor.id, { doctorName: dto.doctor.name })
    return dto
  })
}

/**
 * `POST /appointments/{id}/reschedule {start}` (SPEC §10): the same people as cancelling move a
 * booked appointment to another free slot of its doctor (validated like a booking; the unique
 * index guards the new slot) → 200 the appointment. 409 `appointment-not-booked`,
 * `slot-unavailable`, `slot-taken`.
 */
export async function rescheduleAppointment(deps: Deps, actor: UserActor, id: string, input: RescheduleInput): Promise<AppointmentDto> {
  const { row: current, scope } = await loadScoped(deps, actor, id)
  const access = { action: 'appointment.change', visibility: 'appointment.read', scope, kind: 'write', resource: appointmentResource(id), audited: 'appointment.rescheduled' } as const
  return withPatientResource(deps, actor, access, async ({ db: trx }) => {
    await rejudgeChange(trx, actor, current)
    if (current.status !== 'booked') throw notBooked()
    const slot = await requireBookableSlot(deps, trx, current.doctorId, new Date(input.start))
    const row = await q.moveAppointment(trx, id, { startsAt: slot.start, endsAt: slot.end, updatedAt: deps.now() })
    if (!row) throw notBooked()
    const dto = await viewOf(trx, id)
    await announceChange(deps, trx, row, 'rescheduled', actor.id, { doctorName: dto.doctor.name })
    return dto
  })
}

/**
 * The account-erasure step of appointments (SPEC §9 "Take your data and go", §10): the patient's
 * future booked appointments are cancelled, so their doctors' calendars free at once, and each
 * doctor gets the cancellation (email with a CANCEL `.ics`, in-app notification); the reasons the
 * patient gave are forgotten. The rows stay, without reasons: they are the doctors' calendar
 * history, like the kept prescriptions. Runs in the erasure's transaction.
 */
export async function eraseAppointments(trx: Transaction<DB>, deps: Deps, patientId: string): Promise<void> {
  const cancelled = await q.cancelFutureAppointments(trx, patientId, deps.now())
  for (const row of cancelled) {
    await enqueueAppointmentMail(deps, trx, row, 'cancelled', [row.doctorId])
    await notifyUsers(trx, [{ userId: row.doctorId, type: 'appointment.cancelled', resource: appointmentResource(row.id), data: { start: row.startsAt.toISOString() } }])
  }
  await q.forgetAppointmentReasons(trx, patientId)
}
