/**
 * Opaque keyset cursors (SPEC §2: no OFFSET). A cursor is the base64url JSON of the
 * last row's sort key; a tampered or malformed cursor is a 400.
 */
import { ValidationError } from '../app/errors.js'

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/** Decodes a cursor made by `encodeCursor` with `arity` parts; throws ValidationError otherwise. */
export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every((p) => typeof p === 'string' || typeof p === 'number')) {
      return parsed as (string | number)[]
    }
  } catch {
    // fall through
  }
  throw new ValidationError('The cursor is not valid.', [{ path: '/cursor', message: 'Invalid cursor.' }])
}

/** Takes `limit + 1` rows and returns the page plus the next cursor (null on the last page). */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => (string | number)[], map: (row: R) => T) {
  const more = rows.length > limit
  const page = more ? rows.slice(0, limit) : rows
  const last = page[page.length - 1]
  return { items: page.map(map), nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null }
}
