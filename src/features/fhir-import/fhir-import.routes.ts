/** HTTP route of the FHIR import (SPEC §4.4). */
import { z } from 'zod'
import type { App } from '../../app/build-app.js'
import type { Deps } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { PatientIdParam, Problem } from '../../app/schemas.js'
import { importBundle } from './fhir-import.service.js'

const Params = z.object({ pid: PatientIdParam }).strict()
const Count = z.number().int().min(0)
const ImportResult = z.object({
  imported: z.object({ allergies: Count, conditions: Count, medications: Count, vitals: Count, records: Count }),
  skipped: z.array(z.object({ resourceType: z.string(), count: Count, reason: z.string() })),
})

export function fhirImportRoutes(app: App, deps: Deps): void {
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
      description: `JSON body (application/json or application/fhir+json), up to ${Math.round(deps.config.maxImportBytes / 1048576)} MB.`,
      params: Params,
      body: z.unknown(),
      response: { 200: ImportResult, 400: Problem, 403: Problem, 404: Problem, 413: Problem },
    },
  }, async (req) => importBundle(deps, userOf(req), req.params.pid, req.body))
}
