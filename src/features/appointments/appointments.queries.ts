/** SQL of appointments, availability and exceptions (SPEC §10). No business rules here (STYLE §2). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import type { AppointmentStatus, AppointmentsTable, DB, DoctorSchedulesTable, ScheduleExceptionsTable, WeeklyAvailability } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>
export type ScheduleRow = Selectable<DoctorSchedulesTable>
export type ExceptionRow = Selectable<ScheduleExceptionsTable>
export type AppointmentRow = Selectable<AppointmentsTable>

/**
 * A violation of `appointments_one_booking_per_slot` (unique, 23505; migration 0021) or of
 * `appointments_no_overlap` (exclusion, 23P01; migration 0024): the time is someone else's.
 */
const isSlotTaken = (err: unknown) => {
  const { code, constraint } = err as { code?: string; constraint?: string }
  return (code === '23505' && constraint === 'appointments_one_booking_per_slot') || (code === '23P01' && constraint === 'appointments_no_overlap')
}
const slotTaken = () => new ConflictError('This slot has just been booked by someone else; pick another.', 'slot-taken')

// ---------------------------------------------------------------------------------------
// Availability (FHIR Schedule)

export function findSchedule(db: Db, doctorId: string) {
  return db.selectFrom('doctorSchedules').selectAll().where('doctorId', '=', doctorId).executeTakeFirst()
}

