/** The API's errors as the UI reads them: RFC 9457 problem+json bodies (SPEC §4). */

export interface FieldError {
  path: string
  message: string
}

/** A failed API call: the problem+json body, with field errors by JSON pointer. */
export class ApiError extends Error {
  readonly status: number
  readonly type: string
  readonly title: string
  readonly errors: FieldError[]
  readonly body: Record<string, unknown>

  constructor(status: number, body: Record<string, unknown>) {
    const detail = typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : `Request failed (${status}).`
    super(detail)
    this.status = status
    this.body = body
    this.type = typeof body.type === 'string' ? body.type : ''
    this.title = typeof body.title === 'string' ? body.title : 'Error'
    this.errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : []
  }

  /** The problem slug (`…/problems/<slug>`). */
  get slug(): string {
    return this.type.split('/').pop() ?? ''
  }
}

/** A human message for any thrown value. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return 'Something went wrong.'
}

/**
 * An error answer's body as an object: parsed JSON as is, other text as `detail` (first
 * 300 characters), nothing as `{}`.
 */
export function problemBody(parsed: unknown): Record<string, unknown> {
  if (parsed === undefined || parsed === null || parsed === '') return {}
  if (typeof parsed === 'object') return parsed as Record<string, unknown>
  if (typeof parsed === 'string') return { detail: parsed.slice(0, 300) }
  return { value: parsed }
}

/** `text` (a response body) parsed by `problemBody`. */
export function problemFromText(text: string): Record<string, unknown> {
  if (!text) return {}
  try {
    const parsed: unknown = JSON.parse(text)
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : { value: parsed }
  } catch {
    return problemBody(text)
  }
}
