/**
 * HL7 V3 data types of a C-CDA document, read leniently (SPEC §9): codes (CD/CE with
 * translations, code system OIDs → FHIR system URIs), times (TS, IVL_TS), quantities (PQ),
 * instance identifiers (II → the import's dedup key), and the "this says nothing" markers
 * (`nullFlavor`, `negationInd`). Never throws on content.
 */
import { createHash } from 'node:crypto'
import { LOINC, RXNORM, SNOMED, toDate, toInstant, type Coding } from '../fhir-json.js'
import { attr, kid, kids, path, textOf, type XNode } from './ccda-xml.js'

/** Code system OIDs (HL7 terminology) → the FHIR URIs the rest of CareLocker uses. */
const SYSTEM_BY_OID: Readonly<Record<string, string>> = {
  '2.16.840.1.113883.6.1': LOINC,
  '2.16.840.1.113883.6.96': SNOMED,
  '2.16.840.1.113883.6.88': RXNORM,
  '2.16.840.1.113883.4.9': 'http://fdasis.nlm.nih.gov', // UNII
  '2.16.840.1.113883.6.69': 'http://hl7.org/fhir/sid/ndc',
  '2.16.840.1.113883.12.292': 'http://hl7.org/fhir/sid/cvx',
  '2.16.840.1.113883.6.90': 'http://hl7.org/fhir/sid/icd-10-cm',
}
const systemOf = (oid: string) => SYSTEM_BY_OID[oid] ?? `urn:oid:${oid}`

/** The code of a CD element and of its translations, usable ones only (system and code, no nullFlavor). */
export function codingsOf(cd: XNode | undefined): Coding[] {
  if (!cd) return []
  return [cd, ...kids(cd, 'translation')].flatMap((c) => {
    const code = attr(c, 'code')
    const oid = attr(c, 'codeSystem')
    if (!code || !oid || attr(c, 'nullFlavor')) return []
    const display = attr(c, 'displayName')
    return [display ? { system: systemOf(oid), code, display } : { system: systemOf(oid), code }]
  })
}

/** A coding of `cd`, preferring `systems` in order, else the first usable one. */
export function pickCode(cd: XNode | undefined, systems: readonly string[]): Coding | undefined {
  const all = codingsOf(cd)
  for (const s of systems) {
    const hit = all.find((c) => c.system === s)
    if (hit) return hit
  }
  return all[0]
}

/** A human name for a CD: its display name, its originalText when written out (not a `<reference>` only), a translation's display, else the code. */
export function codeText(cd: XNode | undefined): string | undefined {
  if (!cd) return undefined
  // originalText's own words; a bare <reference> into the narrative is not followed.
  const originalText = kid(cd, 'originalText')?.text.replace(/\s+/g, ' ').trim() || undefined
  return attr(cd, 'displayName') ?? originalText ?? kids(cd, 'translation').map((t) => attr(t, 'displayName')).find(Boolean) ?? attr(cd, 'code')
}

/** True when the element or its value says "no information" (`nullFlavor`). */
export const isNull = (n: XNode | undefined): boolean => n === undefined || attr(n, 'nullFlavor') !== undefined

/** True for `negationInd="true"`: the entry states an absence ("no known allergies"). */
export const isNegated = (n: XNode): boolean => attr(n, 'negationInd') === 'true'

const TS = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d+)?([+-]\d{4})?$/

/** HL7 TS (`YYYYMMDDHHMMSS.s±ZZZZ`, truncated at any step) → FHIR dateTime text; undefined when not a TS. */
function tsToFhir(value: string | undefined): string | undefined {
  const m = value ? TS.exec(value) : null
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, tz] = m
  if (!mo) return y
  if (!d) return `${y}-${mo}`
  if (!h) return `${y}-${mo}-${d}`
  const zone = tz ? `${tz.slice(0, 3)}:${tz.slice(3)}` : ''
  return `${y}-${mo}-${d}T${h}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${zone}`
}

/** A TS or IVL_TS element → its point in time: `@value`, else `low/@value`, else `center/@value`. */
function pointOf(n: XNode | undefined): string | undefined {
  return tsToFhir(attr(n, 'value') ?? attr(kid(n, 'low'), 'value') ?? attr(kid(n, 'center'), 'value'))
}

/** ISO instant (UTC) of a TS or IVL_TS; a time without a zone is read as UTC, a date as its midnight UTC. */
export const instantOf = (n: XNode | undefined): string | undefined => toInstant(pointOf(n))
/** `YYYY-MM-DD` of a TS or IVL_TS, as written (the source's calendar date). */
export const dateOf = (n: XNode | undefined): string | undefined => toDate(pointOf(n))
/** `YYYY-MM-DD` of an IVL_TS's `high`, when it has a value (the end of a problem or a medication). */
export const highDateOf = (n: XNode | undefined): string | undefined => toDate(tsToFhir(attr(kid(n, 'high'), 'value')))

/** A PQ (`@value`, `@unit`) → a finite number and its UCUM unit (`1` means none). */
export function quantityOf(pq: XNode | undefined): { value: number; unit?: string } | undefined {
  const raw = attr(pq, 'value')
  if (raw === undefined || isNull(pq) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) return undefined
  const value = Number(raw)
  if (!Number.isFinite(value)) return undefined
  const unit = attr(pq, 'unit')
  return unit && unit !== '1' ? { value, unit } : { value }
}

/** The dedup key of an entry (SPEC §9): its first usable `id` (`root`, or `root^extension`), else `sha256:` of its content. */
export function entryKey(n: XNode): string {
  for (const id of kids(n, 'id')) {
    const root = attr(id, 'root')
    if (!root || attr(id, 'nullFlavor')) continue
    const ext = attr(id, 'extension')
    return ext ? `${root}^${ext}` : root
  }
  return `sha256:${createHash('sha256').update(JSON.stringify(n)).digest('hex')}`
}

/** `sha256:` of an element's content, to tell apart two entries a document gave the same id. */
export const contentKey = (n: XNode): string => createHash('sha256').update(JSON.stringify(n)).digest('hex').slice(0, 16)

/** The author's time and name of an entry or of the document (`author/time`, `author/assignedAuthor/assignedPerson/name`). */
export function authorOf(n: XNode): { time?: string; name?: string } {
  const author = kid(n, 'author')
  const out: { time?: string; name?: string } = {}
  const time = instantOf(kid(author, 'time'))
  if (time) out.time = time
  const name = personName(path(author, 'assignedAuthor', 'assignedPerson', 'name'))
  if (name) out.name = name
  return out
}

/** A PN (`given`…, `family`, or plain text) → "Given Family". */
export function personName(pn: XNode | undefined): string | undefined {
  if (!pn || isNull(pn)) return undefined
  const given = kids(pn, 'given').flatMap((g) => textOf(g) ?? [])
  const family = kids(pn, 'family').flatMap((f) => textOf(f) ?? [])
  const parts = [...given, ...family]
  if (parts.length > 0) return parts.join(' ')
  return textOf(pn)
}
