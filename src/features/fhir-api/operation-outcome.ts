/**
 * Errors of the FHIR API as OperationOutcome (SPEC §9; FHIR R4 §3.1.0.4 http): the same
 * statuses as /api/v1 (400 invalid, 401, 403, 404 not found or not yours, 405, 5xx) in
 * `application/fhir+json`. A scoped error handler and not-found handler of the FHIR plugin
 * only; the app's problem+json handler is untouched. 5xx bodies name only the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type * as fhir4 from 'fhir/r4.js'
import { AppError, NotFoundError, PROBLEM_BASE } from '../../app/errors.js'
import { errorLogFields, isDatabaseUnavailable } from '../../app/error-handler.js'

/** The media type of every FHIR answer (FHIR R4 §3.1.0.1.2). */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8'

/** HTTP status → OperationOutcome issue type (FHIR R4 issue-type value set). */
const ISSUE_CODE: Record<number, fhir4.OperationOutcomeIssue['code']> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  410: 'deleted',
  413: 'too-costly',
  416: 'invalid',
  429: 'throttled',
  503: 'transient',
}

/**
 * An OperationOutcome of one error issue, plus one per field error (`expression` = the
 * parameter). `problem` (the /api/v1 problem code, e.g. `mfa-setup-required`) becomes the
 * first issue's `details`: coded, with the problem type URI as text.
 */
export function operationOutcome(status: number, diagnostics: string, fields: readonly { path: string; message: string }[] = [], problem?: string): fhir4.OperationOutcome {
  const code = ISSUE_CODE[status] ?? 'exception'
  const first: fhir4.OperationOutcomeIssue = { severity: 'error', code, diagnostics }
  if (problem) first.details = { coding: [{ system: PROBLEM_BASE.replace(/\/$/, ''), code: problem }], text: PROBLEM_BASE + problem }
  const issue: fhir4.OperationOutcomeIssue[] = [first]
  for (const f of fields) {
    const name = f.path.replace(/^\//, '').split('/')[0]
    issue.push(name ? { severity: 'error', code, diagnostics: f.message, expression: [name] } : { severity: 'error', code, diagnostics: f.message })
  }
  return { resourceType: 'OperationOutcome', issue }
}

/** Sends a FHIR resource with `status`, no-store. */
export function sendFhir(reply: FastifyReply, status: number, resource: fhir4.FhirResource): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type(FHIR_JSON).send(JSON.stringify(resource))
}

/** Registers the plugin's error handler and not-found handler (scoped to the FHIR prefix). */
export function registerFhirErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.headers) reply.headers(err.headers)
      return sendFhir(reply, err.status, operationOutcome(err.status, err.message, err.errors ?? [], err.code))
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendFhir(reply, err.statusCode, operationOutcome(err.statusCode, 'The request is not valid.'))
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: errorLogFields(err) }, 'database unavailable')
      reply.header('retry-after', 5)
      return sendFhir(reply, 503, operationOutcome(503, 'The database is not answering; try again in a few seconds.'))
    }
    req.log.error({ err: errorLogFields(err) }, 'unhandled error')
    return sendFhir(reply, 500, operationOutcome(500, `Something went wrong on our side. Quote request id ${req.id} when reporting it.`))
  })
  app.setNotFoundHandler((req, reply) => {
    const e = new NotFoundError(`No FHIR interaction ${req.method} ${req.url.split('?')[0] ?? ''} here; see /fhir/R4/metadata.`)
    return sendFhir(reply, 404, operationOutcome(404, e.message))
  })
}
