/**
 * The search parameters of the FHIR API (SPEC §9; FHIR R4 §3.1.1 Search), parsed once by
 * zod schemas: `patient` (required; `Patient/{id}` or `{id}`), `_count` (1–100, default 20),
 * `_cursor` (the opaque keyset cursor of a `next` link), and for Observation `code`
 * (`system|code` or `code`, comma = or), `date` (`ge`/`le`/`gt`/`lt`/`eq` prefixes, repeatable
 * = and) and `category` (`vital-signs`, `laboratory`).
 *
 * Unknown parameters: strict by default (400 OperationOutcome, FHIR R4 §3.1.1.4.6 "strict"
 * handling); with `Prefer: handling=lenient` they are ignored.
 */
import { z } from 'zod'
import { ValidationError, type FieldError } from '../../app/errors.js'
import { MAX_CURSOR_LENGTH } from '../../db/keyset.js'
import { vitalTypeForLoinc } from '../vitals/vital-types.js'
import { LOINC } from './fhir-codes.js'

const UUID = z.uuid()

/** `Patient/{id}` or `{id}` → the id (a UUID, as every id here). */
const PatientParam = z
  .string()
  .max(100)
  .transform((v, ctx) => {
    const id = v.startsWith('Patient/') ? v.slice('Patient/'.length) : v
    if (!UUID.safeParse(id).success) {
      ctx.addIssue({ code: 'custom', message: 'Must be Patient/{id} or {id}, the id of a patient.' })
      return z.NEVER
    }
    return id
  })

const Count = z.coerce.number().int().min(1).max(100).default(20)
const Cursor = z.string().min(1).max(MAX_CURSOR_LENGTH)

/** The parameters every search takes. */
export const BaseSearch = z.strictObject({ patient: PatientParam, _count: Count, _cursor: Cursor.optional() })
export type BaseSearchInput = z.output<typeof BaseSearch>

const OneOrMany = z.union([z.string().max(200), z.array(z.string().max(200)).max(4)])

/** The Observation search's parameters. */
export const ObservationSearch = BaseSearch.extend({
  code: z.string().max(1000).optional(),
  date: OneOrMany.optional(),
  category: z.string().max(200).optional(),
})
export type ObservationSearchInput = z.output<typeof ObservationSearch>

/** Parses a search's query string with `schema`, strict or (Prefer: handling=lenient) ignoring unknown parameters; a bad one is a ValidationError naming it. */
export function parseSearch<S extends z.ZodObject>(schema: S, query: unknown, lenient: boolean): z.output<S> {
  const parsed = (lenient ? schema.strip() : schema).safeParse(query ?? {})
  if (parsed.success) return parsed.data as z.output<S>
  const errors: FieldError[] = parsed.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? { path: '/', message: `Unknown search parameter(s): ${i.keys.join(', ')}. Send Prefer: handling=lenient to have them ignored.` }
      : { path: `/${i.path.join('/')}`, message: i.message },
  )
  throw new ValidationError('The search parameters are invalid.', errors)
}

/** True when the request asks for lenient handling of unknown parameters (FHIR R4 §3.1.1.4.6). */
export const isLenient = (prefer: string | undefined): boolean => /(^|[,;\s])handling=lenient(\s*($|[,;]))/.test(prefer ?? '')

// ---------------------------------------------------------------------------------------
// Observation: code, category, date

/** What an Observation search reads: vital types and lab codes (undefined: all; empty: none) and the time window. */
export interface ObservationQuery {
  vitalTypes?: string[] | undefined
  labCodes?: string[] | undefined
  from?: Date | undefined
  toExclusive?: Date | undefined
  /** True when the filters can match nothing (e.g. a code of another system, an empty window). */
  none: boolean
}

const bad = (path: string, message: string) => new ValidationError('The search parameters are invalid.', [{ path, message }])

