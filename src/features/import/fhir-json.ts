/**
 * Lenient readers for a FHIR bundle's untrusted JSON (SPEC §4.4): every field is read
 * defensively — a missing or mistyped one reads as `undefined` or empty, never throws — plus
 * the code systems the mappers prefer and FHIR date/dateTime conversion.
 */

/** A code as imported (SNOMED CT, RxNorm, LOINC…), SPEC §4.2. */
export interface Coding {
  system: string
  code: string
  display?: string
}

/** Code systems (FHIR terminology URIs). */
export const LOINC = 'http://loinc.org'
export const SNOMED = 'http://snomed.info/sct'
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm'

/** A JSON object of the bundle, fields unknown. */
export type Json = Record<string, unknown>

/** Readers: the value when it has the expected type (a string non-blank, trimmed; a number finite), else undefined or empty. */

export const obj = (x: unknown): Json | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : undefined
export const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : [])
export const objs = (x: unknown): Json[] => arr(x).flatMap<Json>((e) => {
  const o = obj(e)
  return o ? [o] : []
})
export const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined)
export const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined)

/** The codings of a CodeableConcept. */
export function codings(concept: unknown): Json[] {
  return objs(obj(concept)?.coding)
}

/** `CodeableConcept.text`, else the first coding's display, else its code. */
export function conceptText(concept: unknown): string | undefined {
  const c = obj(concept)
  if (!c) return undefined
  const cs = codings(c)
  return str(c.text) ?? cs.map((x) => str(x.display)).find(Boolean) ?? cs.map((x) => str(x.code)).find(Boolean)
}

/** The first coding with system and code, preferring `systems` in order. */
export function pickCoding(concept: unknown, systems: readonly string[]): Coding | undefined {
  const usable = codings(concept).flatMap((c) => {
    const system = str(c.system)
    const code = str(c.code)
    if (!system || !code) return []
    const display = str(c.display)
    return [display ? { system, code, display } : { system, code }]
  })
  for (const s of systems) {
    const hit = usable.find((c) => c.system === s)
    if (hit) return hit
  }
  return usable[0]
}

/** First code of a status CodeableConcept (`clinicalStatus`, `verificationStatus`). */
export const statusCode = (concept: unknown): string | undefined =>
  codings(concept).map((c) => str(c.code)).find(Boolean)

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/

/** FHIR date/dateTime → `YYYY-MM-DD` as written (the source's calendar date); partial dates get the 1st. */
export function toDate(x: unknown): string | undefined {
  const s = str(x)
  const m = s ? FHIR_DATE.exec(s) : null
  if (!m) return undefined
  const date = `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`
  const t = Date.parse(`${date}T00:00:00Z`)
  // Round-trip so that 2015-02-30 is refused rather than rolled over to March.
  return !Number.isNaN(t) && new Date(t).toISOString().startsWith(date) ? date : undefined
}

/**
 * FHIR date/dateTime/instant → ISO instant in UTC (`…Z`). A date alone is midnight UTC, and so is
 * a time without an offset (FHIR requires one; the server's time zone must not decide).
 */
export function toInstant(x: unknown): string | undefined {
  const s = str(x)
  if (!s || !toDate(s)) return undefined
  const full = /^\d{4}$/.test(s)
    ? `${s}-01-01`
    : /^\d{4}-\d{2}$/.test(s)
      ? `${s}-01`
      : /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)
        ? `${s}Z`
        : s
  const t = Date.parse(full)
  return Number.isNaN(t) ? undefined : new Date(t).toISOString()
}
