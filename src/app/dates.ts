/**
 * Calendar dates and times as the server writes them (SPEC §2: calendar dates are
 * `YYYY-MM-DD`, instants are UTC): the one module for date formatting. Formatting reads
 * the ISO string rather than date-fns' `format`, which formats in the process's local time
 * zone (UTC would need @date-fns/utc); date arithmetic uses date-fns.
 */
import { ValidationError } from './errors.js'

const isoOf = (instant: Date | string): string => (typeof instant === 'string' ? new Date(instant) : instant).toISOString()

/** The UTC calendar date of an instant: `2026-11-20T23:30:00Z` → `2026-11-20`. */
export const utcDate = (instant: Date | string): string => isoOf(instant).slice(0, 10)

/** An instant as people read it (emails, SMS, pages), in UTC to the minute: `2026-11-20T08:15:42Z` → `2026-11-20 08:15 UTC`. */
export function formatUtc(instant: Date | string): string {
  const iso = isoOf(instant)
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

const startOfUtcDay = (date: string) => new Date(`${date}T00:00:00.000Z`)
const isDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v)

/**
 * `from`/`to` of SPEC §2 as bounds on `at`: a date is its whole UTC day, an instant itself,
 * both inclusive. Returns `from` (inclusive) and `before` (exclusive).
 */
export function instantBounds(from: string | undefined, to: string | undefined): { from?: Date; before?: Date } {
  const out: { from?: Date; before?: Date } = {}
  if (from !== undefined) out.from = isDate(from) ? startOfUtcDay(from) : new Date(from)
  if (to !== undefined) {
    out.before = isDate(to) ? new Date(startOfUtcDay(to).getTime() + 86_400_000) : new Date(new Date(to).getTime() + 1)
  }
  if (out.from && out.before && out.from >= out.before) {
    throw new ValidationError('`from` is after `to`.', [{ path: '/from', message: 'Must not be after `to`.' }])
  }
  return out
}
