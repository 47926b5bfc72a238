/**
 * Free slots (SPEC §10, FHIR Slot): a doctor's weekly availability (FHIR Schedule) expanded
 * into instants with Luxon in the doctor's IANA time zone — so a window "09:00–12:00 on
 * Mondays" in Europe/Paris is 08:00Z in winter and 07:00Z in summer, and on the day the clocks
 * change the wall-clock hours that do not exist are skipped (never done by hand: SPEC §10).
 * Pure functions: the service supplies the schedule, exceptions, bookings and "now".
 */
import { DateTime, IANAZone } from 'luxon'
import type { WeeklyAvailability } from '../../db/schema.js'

/** A doctor's weekly availability as stored (`doctor_schedules`). */
export interface Schedule {
  timeZone: string
  slotMinutes: number
  weekly: readonly WeeklyAvailability[]
}

/** One slot: `[start, end)` as instants. */
export interface Slot {
  start: Date
  end: Date
}

/** A span of time `[start, end)` (an exception, a booked appointment). */
export interface Span {
  start: Date
  end: Date
}

/** True when `zone` is an IANA time zone name this runtime knows (`Europe/Paris`; not `Mars/Base`). */
export const isKnownTimeZone = (zone: string): boolean => IANAZone.isValidZone(zone)

/** `"HH:MM"` → minutes after midnight. */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))

/**
 * The grid of `schedule` for the slots that start in `[from, to)`: every window of every day
 * (in the schedule's zone) cut into `slotMinutes` slots from its start; a last piece shorter
 * than a slot is dropped. Wall-clock times are placed with Luxon: a window starting in a
 * spring-forward gap starts at the first valid instant after it, and slots step in real
 * minutes, so a window spanning the change holds one slot fewer (spring) or more (autumn) —
 * what the doctor actually sits through. Sorted by start.
 */
export function gridSlots(schedule: Schedule, from: Date, to: Date): Slot[] {
  const zone = schedule.timeZone
  const stepMs = schedule.slotMinutes * 60_000
  const out: Slot[] = []
  // From the day before `from` (a window may not start on `from`'s local day) to the day after `to`.
  let day = DateTime.fromJSDate(from, { zone }).startOf('day').minus({ days: 1 })
  const lastDay = DateTime.fromJSDate(to, { zone }).startOf('day').plus({ days: 1 })
  while (day <= lastDay) {
    for (const w of schedule.weekly) {
      if (w.weekday !== day.weekday) continue
      const startMin = minutesOf(w.start)
      const endMin = minutesOf(w.end)
      const windowStart = day.set({ hour: Math.floor(startMin / 60), minute: startMin % 60 })
      const windowEnd = endMin === 24 * 60 ? day.plus({ days: 1 }).startOf('day') : day.set({ hour: Math.floor(endMin / 60), minute: endMin % 60 })
      for (let s = windowStart.toMillis(); s + stepMs <= windowEnd.toMillis(); s += stepMs) {
        if (s >= from.getTime() && s < to.getTime()) out.push({ start: new Date(s), end: new Date(s + stepMs) })
      }
    }
    day = day.plus({ days: 1 })
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime())
}

const overlaps = (s: Slot, x: Span) => s.start < x.end && s.end > x.start

/**
 * The free slots of `[from, to)`: the grid minus slots overlapping an exception, minus those
 * overlapping a booked appointment, minus those that start at or before `now`.
 */
export function freeSlots(schedule: Schedule, window: { from: Date; to: Date; now: Date }, exceptions: readonly Span[], booked: readonly Span[]): Slot[] {
  const from = window.from > window.now ? window.from : new Date(window.now.getTime() + 1)
  if (from >= window.to) return []
  return gridSlots(schedule, from, window.to).filter((s) => !exceptions.some((x) => overlaps(s, x)) && !booked.some((b) => overlaps(s, b)))
}

/**
 * The slot starting at `start` when it is one of the grid's, in the future and clear of every
 * exception — what a booking or reschedule may take (whether it is already booked is the
 * unique index's to say). Undefined otherwise.
 */
export function bookableSlot(schedule: Schedule, start: Date, now: Date, exceptions: readonly Span[]): Slot | undefined {
  if (start <= now) return undefined
  const slot = gridSlots(schedule, start, new Date(start.getTime() + 1))[0]
  if (!slot || slot.start.getTime() !== start.getTime()) return undefined
  return exceptions.some((x) => overlaps(slot, x)) ? undefined : slot
}

/**
 * Problems of a weekly availability, as JSON pointers under `/weekly` (empty when fine): a
 * window must end after it starts, and two windows of one weekday must not overlap.
 */
export function weeklyErrors(weekly: readonly WeeklyAvailability[]): { path: string; message: string }[] {
  const errors: { path: string; message: string }[] = []
  weekly.forEach((w, i) => {
    if (minutesOf(w.start) >= minutesOf(w.end)) errors.push({ path: `/weekly/${i}/end`, message: 'A window must end after it starts.' })
  })
  weekly.forEach((w, i) => {
    weekly.forEach((o, j) => {
      if (j >= i || o.weekday !== w.weekday) return
      if (minutesOf(w.start) < minutesOf(o.end) && minutesOf(o.start) < minutesOf(w.end)) {
        errors.push({ path: `/weekly/${i}`, message: `Overlaps window ${j} on the same weekday.` })
      }
    })
  })
  return errors
}
