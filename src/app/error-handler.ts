/**
 * The one error renderer (STYLE §4): every failure leaves as RFC 9457
 * `application/problem+json`. Schema errors carry a JSON pointer per field; 5xx bodies
 * carry only the request id (never a stack trace or message).
 */
import { protocol as pgliteProtocol } from '@electric-sql/pglite'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import pg from 'pg'
import type { App } from './app-types.js'
import { AppError, PROBLEM_BASE, ServiceUnavailableError, type FieldError } from './errors.js'
import { fieldErrorsOf } from './field-errors.js'

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  errors?: FieldError[]
  [extra: string]: unknown
}

/** Sends `error` as problem+json with its status and headers. */
export function sendProblem(reply: FastifyReply, error: AppError): FastifyReply {
  const body: ProblemBody = {
    ...(error.extra ?? {}),
    type: PROBLEM_BASE + error.code,
    title: error.title,
    status: error.status,
    detail: error.message,
  }
  if (error.errors) body.errors = error.errors
  if (error.headers) reply.headers(error.headers)
  return reply.code(error.status).type('application/problem+json').send(body)
}

/**
 * Field errors of a request-schema failure. fastify-type-provider-zod hands over each zod
 * issue with its path already joined (`instancePath`, `/` for the root) and the rest of the
 * issue in `params`; the path is split back into segments for the one mapper
 * (`fieldErrorsOf`), which escapes them as RFC 6901 says.
 */
function schemaFieldErrors(validation: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[]): FieldError[] {
  return fieldErrorsOf(
    validation.map((v) => ({
      code: v.keyword,
      path: v.instancePath === '/' ? [] : v.instancePath.slice(1).split('/'),
      message: v.message ?? 'Invalid value.',
      keys: Array.isArray(v.params.keys) ? (v.params.keys as string[]) : undefined,
    })),
  )
}

/** Maps Fastify's own errors (body parsing, limits) to domain errors. */
function fromFastifyError(err: FastifyError): AppError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError(413, 'payload-too-large', 'Payload too large', 'The request body is larger than this route accepts.')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError(415, 'unsupported-media-type', 'Unsupported media type', 'This content type is not accepted here.')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError(400, 'validation-error', 'Invalid request', 'The JSON body is empty.')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError(400, 'malformed-json', 'Invalid request', 'The body is not valid JSON.')
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError(415, 'unsupported-media-type', 'Unsupported media type', 'Expected multipart/form-data.')
    default:
      break
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return new AppError(400, 'malformed-body', 'Invalid request', 'The request body could not be parsed.')
  }
  const status = err.statusCode ?? 500
  if (status >= 400 && status < 500) {
    return new AppError(status, status === 429 ? 'rate-limited' : 'bad-request', 'Request refused', err.message)
  }
  return undefined
}

/** The fields of a PostgreSQL ErrorResponse that name no data (protocol: "Error and Notice Message Fields"). */
interface DatabaseErrorFields {
  code?: string | undefined
  severity?: string | undefined
  routine?: string | undefined
  table?: string | undefined
  column?: string | undefined
  constraint?: string | undefined
  dataType?: string | undefined
}

/** A PostgreSQL error from either engine: `pg`'s DatabaseError or PGlite's own copy of that class. */
function isDatabaseError(err: unknown): err is DatabaseErrorFields {
  return err instanceof pg.DatabaseError || err instanceof pgliteProtocol.messages.DatabaseError
}

/**
 * What the log keeps of an unhandled error (SPEC §6: no personal data in logs). A database
 * error — or an error caused by one — is logged by its SQLSTATE `code` and the names of the
 * table, column, constraint and routine involved, never its message, detail, hint, position
 * or SQL, nor the query parameters PGlite attaches: a message such as `invalid input syntax
 * for type uuid: "…"` or a detail `Key (email)=(…)` quotes the data. Any other error is
 * returned as is, for pino's own serializer (type, message, stack).
 */
export function errorLogFields(err: unknown): unknown {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (isDatabaseError(e)) {
      const { code, severity, routine, table, column, constraint, dataType } = e
      const fields = { type: 'DatabaseError', code, severity, routine, table, column, constraint, dataType }
      return e === err ? fields : { type: err instanceof Error ? err.name : typeof err, cause: fields }
    }
  }
  return err
}

/** Socket errors of a database connection that could not be made or was lost (Node.js `code`). */
const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
/**
 * SQLSTATEs that mean "the server is not serving now", not "this query is wrong"
 * (PostgreSQL Appendix A): class 08 connection exception, 57P01 admin_shutdown, 57P02
 * crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down), 53300
 * too_many_connections.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])

/**
 * True when `err` (or an error in its `cause` chain, or one of an AggregateError's — Node.js
 * reports a refused connection to a name with several addresses that way) says the database
 * cannot be reached, so the request gets a 503 rather than a 500 (SPEC §11).
 */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 8) return false
  const code = (err as Error & { code?: unknown }).code
  if (typeof code === 'string') {
    if (isDatabaseError(err) && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code))) return true
    if (!isDatabaseError(err) && CONNECTION_ERROR_CODES.has(code)) return true
  }
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true
  return isDatabaseUnavailable(err.cause, depth + 1)
}

/** Seconds a client is told to wait before retrying while the database is unavailable. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5

export function registerErrorHandlers(app: App): void {
  app.setErrorHandler((err: FastifyError | AppError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) return sendProblem(reply, err)
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body'
      return sendProblem(
        reply,
        new AppError(400, 'validation-error', 'Invalid request', `The request ${where} is invalid.`, {
          errors: schemaFieldErrors(err.validation),
        }),
      )
    }
    const mapped = fromFastifyError(err as FastifyError)
    if (mapped) return sendProblem(reply, mapped)
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: errorLogFields(err) }, 'database unavailable')
      reply.header('retry-after', UNAVAILABLE_RETRY_AFTER_SECONDS)
      return sendProblem(reply, new ServiceUnavailableError('The database is not answering; try again in a few seconds.'))
    }
    req.log.error({ err: errorLogFields(err) }, 'unhandled error')
    return reply.code(500).type('application/problem+json').send({
      type: PROBLEM_BASE + 'internal-error',
      title: 'Internal server error',
      status: 500,
      detail: `Something went wrong on our side. Quote request id ${req.id} when reporting it.`,
      requestId: req.id,
    })
  })

  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, new AppError(404, 'not-found', 'Not found', `No route ${req.method} ${req.url.split('?')[0]}.`)),
  )
}
