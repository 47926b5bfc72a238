/**
 * Maps problem+json field errors (`errors[].path`, RFC 6901 pointers such as
 * `/emergencyContacts/0/phone`) onto form fields, so each message shows under its input.
 */
import { ApiError, errorMessage } from '../api/client'

export type FieldErrors = Record<string, string>

/** `{ '/allergies/0/substance': 'Required' }` from an ApiError; empty for other errors. */
export function fieldErrorsOf(err: unknown): FieldErrors {
  const out: FieldErrors = {}
  if (err instanceof ApiError) for (const e of err.errors) out[e.path] ??= e.message
  return out
}

/** A form-level message: the problem's detail, plus messages whose path matches no field. */
export function formErrorOf(err: unknown, knownPaths: (path: string) => boolean = () => true): string | null {
  if (!err) return null
  if (err instanceof ApiError) {
    const stray = err.errors.filter((e) => !knownPaths(e.path)).map((e) => `${e.path === '/' ? '' : `${e.path}: `}${e.message}`)
    return [err.message, ...stray].join(' ')
  }
  return errorMessage(err)
}

/** The message for `path` or for any pointer under it (e.g. `/items/0` covers `/items/0/quantity`). */
export function errorAt(errors: FieldErrors, path: string): string | undefined {
  return errors[path]
}
