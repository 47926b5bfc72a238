/** HTTP routes of "Take your data and go" (SPEC §9): ask for an export, poll it, list them, download the zip. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Problem, StorageUnavailable } from '../../app/schemas.js'
import { ExportAccepted, ExportList, ExportParams, ExportsParams, ExportZip, PatientExport, toExportDto } from './data-export.schema.js'
import { getExport, listExports, openExportDownload, requestExport } from './data-export.service.js'

const tags = ['data freedom']
/** The patient's own business (SPEC §3, §9): no other role ever uses these routes (403). */
const patientOnly = { roles: ['patient'] } as const

/** Mounts the export routes. */
export const dataExportRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/:pid/export', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Ask for an export of the whole locker (a zip, ready within a minute, kept 24 hours)',
      description:
        'Answers 202 with the export\'s id at once; a job builds the zip: everything.json (the FHIR $everything Bundle), one NDJSON file ' +
        'per resource type, summary.ips.json (the International Patient Summary), files/ (every record\'s original bytes) and README.txt. ' +
        'Poll GET …/exports/{id}. One export may be pending at a time (409 export-pending).',
      params: ExportsParams,
      body: EmptyBody,
      response: { 202: ExportAccepted, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req, reply) => {
    const row = await requestExport(deps, userOf(req), req.params.pid)
    return reply.code(202).send({ id: row.id, status: row.status })
  })

  app.get('/patients/:pid/exports', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'The patient\'s exports that have not expired, newest first',
      params: ExportsParams,
      response: { 200: ExportList, 401: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => ({ items: (await listExports(deps, userOf(req), req.params.pid)).map((r) => toExportDto(r, req.params.pid)), nextCursor: null }))

  app.get('/patients/:pid/exports/:id', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'An export\'s state: pending, ready (with its downloadUrl, size and expiry) or failed (with the reason)',
      params: ExportParams,
      response: { 200: PatientExport, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 410: Problem },
    },
  }, async (req) => toExportDto(await getExport(deps, userOf(req), req.params.pid, req.params.id), req.params.pid))

  app.get('/patients/:pid/exports/:id/download', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Download the export zip (bearer token; streamed)',
      produces: ['application/zip'],
      params: ExportParams,
      response: { 200: ExportZip, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 410: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) => {
    const zip = await openExportDownload(deps, userOf(req), req.params.pid, req.params.id)
    return reply
      .headers({
        'content-type': 'application/zip',
        'content-length': String(zip.sizeBytes),
        'content-disposition': `attachment; filename="${zip.fileName}"`,
        'cache-control': 'no-store',
        etag: `"${zip.sha256}"`,
      })
      .send(zip.stream)
  })
}

