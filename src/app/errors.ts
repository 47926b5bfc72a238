/**
 * Domain errors rendered as RFC 9457 `application/problem+json` (SPEC §2, STYLE §4).
 *
 * Services throw these; the one error handler in `build-app.ts` turns them into
 * `{type: "https://carelocker.dev/problems/<code>", title, status, detail, errors?}`.
 * Never classify errors by their message: use the class or `code`.
 */

export const PROBLEM_BASE = 'https://carelocker.dev/problems/'

/** One invalid field, addressed by an RFC 6901 JSON pointer (`/items/0/quantity`). */
export interface FieldError {
  path: string
  message: string
}

export class AppError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly errors?: FieldError[]
  /** Extra members added to the problem body (e.g. `remainingAttempts`). */
  readonly extra?: Record<string, unknown>
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers?: Record<string, string>

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    opts: { errors?: FieldError[]; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail)
    this.name = new.target.name
    this.status = status
    this.code = code
    this.title = title
    if (opts.errors) this.errors = opts.errors
    if (opts.extra) this.extra = opts.extra
    if (opts.headers) this.headers = opts.headers
  }
}

/** 400: the input is malformed; `errors` names each bad field. */
export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[], code = 'validation-error') {
    super(400, code, 'Invalid request', detail, errors ? { errors } : {})
  }
}

/** 401: no valid credentials. */
export class UnauthorizedError extends AppError {
  constructor(detail = 'Authentication is required.', code = 'unauthorized', extra?: Record<string, unknown>) {
    super(401, code, 'Not authenticated', detail, extra ? { extra } : {})
  }
}

/** 403: authenticated, but the account or role may never do this (SPEC §2). */
export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this.', code = 'forbidden') {
    super(403, code, 'Forbidden', detail)
  }
}

/** 404: absent, or present but not the caller's to see (SPEC §2). */
export class NotFoundError extends AppError {
  constructor(detail = 'Not found.') {
    super(404, 'not-found', 'Not found', detail)
  }
}

/** 405: the route exists but not with this method. */
export class MethodNotAllowedError extends AppError {
  constructor(allow: string) {
    super(405, 'method-not-allowed', 'Method not allowed', `Only ${allow} is allowed here.`, {
      headers: { Allow: allow },
    })
  }
}

/** 409: conflicts with the current state (duplicate, wrong transition); `extra` adds members such as `differences`. */
export class ConflictError extends AppError {
  constructor(detail: string, code = 'conflict', extra?: Record<string, unknown>) {
    super(409, code, 'Conflict', detail, extra ? { extra } : {})
  }
}

/** 410: expired, revoked or exhausted link or token. */
export class GoneError extends AppError {
  constructor(detail: string, code = 'gone') {
    super(410, code, 'Gone', detail)
  }
}

/** 413: body or file over its limit. */
export class PayloadTooLargeError extends AppError {
  constructor(detail: string) {
    super(413, 'payload-too-large', 'Payload too large', detail)
  }
}

/** 415: a file type CareLocker does not accept. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(detail: string) {
    super(415, 'unsupported-media-type', 'Unsupported media type', detail)
  }
}

/** 422: well-formed but clinically or logically impossible. */
export class UnprocessableError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'unprocessable', 'Unprocessable', detail, errors ? { errors } : {})
  }
}

/**
 * 429: rate limited; `retryAfterSeconds` becomes `Retry-After`. With `limit` (the limit's
 * size) it also carries `RateLimit-Limit`, `RateLimit-Remaining: 0` and `RateLimit-Reset`
 * (SPEC §2), so code without the reply at hand can refuse with every header.
 */
export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, limit?: number) {
    const retryAfter = String(retryAfterSeconds)
    const rateLimit: Record<string, string> =
      limit === undefined ? {} : { 'RateLimit-Limit': String(limit), 'RateLimit-Remaining': '0', 'RateLimit-Reset': retryAfter }
    super(429, 'rate-limited', 'Too many requests', `Too many requests. Try again in ${retryAfterSeconds} s.`, {
      headers: { ...rateLimit, 'Retry-After': retryAfter },
    })
  }
}

/** 503: a dependency (the database) is not answering. */
export class ServiceUnavailableError extends AppError {
  constructor(detail: string) {
    super(503, 'service-unavailable', 'Service unavailable', detail)
  }
}
