/**
 * HTTP `Range` for record downloads (RFC 9110 §14): one `bytes` range, as `a-b`, `a-` or
 * `-n`. Pure logic, no I/O.
 */

export type RangeRequest =
  /** Send the whole representation (no Range, another unit, or several ranges). */
  | { kind: 'full' }
  /** Send the inclusive byte range start..end (206). */
  | { kind: 'partial'; start: number; end: number }
  /** Answer 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' }

const SPEC = /^(\d*)-(\d*)$/

/**
 * Resolves a `Range` header against a representation of `size` bytes. A last position past
 * the end is clamped; a suffix longer than the file means the whole file (RFC 9110 §14.1.2).
 * A first position at or past the end, an empty suffix (`-0`), `a-b` with b < a, a malformed
 * spec, and any range on an empty file are unsatisfiable (§14.2 allows 416 for invalid ranges).
 * Several ranges are answered with the whole file (a server may ignore Range, §14.2), since
 * multipart/byteranges buys a records client nothing; a unit other than `bytes` is ignored.
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' }
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' }
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (specs.length > 1) return { kind: 'full' }
  const match = SPEC.exec(specs[0] ?? '')
  if (!match || size === 0) return { kind: 'unsatisfiable' }
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return { kind: 'unsatisfiable' }
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Number(last)
  if (start >= size || end < start) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end: Math.min(end, size - 1) }
}

/**
 * True when an `If-None-Match` (or `If-Range`) value names `etag` (a quoted strong ETag).
 * `*` matches anything; weak validators compare weakly, as RFC 9110 §13.1.2 asks for
 * If-None-Match.
 */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .includes(etag)
}