/** Inserts or replaces the doctor's weekly availability; returns the row. */
export function upsertSchedule(db: Db, s: { doctorId: string; timeZone: string; slotMinutes: number; weekly: WeeklyAvailability[]; updatedAt: Date }) {
  const values = { ...s, weekly: JSON.stringify(s.weekly) }
  return db
    .insertInto('doctorSchedules')
    .values(values)
    .onConflict((oc) => oc.column('doctorId').doUpdateSet({ timeZone: s.timeZone, slotMinutes: s.slotMinutes, weekly: values.weekly, updatedAt: s.updatedAt }))
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function insertException(db: Db, e: { doctorId: string; startsAt: Date; endsAt: Date; reason: string | null; createdAt: Date }) {
  return db.insertInto('scheduleExceptions').values(e).returningAll().executeTakeFirstOrThrow()
}

/** The doctor's exceptions overlapping the window (ending after `endsAfter`, starting before `startsBefore`), earliest first. */
export function listExceptions(db: Db, doctorId: string, window: { endsAfter?: Date; startsBefore?: Date } = {}) {
  let q = db.selectFrom('scheduleExceptions').selectAll().where('doctorId', '=', doctorId)
  if (window.endsAfter) q = q.where('endsAt', '>', window.endsAfter)
  if (window.startsBefore) q = q.where('startsAt', '<', window.startsBefore)
  return q.orderBy('startsAt').orderBy('id').limit(1000).execute()
}

/** A page of the doctor's exceptions ending after `endsAfter`, earliest first, after the keyset `(startsAt, id)`. */
export function listExceptionPage(db: Db, doctorId: string, w: { endsAfter: Date; after?: { at: Date; id: string } | undefined; limit: number }) {
  let q = db.selectFrom('scheduleExceptions').selectAll().where('doctorId', '=', doctorId).where('endsAt', '>', w.endsAfter)
  if (w.after) q = q.where(sql<boolean>`(starts_at, id) > (${w.after.at}, ${w.after.id}::uuid)`)
  return q.orderBy('startsAt').orderBy('id').limit(w.limit).execute()
}

/** Deletes one of the doctor's exceptions; true when there was one. */
export async function deleteException(db: Db, doctorId: string, id: string): Promise<boolean> {
  const res = await db.deleteFrom('scheduleExceptions').where('id', '=', id).where('doctorId', '=', doctorId).executeTakeFirst()
  return Number(res.numDeletedRows) > 0
}

/** The doctor's booked spans overlapping `[from, to)`. */
export function listBookedSpans(db: Db, doctorId: string, from: Date, to: Date) {
  return db
    .selectFrom('appointments')
    .select(['startsAt', 'endsAt'])
    .where('doctorId', '=', doctorId)
    .where('status', '=', 'booked')
    .where('startsAt', '<', to)
    .where('endsAt', '>', from)
    .execute()
}

// ---------------------------------------------------------------------------------------
// Appointments

/**
 * Books a slot: one INSERT; the partial unique index decides who gets a slot booked
 * concurrently (no check-then-insert). Throws ConflictError `slot-taken` on its violation.
 * Inside a transaction the violation aborts it: the caller lets the error end it.
 */
export async function insertAppointment(
  db: Db,
  a: { patientId: string; doctorId: string; startsAt: Date; endsAt: Date; reason: string | null; bookedBy: string; createdAt: Date },
): Promise<AppointmentRow> {
  try {
    return await db
      .insertInto('appointments')
      .values({ ...a, status: 'booked', updatedAt: a.createdAt })
      .returningAll()
      .executeTakeFirstOrThrow()
  } catch (err) {
    if (isSlotTaken(err)) throw slotTaken()
    throw err
  }
}

export function findAppointment(db: Db, id: string) {
  return db.selectFrom('appointments').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Moves a booked appointment to another slot (one conditional UPDATE); undefined when it is not booked. Throws `slot-taken` like the insert. */
export async function moveAppointment(db: Db, id: string, to: { startsAt: Date; endsAt: Date; updatedAt: Date }): Promise<AppointmentRow | undefined> {
  try {
    return await db
      .updateTable('appointments')
      .set({ ...to, sequence: sql<number>`sequence + 1` })
      .where('id', '=', id)
      .where('status', '=', 'booked')
      .returningAll()
      .executeTakeFirst()
  } catch (err) {
    if (isSlotTaken(err)) throw slotTaken()
    throw err
  }
}

/** Cancels a booked appointment (one conditional UPDATE); undefined when it is not booked. */
export function cancelAppointment(db: Db, id: string, by: string | null, at: Date) {
  return db
    .updateTable('appointments')
    .set({ status: 'cancelled', cancelledBy: by, cancelledAt: at, updatedAt: at, sequence: sql<number>`sequence + 1` })
    .where('id', '=', id)
    .where('status', '=', 'booked')
    .returningAll()
    .executeTakeFirst()
}

/** Appointments with the parties' display names (the patient's profile name, else the account's). */
function views(db: Db) {
  return db
    .selectFrom('appointments as a')
    .innerJoin('users as pu', 'pu.id', 'a.patientId')
    .leftJoin('patientProfiles as pp', 'pp.patientId', 'a.patientId')
    .innerJoin('users as du', 'du.id', 'a.doctorId')
    .selectAll('a')
    .select((eb) => [eb.fn.coalesce('pp.fullName', 'pu.name').as('patientName'), 'du.name as doctorName', 'du.specialty as doctorSpecialty'])
}
export type AppointmentView = NonNullable<Awaited<ReturnType<typeof findAppointmentView>>>

export function findAppointmentView(db: Db, id: string) {
  return views(db).where('a.id', '=', id).executeTakeFirst()
}

export interface AppointmentFilter {
  side: 'patientId' | 'doctorId'
  userId: string
  status?: AppointmentStatus | undefined
  from?: Date | undefined
  toExclusive?: Date | undefined
  /** Keyset: rows after this `(startsAt, id)`. */
  after?: { at: Date; id: string } | undefined
  limit: number
}

/** One side's appointments by start, earliest first (then id). */
export function listAppointmentViews(db: Db, f: AppointmentFilter) {
  let q = views(db).where(`a.${f.side}`, '=', f.userId)
  if (f.status) q = q.where('a.status', '=', f.status)
  if (f.from) q = q.where('a.startsAt', '>=', f.from)
  if (f.toExclusive) q = q.where('a.startsAt', '<', f.toExclusive)
  if (f.after) q = q.where(sql<boolean>`(a.starts_at, a.id) > (${f.after.at}, ${f.after.id}::uuid)`)
  return q.orderBy('a.startsAt', 'asc').orderBy('a.id', 'asc').limit(f.limit).execute()
}

/** Whether a patient's account is a dependent (no login: its mail goes to its managers). */
export async function isDependent(db: Db, patientId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('isDependent').where('id', '=', patientId).executeTakeFirst()
  return row?.isDependent === true
}

/** The patient's own mobile number from their profile (E.164), if set. */
export async function findPatientPhone(db: Db, patientId: string): Promise<string | null> {
  const row = await db.selectFrom('patientProfiles').select('phone').where('patientId', '=', patientId).executeTakeFirst()
  return row?.phone ?? null
}

/** Cancels every booked appointment of the patient that starts after `now` (one UPDATE); the rows as they now are. */
export function cancelFutureAppointments(db: Db, patientId: string, now: Date) {
  return db
    .updateTable('appointments')
    .set({ status: 'cancelled', cancelledAt: now, updatedAt: now, sequence: sql<number>`sequence + 1` })
    .where('patientId', '=', patientId)
    .where('status', '=', 'booked')
    .where('startsAt', '>', now)
    .returningAll()
    .execute()
}

/** Forgets the reasons the patient gave for their appointments (free text about their health). */
export async function forgetAppointmentReasons(db: Db, patientId: string): Promise<void> {
  await db.updateTable('appointments').set({ reason: null }).where('patientId', '=', patientId).where('reason', 'is not', null).execute()
}
