/** HTTP routes of medical records (SPEC §4.3). One service call per handler. */
import multipart from '@fastify/multipart'
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem, StorageUnavailable } from '../../app/schemas.js'
import { discardUnreadBody } from '../../app/unread-body.js'
import { headerOf, sendRecordContent } from './content-reply.js'
import { RECORD_CATEGORIES } from './record-category.js'
import { openRecordContent, verifyRecord } from './records-content.service.js'
import { uploadRecord } from './records-upload.service.js'
import { multipartOptions, uploadBodyOf } from './records.multipart.js'
import {
  DESCRIPTION_MAX,
  DOCTOR_NAME_MAX,
  MedicalRecord,
  RecordListQuery,
  RecordParams,
  RecordPatchBody,
  RecordsParams,
  RecordVerification,
  TITLE_MAX,
  toRecordDto,
} from './records.schema.js'
import { deleteRecord, getRecord, listRecords, updateRecord } from './records.service.js'

const tags = ['records']
const patientOrDoctor = { roles: ['patient', 'doctor'] } as const
const Page = z.object({ items: z.array(MedicalRecord), nextCursor: z.string().nullable() })

/**
 * The upload body, for the OpenAPI document only: a multipart body cannot be a zod schema, so
 * validation accepts anything here and `records.multipart.ts` checks each part itself.
 */
const UploadBodyDoc = z.unknown().meta({
  type: 'object',
  required: ['file', 'category'],
  properties: {
    file: { type: 'string', format: 'binary', description: 'PDF, JPEG, PNG, WebP, HEIC, DICOM Part 10 or plain UTF-8 text.' },
    category: { type: 'string', enum: [...RECORD_CATEGORIES] },
    recordDate: { type: 'string', format: 'date', description: 'YYYY-MM-DD; default today (UTC).' },
    title: { type: 'string', maxLength: TITLE_MAX },
    doctorName: { type: 'string', maxLength: DOCTOR_NAME_MAX },
    description: { type: 'string', maxLength: DESCRIPTION_MAX },
  },
  additionalProperties: false,
})
const Bytes = z.unknown().meta({ type: 'string', format: 'binary', description: 'The file bytes, with the Content-Type decided at upload.' })

/** Mounts the records routes, with @fastify/multipart registered in this plugin's scope only. */
export const recordsRoutes: FeatureRoutes = async (app, { deps }) => {
  await app.register(multipart, multipartOptions(deps))

  app.post('/patients/:pid/records', {
    config: { access: patientOrDoctor },
    // A refusal is decided from the first bytes; the rest of the body must not block the connection (SPEC §4.3).
    onSend: discardUnreadBody,
    schema: {
      tags,
      summary: 'Upload a medical record',
      description:
        'multipart/form-data with one `file` and the fields `category`, `recordDate?` (YYYY-MM-DD, default today UTC), ' +
        '`title?`, `doctorName?`, `description?`, in any order. The type is decided by the bytes: PDF, JPEG, PNG, WebP, ' +
        'HEIC, DICOM Part 10, plain UTF-8 text; anything else is 415, over MAX_UPLOAD_MB is 413.',
      consumes: ['multipart/form-data'],
      params: RecordsParams,
      body: UploadBodyDoc,
      response: { 201: MedicalRecord, 400: Problem, 403: Problem, 404: Problem, 413: Problem, 415: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) => reply.code(201).send(toRecordDto(await uploadRecord(deps, userOf(req), req.params.pid, uploadBodyOf(req, deps)))))

  app.get('/patients/:pid/records', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "A patient's records, newest first",
      params: RecordsParams,
      querystring: RecordListQuery,
      response: { 200: Page, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listRecords(deps, userOf(req), req.params.pid, req.query))

  app.get('/patients/:pid/records/:id', {
    config: { access: patientOrDoctor },
    schema: { tags, summary: 'One record', params: RecordParams, response: { 200: MedicalRecord, 403: Problem, 404: Problem } },
  }, async (req) => toRecordDto(await getRecord(deps, userOf(req), req.params.pid, req.params.id)))

  app.patch('/patients/:pid/records/:id', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "Change a record's metadata (the patient only)",
      description: 'The file, its type and its fileName never change; fileName is not renamed when category or recordDate change.',
      params: RecordParams,
      body: RecordPatchBody,
      response: { 200: MedicalRecord, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => toRecordDto(await updateRecord(deps, userOf(req), req.params.pid, req.params.id, req.body)))

  app.delete('/patients/:pid/records/:id', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'Delete a record and destroy its data key (the patient only)',
      params: RecordParams,
      response: { 204: z.null(), 403: Problem, 404: Problem },
    },
  }, async (req, reply) => {
    await deleteRecord(deps, userOf(req), req.params.pid, req.params.id)
    return reply.code(204).send(null)
  })

  app.get('/patients/:pid/records/:id/content', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "A record's bytes (Range, If-None-Match supported)",
      produces: ['application/octet-stream'],
      params: RecordParams,
      response: { 200: Bytes, 206: Bytes, 304: z.null().describe('Not modified'), 403: Problem, 404: Problem, 416: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) =>
    sendRecordContent(
      reply,
      await openRecordContent(deps, userOf(req), req.params.pid, req.params.id, {
        range: headerOf(req, 'range'),
        ifNoneMatch: headerOf(req, 'if-none-match'),
        ifRange: headerOf(req, 'if-range'),
      }),
    ))

  app.get('/patients/:pid/records/:id/verify', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'Re-hash the stored bytes and compare with the recorded SHA-256',
      params: RecordParams,
      response: { 200: RecordVerification, 403: Problem, 404: Problem, 503: StorageUnavailable },
    },
  }, async (req) => verifyRecord(deps, userOf(req), req.params.pid, req.params.id))
}
