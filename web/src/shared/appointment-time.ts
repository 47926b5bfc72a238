/**
 * Dates and times of appointments and availability in the web app (SPEC §10). The API speaks
 * instants (ISO-8601 UTC); people read wall-clock times in a time zone — the browser's by
 * default, or a doctor's schedule zone. Day arithmetic goes through date-fns (local days) and
 * Luxon (a named IANA zone), never by hand.
 */
import { addDays, format, startOfDay } from 'date-fns'
import { DateTime } from 'luxon'

/** The browser's IANA time zone (`Europe/Madrid`). */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone

/** Every IANA zone name the browser knows, for a time-zone picker (the browser's own included). */
export function timeZoneNames(): string[] {
  const names = new Set(Intl.supportedValuesOf('timeZone'))
  names.add('UTC')
  names.add(browserTimeZone())
  return [...names].sort()
}

/** ISO 8601 weekdays (Monday = 1 … Sunday = 7), as the schedule's `weekly[].weekday` counts them. */
export const WEEKDAYS = [
  { value: 1, label: 'Monday' },
  { value: 2, label: 'Tuesday' },
  { value: 3, label: 'Wednesday' },
  { value: 4, label: 'Thursday' },
  { value: 5, label: 'Friday' },
  { value: 6, label: 'Saturday' },
  { value: 7, label: 'Sunday' },
] as const

/** `09:30` of an instant, in `timeZone` (the browser's when undefined). */
export function formatTime(instant: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone }).format(new Date(instant))
}

/** `Mon, 7 Dec` (long: `Monday, 7 December 2026`) of an instant or a local `Date`. */
export function formatDay(value: string | Date, long = false, timeZone?: string): string {
  const opts: Intl.DateTimeFormatOptions = long
    ? { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone }
    : { weekday: 'short', day: 'numeric', month: 'short', timeZone }
  return new Intl.DateTimeFormat(undefined, opts).format(typeof value === 'string' ? new Date(value) : value)
}

/** `Monday, 7 December 2026, 09:30–10:00` of an appointment, in the browser's zone. */
export function formatSpan(start: string, end: string): string {
  return `${formatDay(start, true)}, ${formatTime(start)}–${formatTime(end)}`
}

/** The local calendar date `YYYY-MM-DD` of an instant (browser zone) or a local `Date`. */
export function localDay(value: string | Date): string {
  return format(typeof value === 'string' ? new Date(value) : value, 'yyyy-MM-dd')
}

/** The next `count` local days from today (today first), as local midnights. */
export function nextDays(count: number, from: Date = new Date()): Date[] {
  const first = startOfDay(from)
  return Array.from({ length: count }, (_, i) => addDays(first, i))
}

/** Items with a `start` instant grouped by local day (`YYYY-MM-DD`), each group in start order. */
export function byLocalDay<T extends { start: string }>(items: readonly T[]): Map<string, T[]> {
  const days = new Map<string, T[]>()
  for (const item of [...items].sort((a, b) => a.start.localeCompare(b.start))) {
    const key = localDay(item.start)
    days.set(key, [...(days.get(key) ?? []), item])
  }
  return days
}

/**
 * The instant (ISO-8601 UTC) of a `datetime-local` input's value (`2026-12-07T09:30`) read as
 * wall-clock time in `timeZone`; null when it is not a time (DST gaps move forward, as Luxon does).
 */
export function zonedInputToInstant(value: string, timeZone: string): string | null {
  const dt = DateTime.fromISO(value, { zone: timeZone })
  return dt.isValid ? dt.toUTC().toISO() : null
}

/** `7 Dec 2026, 09:30` of an instant in `timeZone`, for exceptions shown in the schedule's zone. */
export function formatInZone(instant: string, timeZone: string): string {
  const dt = DateTime.fromISO(instant, { zone: timeZone })
  return dt.isValid ? dt.toLocaleString(DateTime.DATETIME_MED) : instant
}
