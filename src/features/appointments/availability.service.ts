/**
 * A doctor's availability (SPEC §10, FHIR Schedule) and free slots (FHIR Slot).
 *
 * - `PUT /doctor/availability`: the weekly grid in the doctor's IANA zone; replaces the
 *   previous one (booked appointments stay as booked).
 * - exceptions: spans when the doctor is away; no slot overlapping one is free or bookable.
 * - `GET /doctors/{id}/slots`: the grid of a window of at most 31 days, expanded with Luxon
 *   (`slots.ts`), minus exceptions, booked appointments and the past.
 */
import type { Deps } from '../../app/deps.js'
import { NotFoundError, ValidationError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { WeeklyAvailability } from '../../db/schema.js'
import { authorize, type UserActor } from '../../policy/index.js'
import { findVerifiedDoctor } from '../doctors/doctors.service.js'
import * as q from './appointments.queries.js'
import {
  toAvailabilityDto,
  toExceptionDto,
  type AvailabilityDto,
  type AvailabilityExceptionDto,
  type AvailabilityInput,
  type ExceptionInput,
  type SlotsInput,
} from './appointments.schema.js'
import { freeSlots, isKnownTimeZone, weeklyErrors, type Schedule } from './slots.js'

const DAY_MS = 86_400_000
/** The widest slot window one request may ask for (SPEC §10). */
export const MAX_SLOT_WINDOW_DAYS = 31

const isCalendarDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v)

/** A stored schedule as `slots.ts` reads it. */
export const scheduleOf = (row: q.ScheduleRow): Schedule => ({ timeZone: row.timeZone, slotMinutes: row.slotMinutes, weekly: row.weekly })

/**
 * `PUT /doctor/availability` (SPEC §10): the calling doctor's weekly availability → the
 * availability as stored (windows sorted by weekday and start). ValidationError (400) for a
 * time zone Luxon does not know (`IANAZone.isValidZone`), a window whose start is not before
 * its end, or two overlapping windows of one weekday — every bad field at once.
 */
export async function putAvailability(deps: Deps, actor: UserActor, input: AvailabilityInput): Promise<AvailabilityDto> {
  authorize(actor, 'availability.manage', { userId: actor.id })
  const weekly = input.weekly as WeeklyAvailability[]
  const errors = weeklyErrors(weekly)
  if (!isKnownTimeZone(input.timeZone)) errors.unshift({ path: '/timeZone', message: 'Not an IANA time zone (e.g. Europe/Paris).' })
  if (errors.length > 0) throw new ValidationError('Invalid availability.', errors)
  const sorted = [...weekly].sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start))
  const row = await q.upsertSchedule(deps.db, { doctorId: actor.id, timeZone: input.timeZone, slotMinutes: input.slotMinutes, weekly: sorted, updatedAt: deps.now() })
  return toAvailabilityDto(row)
}

/** `GET /doctor/availability`: the calling doctor's; NotFoundError (404) before they publish one. */
export async function getAvailability(deps: Deps, actor: UserActor): Promise<AvailabilityDto> {
  authorize(actor, 'availability.manage', { userId: actor.id })
  const row = await q.findSchedule(deps.db, actor.id)
  if (!row) throw new NotFoundError('You have not published an availability yet.')
  return toAvailabilityDto(row)
}

/** `POST /doctor/availability/exceptions {from, to, reason?}` → 201; ValidationError when `from` is not before `to`. */
export async function createException(deps: Deps, actor: UserActor, input: ExceptionInput): Promise<AvailabilityExceptionDto> {
  authorize(actor, 'availability.manage', { userId: actor.id })
  const startsAt = new Date(input.from)
  const endsAt = new Date(input.to)
  if (startsAt >= endsAt) throw new ValidationError('`from` must be before `to`.', [{ path: '/to', message: 'Must be after `from`.' }])
  const row = await q.insertException(deps.db, { doctorId: actor.id, startsAt, endsAt, reason: input.reason || null, createdAt: deps.now() })
  return toExceptionDto(row)
}

/**
 * `GET /doctor/availability/exceptions?limit&cursor`: the calling doctor's exceptions that have
 * not ended, earliest first (keyset on start, id).
 */
export async function listExceptions(deps: Deps, actor: UserActor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: AvailabilityExceptionDto[]; nextCursor: string | null }> {
  authorize(actor, 'availability.manage', { userId: actor.id })
  const after = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const rows = await q.listExceptionPage(deps.db, actor.id, { endsAfter: deps.now(), after: after ? { at: after[0], id: after[1] } : undefined, limit: query.limit + 1 })
  return toPage(rows, query.limit, (r) => [r.startsAt.toISOString(), r.id], toExceptionDto)
}

/** `DELETE /doctor/availability/exceptions/{id}` → 204; NotFoundError for an id that is not the caller's. */
export async function deleteException(deps: Deps, actor: UserActor, id: string): Promise<void> {
  authorize(actor, 'availability.manage', { userId: actor.id })
  if (!(await q.deleteException(deps.db, actor.id, id))) throw new NotFoundError('No such exception.')
}

/**
 * `from`/`to` of the slots query as `[from, to)`: a date is its whole UTC day (so `to` a date
 * includes that day), an instant itself. ValidationError when `from` is not before `to` or
 * the window is longer than 31 days.
 */
export function slotWindow(query: SlotsInput): { from: Date; to: Date } {
  const from = new Date(isCalendarDate(query.from) ? `${query.from}T00:00:00.000Z` : query.from)
  const to = isCalendarDate(query.to) ? new Date(Date.parse(`${query.to}T00:00:00.000Z`) + DAY_MS) : new Date(query.to)
  if (from >= to) throw new ValidationError('`from` must be before `to`.', [{ path: '/from', message: 'Must be before `to`.' }])
  if (to.getTime() - from.getTime() > MAX_SLOT_WINDOW_DAYS * DAY_MS) {
    throw new ValidationError(`Ask for at most ${MAX_SLOT_WINDOW_DAYS} days of slots at once.`, [{ path: '/to', message: `At most ${MAX_SLOT_WINDOW_DAYS} days after \`from\`.` }])
  }
  return { from, to }
}

/**
 * `GET /doctors/{id}/slots?from&to` (SPEC §10): the free slots of a verified doctor that start
 * in the window, earliest first, `{items: [{start, end}]}` (instants). Empty when the doctor has
 * published no availability. NotFoundError for an unknown or unverified doctor; ValidationError
 * for the window (see `slotWindow`).
 */
export async function listFreeSlots(deps: Deps, actor: UserActor, doctorId: string, query: SlotsInput): Promise<{ items: { start: string; end: string }[] }> {
  authorize(actor, 'slots.read', { userId: actor.id })
  const window = slotWindow(query)
  const doctor = await findVerifiedDoctor(deps.db, doctorId)
  if (!doctor) throw new NotFoundError('No verified doctor with this id.')
  const schedule = await q.findSchedule(deps.db, doctorId)
  if (!schedule) return { items: [] }
  const exceptions = await q.listExceptions(deps.db, doctorId, { endsAfter: window.from, startsBefore: window.to })
  const booked = await q.listBookedSpans(deps.db, doctorId, window.from, window.to)
  const slots = freeSlots(
    scheduleOf(schedule),
    { ...window, now: deps.now() },
    exceptions.map((e) => ({ start: e.startsAt, end: e.endsAt })),
    booked.map((b) => ({ start: b.startsAt, end: b.endsAt })),
  )
  return { items: slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })) }
}
