/** HTTP route of the import (SPEC §4.4, §9): the content type decides the source. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { PatientIdParam, Problem, StorageUnavailable } from '../../app/schemas.js'
import type { Readable } from 'node:stream'
import { discardUnreadBody } from '../../app/unread-body.js'
import { runImport, type ImportSource } from './import.service.js'

const Params = z.object({ pid: PatientIdParam }).strict()
const ImportQuery = z
  .object({
    confirm: z
      .literal('identity')
      .optional()
      .describe('`identity`: import even though the file\'s patient differs from the locker\'s profile (after a 409 identity-mismatch).'),
  })
  .strict()
const IdentityMismatch = Problem.extend({
  differences: z.array(
    z.object({
      field: z.enum(['fullName', 'dateOfBirth', 'sex']),
      locker: z.string().describe('the value in the locker\'s profile'),
      source: z.string().describe('the value in the file, as written'),
    }),
  ),
}).describe('identity-mismatch: the file\'s patient differs from the profile; nothing was imported')
/** The route's two conflicts: the identity check's (with its differences), or a plain `duplicate-import` problem. */
const ImportConflict = z.union([IdentityMismatch, Problem.describe('duplicate-import: a document of this file was stored by an import running at the same time; nothing was imported')])
const Count = z.number().int().min(0)
const ImportResult = z.object({
  imported: z.object({ allergies: Count, conditions: Count, medications: Count, vitals: Count, labs: Count, records: Count }),
  skipped: z.array(z.object({ resourceType: z.string(), count: Count, reason: z.string() })),
})

/** Media types of the streamed sources (C-CDA, Apple Health `export.xml` or `.zip`): the body reaches the service unread. */
const STREAMED_TYPES = ['application/xml', 'text/xml', 'application/zip', 'application/x-zip-compressed', 'application/octet-stream']

/** A JSON body `{shlink, passcode?}` is a SMART Health Link to receive; any other JSON is a FHIR Bundle. */
function sourceOf(body: unknown): ImportSource {
  if (body !== null && typeof body === 'object' && 'pipe' in body && typeof (body as Readable).pipe === 'function') return { kind: 'file', body: body as Readable }
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'shlink' in body) return { kind: 'shl', request: body }
  return { kind: 'fhir', bundle: body }
}

/**
 * Mounts `POST /patients/{pid}/import`, with a parser for FHIR's own JSON media type
 * (`application/fhir+json`) and pass-through parsers for the streamed XML and zip types in
 * this plugin's scope.
 */
export const fhirImportRoutes: FeatureRoutes = async (app, { deps }) => {
  // FHIR's own media type is JSON too.
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string', bodyLimit: deps.config.maxImportBytes }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch {
      const err = new SyntaxError('The body is not valid JSON.')
      done(err, undefined)
    }
  })

  // Streamed to a temporary file by the service once the policy has spoken (SPEC §9).
  app.addContentTypeParser(STREAMED_TYPES, (_req, payload, done) => done(null, payload))

  app.post('/patients/:pid/import', {
    config: { access: { roles: ['patient', 'doctor'] } },
    bodyLimit: deps.config.maxImportBytes,
    // A refusal (404/403 before the body is read, 400/409/413/415) must not leave a streamed body blocking the connection.
    onSend: discardUnreadBody,
    schema: {
      tags: ['import'],
      summary: 'Import a FHIR R4 Bundle, a C-CDA document, an Apple Health export or a SMART Health Link; idempotent',
      description:
        `A FHIR R4 Bundle as JSON (application/json or application/fhir+json) or an HL7 C-CDA R2.1 document (application/xml), up to ${Math.round(deps.config.maxImportBytes / 1048576)} MB; ` +
        `an Apple Health export.xml or its .zip (application/xml, application/zip), streamed, up to ${Math.round(deps.config.maxImportArchiveBytes / 1048576)} MB; ` +
        'or a SMART Health Link as JSON {shlink, passcode?}. Anything else is 415. ' +
        'When the bundle\'s Patient differs from the profile (a date of birth or a known sex on both sides that differ, or names with no word in common), ' +
        'the answer is 409 identity-mismatch with the differences and nothing is imported; `?confirm=identity` imports anyway.',
      params: Params,
      querystring: ImportQuery,
      body: z.unknown(),
      response: { 200: ImportResult, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: ImportConflict, 410: Problem, 413: Problem, 415: Problem, 503: StorageUnavailable },
    },
  }, async (req) => runImport(deps, userOf(req), req.params.pid, sourceOf(req.body), { confirmIdentity: req.query.confirm === 'identity' }))
}
