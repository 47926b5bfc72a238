/**
 * The one mapping from schema issues to field errors (STYLE §4): each invalid field is named
 * by an RFC 6901 JSON pointer. Used for request schemas (the error handler), fields checked
 * by a service one by one (a multipart upload's), and the environment (config).
 */
import type { FieldError } from './errors.js'

/** A zod issue, as much of it as a field error needs (`keys`: the names an `unrecognized_keys` issue lists). */
export interface SchemaIssue {
  code: string
  path: readonly PropertyKey[]
  message: string
  keys?: readonly string[] | undefined
}

/** One reference token of a JSON pointer, escaped (RFC 6901 §3: `~` → `~0`, `/` → `~1`). */
const token = (segment: PropertyKey): string => String(segment).replaceAll('~', '~0').replaceAll('/', '~1')

/** The JSON pointer of a path: `['items', 0, 'a/b']` → `/items/0/a~1b`; `[]` → `''` (RFC 6901). */
export const jsonPointer = (path: readonly PropertyKey[]): string => path.map((segment) => `/${token(segment)}`).join('')

/**
 * Field errors of schema issues, each path a JSON pointer below `prefix` (itself a pointer,
 * `''` for the document). An issue about the whole document is reported at `/`; an
 * `unrecognized_keys` issue becomes one `Unknown field.` per key, so a client sees each
 * field it must drop.
 */
export function fieldErrorsOf(issues: readonly SchemaIssue[], prefix = ''): FieldError[] {
  const out: FieldError[] = []
  for (const issue of issues) {
    const base = prefix + jsonPointer(issue.path)
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      for (const key of issue.keys) out.push({ path: `${base}/${token(key)}`, message: 'Unknown field.' })
    } else {
      out.push({ path: base || '/', message: issue.message })
    }
  }
  return out
}