/** `code`: tokens `system|code` or `code`, comma-separated; only LOINC codes can match. */
function parseCodes(raw: string): string[] {
  const codes: string[] = []
  for (const token of raw.split(',')) {
    const bar = token.lastIndexOf('|')
    const system = bar >= 0 ? token.slice(0, bar) : undefined
    const code = bar >= 0 ? token.slice(bar + 1) : token
    if (!/^[A-Za-z0-9.-]{1,40}$/.test(code)) throw bad('/code', 'Each code is `system|code` or `code`.')
    if (system === undefined || system === '' || system === LOINC) codes.push(code)
  }
  return codes
}

const CATEGORIES = new Set(['vital-signs', 'laboratory'])

/** `category`: tokens with or without the observation-category system; unknown categories match nothing. */
function parseCategories(raw: string): Set<string> {
  const out = new Set<string>()
  for (const token of raw.split(',')) {
    const code = token.slice(token.lastIndexOf('|') + 1)
    if (code === '') throw bad('/category', 'Each category is `system|code` or `code`.')
    if (CATEGORIES.has(code)) out.add(code)
  }
  return out
}

const DATE_VALUE = /^(ge|le|gt|lt|eq)?(\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?)?)?)$/

/** The interval `[start, end)` a FHIR date of some precision covers (UTC), or undefined when it is not a real date. */
function dateInterval(v: string): [Date, Date] | undefined {
  const parts = v.split(/[-T]/)
  let start: Date
  let end: Date
  if (v.length === 4) {
    start = new Date(Date.UTC(Number(v), 0, 1))
    end = new Date(Date.UTC(Number(v) + 1, 0, 1))
  } else if (v.length === 7) {
    start = new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 1))
    end = new Date(Date.UTC(Number(parts[0]), Number(parts[1]), 1))
    if (Number(parts[1]) < 1 || Number(parts[1]) > 12) return undefined
  } else if (v.length === 10) {
    start = new Date(`${v}T00:00:00.000Z`)
    end = new Date(start.getTime() + 86_400_000)
    if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== v) return undefined
  } else {
    start = new Date(v)
    // An instant given to the second or millisecond covers that second or millisecond.
    end = new Date(start.getTime() + (v.includes('.') ? 1 : /T\d{2}:\d{2}:\d{2}/.test(v) ? 1000 : 60_000))
  }
  if (Number.isNaN(start.getTime()) || start.getUTCFullYear() < 1) return undefined
  return [start, end]
}

/**
 * The Observation filters of a search: `code` → vital types (by their LOINC, SPEC §4.8) and
 * lab codes; `category` → which of the two is read; `date` → the window (every value must
 * hold: `ge2024-01-01&date=le2024-12-31`). Throws ValidationError (400) for a malformed value.
 */
export function observationQuery(input: ObservationSearchInput): ObservationQuery {
  const out: ObservationQuery = { none: false }
  if (input.code !== undefined) {
    const codes = parseCodes(input.code)
    out.vitalTypes = [...new Set(codes.flatMap((c) => vitalTypeForLoinc(c) ?? []))]
    out.labCodes = codes
  }
  if (input.category !== undefined) {
    const categories = parseCategories(input.category)
    if (!categories.has('vital-signs')) out.vitalTypes = []
    if (!categories.has('laboratory')) out.labCodes = []
  }
  const dates = input.date === undefined ? [] : Array.isArray(input.date) ? input.date : [input.date]
  for (const raw of dates) {
    const m = DATE_VALUE.exec(raw)
    const interval = m ? dateInterval(m[2] as string) : undefined
    if (!m || !interval) throw bad('/date', 'A date is [ge|le|gt|lt|eq]YYYY[-MM[-DD[Thh:mm[:ss[.sss]]±hh:mm|Z]]].')
    const [start, end] = interval
    const prefix = m[1] ?? 'eq'
    const from = prefix === 'ge' || prefix === 'eq' ? start : prefix === 'gt' ? end : undefined
    const to = prefix === 'le' || prefix === 'eq' ? end : prefix === 'lt' ? start : undefined
    if (from && (!out.from || from > out.from)) out.from = from
    if (to && (!out.toExclusive || to < out.toExclusive)) out.toExclusive = to
  }
  if (out.from && out.toExclusive && out.from >= out.toExclusive) out.none = true
  if (out.vitalTypes?.length === 0 && out.labCodes?.length === 0) out.none = true
  return out
}
