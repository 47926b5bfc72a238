/**
 * Schema building blocks shared by every feature (SPEC §2 conventions): ids, dates,
 * instants, list pages and problem bodies. Objects are strict: unknown fields are 400.
 */
import { isValid, parseISO } from 'date-fns'
import { z } from 'zod'

export const Uuid = z.uuid()

/** A calendar date `YYYY-MM-DD` that exists (no 2026-02-30). */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Expected a date as YYYY-MM-DD.')
  .refine((v) => isValid(parseISO(v)) && parseISO(v).toISOString().startsWith(v), 'Not a real calendar date.')

/** A date (`YYYY-MM-DD`) or an ISO-8601 instant, as `from`/`to` filters accept (SPEC §2). */
export const DateOrInstant = z.union([CalendarDate, z.iso.datetime({ offset: true })])

/** `{pid}`: a patient's user id or `me` (SPEC §4). */
export const PatientIdParam = z.union([z.literal('me'), Uuid])

export const ListQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
}

/** `{items, nextCursor}` of SPEC §2. */
export const Page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() })

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()

/** An action route's body: none, or `{}` (SPEC §2). */
export const EmptyBody = z.object({}).strict().nullish()

/** Instant as ISO-8601 UTC with milliseconds. */
export const toInstant = (d: Date | string): string => (typeof d === 'string' ? new Date(d) : d).toISOString()
