/**
 * Schema building blocks shared by every feature (SPEC §2 conventions): ids, dates,
 * instants, text, list pages and problem bodies. Objects are strict: unknown fields are 400.
 */
import { isValid, parseISO } from 'date-fns'
import { z } from 'zod'

export const Uuid = z.uuid()

/**
 * Characters no text field carries (SPEC §6): controls (Unicode Cc: C0 incl. \n \r \t and
 * \u0000, DEL, C1 incl. \u0085), the line and paragraph separators \u2028 \u2029, lone
 * surrogates, and format characters (Cf: bidi embeddings, overrides and isolates
 * \u202a–\u202e \u2066–\u2069, LRM/RLM, zero-width space, BOM, soft hyphen…) — except the
 * zero-width (non-)joiner \u200c \u200d, which Persian and Indic names and emoji sequences need.
 */
/** Characters a single-line field refuses (SPEC §6): controls, line/paragraph separators, lone surrogates, invisible format characters except ZWNJ/ZWJ. */
export const SINGLE_LINE_FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]|(?![\u200c\u200d])\p{Cf}/u
/** The same, but line feeds and tabs are text in a multi-line field. */
const MULTI_LINE_FORBIDDEN = /(?![\n\t])\p{Cc}|[\p{Zl}\p{Zp}\p{Cs}]|(?![\u200c\u200d])\p{Cf}/u

/**
 * A single-line text field (a name, a title, a dosage…), at most `max` characters after
 * trimming: any control or invisible format character is 400 (SPEC §6), checked before the
 * trim so a trailing newline is refused rather than silently dropped. Still a `z.string()`:
 * add `.min(1)` for a required field, `.optional()`, `.nullable()`…
 */
export const singleLine = (max: number) =>
  z
    .string()
    .refine((v) => !SINGLE_LINE_FORBIDDEN.test(v), 'Control characters are not allowed in this field.')
    .trim()
    .max(max, `Use at most ${max} characters.`)

/**
 * A multi-line free-text field (notes, descriptions, reasons), at most `max` characters after
 * trimming. Line breaks arrive as \n, \r\n (browsers send form fields so) or \r and are
 * stored as \n; tabs are kept; every other control or format character is 400 as in `singleLine`.
 */
export const multiLine = (max: number) =>
  z
    .string()
    .overwrite((v) => v.replace(/\r\n?/g, '\n'))
    .refine((v) => !MULTI_LINE_FORBIDDEN.test(v), 'Control characters other than line breaks and tabs are not allowed in this field.')
    .trim()
    .max(max, `Use at most ${max} characters.`)

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
  // One OpenAPI component (`#/components/schemas/Problem`), referenced by every error answer.
  .meta({ id: 'Problem' })

/** 503 `storage-unavailable` of a route that reads or writes files (SPEC §11): nothing was stored; `Retry-After`. */
export const StorageUnavailable = Problem.describe('File storage (S3) is not answering: nothing was stored or read; try again after Retry-After.')

/** An action route's body: none, or `{}` (SPEC §2). */
export const EmptyBody = z.object({}).strict().nullish()

/** Instant as ISO-8601 UTC with milliseconds. */
export const toInstant = (d: Date | string): string => (typeof d === 'string' ? new Date(d) : d).toISOString()
