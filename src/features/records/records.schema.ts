/** Request and response schemas of medical records (SPEC §4.3), and the Record mapper. */
import { z } from 'zod'
import { CalendarDate, DateOrInstant, ListQuery, PatientIdParam, Uuid, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import { RECORD_CATEGORIES } from './record-category.js'
import type { RecordView } from './records.queries.js'

/** A record as the services hand it to `toRecordDto` (other features name it from here, not from the queries). */
export type { RecordView }

export const RecordCategorySchema = z.enum(RECORD_CATEGORIES)

/** Limits of the metadata fields, in characters. */
export const TITLE_MAX = 200
export const DOCTOR_NAME_MAX = 200
export const DESCRIPTION_MAX = 2000
/** `originalFileName` keeps at most this many characters of the uploaded name. */
export const ORIGINAL_FILE_NAME_MAX = 255

/** A record date: a real calendar date, not before 1900. (Not in the future is checked by the service, which knows today.) */
const RecordDate = CalendarDate.refine((v) => v >= '1900-01-01', 'A record date is not before 1900-01-01.')

/** Optional text (`singleLine` or `multiLine`): trimmed; empty means absent. */
const OptionalText = (schema: z.ZodString) => schema.transform((v) => (v === '' ? undefined : v)).optional()

/** The text fields of an upload (multipart fields are strings; unknown fields are 400). */
export const UploadFields = z
  .object({
    category: RecordCategorySchema,
    recordDate: RecordDate.optional(),
    title: OptionalText(singleLine(TITLE_MAX)),
    doctorName: OptionalText(singleLine(DOCTOR_NAME_MAX)),
    description: OptionalText(multiLine(DESCRIPTION_MAX)),
  })
  .strict()
export type UploadFieldsInput = z.infer<typeof UploadFields>

/** Nullable text for PATCH (`singleLine` or `multiLine`): null or "" clears the field. */
const PatchText = (schema: z.ZodString) => schema.nullable().transform((v) => (v === '' ? null : v)).optional()

/** `PATCH …/records/{id}`: metadata only (SPEC §4.3); the bytes, type and fileName never change. */
export const RecordPatchBody = z
  .object({
    title: PatchText(singleLine(TITLE_MAX)),
    category: RecordCategorySchema.optional(),
    recordDate: RecordDate.optional(),
    doctorName: PatchText(singleLine(DOCTOR_NAME_MAX)),
    description: PatchText(multiLine(DESCRIPTION_MAX)),
  })
  .strict()
export type RecordPatchInput = z.infer<typeof RecordPatchBody>

export const RecordsParams = z.object({ pid: PatientIdParam }).strict()
export const RecordParams = z.object({ pid: PatientIdParam, id: Uuid }).strict()

export const RecordListQuery = z
  .object({
    category: RecordCategorySchema.optional(),
    from: DateOrInstant.optional(),
    to: DateOrInstant.optional(),
    q: singleLine(200).min(1).optional(),
    ...ListQuery,
  })
  .strict()
export type RecordListInput = z.infer<typeof RecordListQuery>

export const MedicalRecord = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  fileName: z.string(),
  originalFileName: z.string(),
  title: z.string().nullable(),
  category: RecordCategorySchema,
  contentType: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  recordDate: z.string().describe('YYYY-MM-DD'),
  doctorName: z.string().nullable(),
  description: z.string().nullable(),
  uploadedAt: z.string(),
  uploadedBy: z.object({ id: z.uuid(), role: z.enum(['patient', 'doctor', 'pharmacist', 'admin']), name: z.string() }),
  source: z.enum(['upload', 'import']),
})
export type RecordDto = z.infer<typeof MedicalRecord>

export const RecordVerification = z.object({
  sha256: z.string().describe('The SHA-256 recorded at upload (hex).'),
  matches: z.boolean().describe('Whether the stored bytes still decrypt and hash to it.'),
})

/** A records row with its uploader → `Record` (SPEC §4.3). */
export function toRecordDto(r: RecordView): RecordDto {
  return {
    id: r.id,
    patientId: r.patientId,
    fileName: r.fileName,
    originalFileName: r.originalFileName,
    title: r.title,
    category: r.category as RecordDto['category'],
    contentType: r.contentType,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    recordDate: r.recordDate,
    doctorName: r.doctorName,
    description: r.description,
    uploadedAt: toInstant(r.uploadedAt),
    uploadedBy: { id: r.uploadedBy, role: r.uploaderRole, name: r.uploaderName },
    source: r.source,
  }
}
