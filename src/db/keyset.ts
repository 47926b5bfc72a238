/**
 * Opaque keyset cursors (SPEC §2: no OFFSET; "a cursor the server did not issue, or altered,
 * is 400 — never 500"). A cursor is the unpadded base64url (RFC 4648 §5) JSON of the last
 * row's sort key, a tuple. Each list decodes its cursors with its own tuple schema
 * (STYLE §9: untrusted input is parsed once, by a schema), so what reaches SQL is typed and
 * within what PostgreSQL accepts — a bad cursor never becomes a database error.
 */
import { sql, type SelectQueryBuilder } from 'kysely'
import { z } from 'zod'
import { ValidationError } from '../app/errors.js'

/** Longest cursor accepted, in characters (the `cursor` query parameter has the same cap). */
export const MAX_CURSOR_LENGTH = 512

/** A sort key as the cursor carries it: instants as ISO-8601 UTC strings (`toISOString()`). */
export type CursorKey = readonly (string | number)[]

// ---------------------------------------------------------------------------------------
// Elements of a cursor's tuple

/** ISO-8601 accepts year 0000; PostgreSQL has no year zero (22008). Years past 9999 fail both. */
const notYearZero = (v: string) => !v.startsWith('0000')

/** An instant as `toISOString()` writes it (UTC, `Z`), decoded to a Date. */
export const CursorInstant = z.iso
  .datetime()
  .refine(notYearZero)
  .transform((v) => new Date(v))

/** A calendar date `YYYY-MM-DD` that exists (a record's date), kept as text like the `date` column. */
export const CursorDate = z.iso.date().refine(notYearZero)

/** A row id (RFC 9562 UUID, as every id of the API). */
export const CursorId = z.uuid()

/** `[instant, id]`: the cursor of a list ordered by a timestamp, then id. */
export const InstantIdCursor = z.tuple([CursorInstant, CursorId])

// ---------------------------------------------------------------------------------------
// Codec

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/** The JSON a cursor carries. Only the canonical base64url text `encodeCursor` writes is accepted
 *  (no padding, blanks or stray characters, which Node's decoder would silently skip). */
const CursorJson = z
  .string()
  .max(MAX_CURSOR_LENGTH)
  .transform((text, ctx) => {
    const bytes = Buffer.from(text, 'base64url')
    if (bytes.toString('base64url') !== text) {
      ctx.addIssue({ code: 'custom', message: 'Not base64url.' })
      return z.NEVER
    }
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Not JSON.' })
      return z.NEVER
    }
  })

/** The 400 of a cursor this list did not issue; the same for every way it can be wrong. */
export const invalidCursor = () =>
  new ValidationError('The cursor is not valid.', [{ path: '/cursor', message: 'Not a cursor this list issued; start again from the first page.' }])

/**
 * Decodes `raw` with the list's tuple `schema`, e.g. `decodeCursor(raw, InstantIdCursor)` →
 * `[Date, string]`. Throws ValidationError (400, `errors: [{path: '/cursor'}]`) for anything
 * but a cursor of that shape: not base64url JSON, wrong shape or arity, an element of the
 * wrong type or out of range, longer than MAX_CURSOR_LENGTH.
 */
export function decodeCursor<S extends z.ZodTuple>(raw: string, schema: S): z.output<S> {
  const parsed = CursorJson.pipe(schema).safeParse(raw)
  if (!parsed.success) throw invalidCursor()
  return parsed.data
}

// ---------------------------------------------------------------------------------------
// Pages

/** Splits `limit + 1` rows into the page and the cursor after its last row (null on the last page). */
export function splitPage<R>(rows: readonly R[], limit: number, keyOf: (row: R) => CursorKey): { page: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return { page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null }
}

/** `{items, nextCursor}` of SPEC §2 from `limit + 1` rows, each mapped to its DTO. */
export function toPage<R, T>(rows: readonly R[], limit: number, keyOf: (row: R) => CursorKey, map: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const { page, nextCursor } = splitPage(rows, limit, keyOf)
  return { items: page.map(map), nextCursor }
}

// ---------------------------------------------------------------------------------------
// Newest-first windows

/** A window of a newest-first list ordered by (time DESC, id DESC): `from` ≤ time < `toExclusive`, after the keyset position `after`, at most `limit` rows. */
export interface NewestFirstWindow {
  from?: Date | undefined
  toExclusive?: Date | undefined
  /** The sort key of the last row of the previous page. */
  after?: { at: Date; id: string } | undefined
  limit?: number | undefined
}

/**
 * Adds a newest-first keyset window to `q` (SPEC §2: no OFFSET): `time >= from`,
 * `time < toExclusive`, `(time, id) < after`, then ORDER BY time DESC, id DESC and the limit —
 * the order of a (patient, …, time DESC, id DESC) index. `time` and `id` are column
 * references as the query names them (`'vitals.measuredAt'`, `'id'`).
 */
export function newestFirst<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>, time: string, id: string, w: NewestFirstWindow): SelectQueryBuilder<DB, TB, O> {
  const t = sql.ref(time)
  const i = sql.ref(id)
  let out = q
  if (w.from) out = out.where(sql<boolean>`${t} >= ${w.from}`)
  if (w.toExclusive) out = out.where(sql<boolean>`${t} < ${w.toExclusive}`)
  if (w.after) out = out.where(sql<boolean>`(${t}, ${i}) < (${w.after.at}, ${w.after.id})`)
  out = out.orderBy(t, 'desc').orderBy(i, 'desc')
  return w.limit === undefined ? out : out.limit(w.limit)
}
