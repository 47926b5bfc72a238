/** HTTP route of the FHIR import (SPEC §4.4). */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { PatientIdParam, Problem, StorageUnavailable } from '../../app/schemas.js'
import { importBundle } from './fhir-import.service.js'

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
  imported: z.object({ allergies: Count, conditions: Count, medications: Count, vitals: Count, records: Count }),
  skipped: z.array(z.object({ resourceType: z.string(), count: Count, reason: z.string() })),
})

/**
 * Mounts `POST /patients/{pid}/import`, with a parser for FHIR's own JSON media type
 * (`application/fhir+json`) in this plugin's scope.
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

  app.post('/patients/:pid/import', {
    config: { access: { roles: ['patient', 'doctor'] } },
    bodyLimit: deps.config.maxImportBytes,
    schema: {
      tags: ['import'],
      summary: 'Import a FHIR R4 Bundle (e.g. a Synthea patient); idempotent',
      description:
        `JSON body (application/json or application/fhir+json), up to ${Math.round(deps.config.maxImportBytes / 1048576)} MB. ` +
        'When the bundle\'s Patient differs from the profile (a date of birth or a known sex on both sides that differ, or names with no word in common), ' +
        'the answer is 409 identity-mismatch with the differences and nothing is imported; `?confirm=identity` imports anyway.',
      params: Params,
      querystring: ImportQuery,
      body: z.unknown(),
      response: { 200: ImportResult, 400: Problem, 403: Problem, 404: Problem, 409: ImportConflict, 413: Problem, 503: StorageUnavailable },
    },
  }, async (req) => importBundle(deps, userOf(req), req.params.pid, req.body, { confirmIdentity: req.query.confirm === 'identity' }))
}
