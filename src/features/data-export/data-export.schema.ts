/** Request and response schemas of the export routes (SPEC §9) and the row → DTO mapper. */
import { z } from 'zod'
import { PatientIdParam, toInstant, Uuid } from '../../app/schemas.js'
import type { ExportRow } from './data-export.queries.js'

export const ExportsParams = z.object({ pid: PatientIdParam }).strict()
export const ExportParams = z.object({ pid: PatientIdParam, id: Uuid }).strict()

export const ExportStatus = z.enum(['pending', 'ready', 'failed'])

/** `POST …/export` → 202. */
export const ExportAccepted = z.object({ id: Uuid, status: ExportStatus })

/** An export as the patient polls it (SPEC §9): the download link and size once ready, the reason once failed. */
export const PatientExport = z.object({
  id: Uuid,
  status: ExportStatus,
  createdAt: z.iso.datetime(),
  downloadUrl: z.string().optional().describe('The authenticated API path of the zip (bearer token, never a token in the URL); once ready.'),
  sizeBytes: z.number().int().min(0).optional().describe('Size of the zip in bytes; once ready.'),
  expiresAt: z.iso.datetime().optional().describe('After this instant the export answers 410 and its zip is removed; once ready (24 h).'),
  error: z.string().optional().describe('Why it failed; once failed.'),
})
export type PatientExportDto = z.infer<typeof PatientExport>

export const ExportList = z.object({ items: z.array(PatientExport), nextCursor: z.null() })

export const ExportZip = z.unknown().meta({ type: 'string', format: 'binary', description: 'The export zip (application/zip).' })

/** The row as the API shows it; `downloadUrl` names the patient as the request did (`me` or the id). */
export function toExportDto(row: ExportRow, pid: string): PatientExportDto {
  const dto: PatientExportDto = { id: row.id, status: row.status, createdAt: toInstant(row.createdAt) }
  if (row.status === 'ready') {
    dto.downloadUrl = `/api/v1/patients/${pid}/exports/${row.id}/download`
    if (row.sizeBytes !== null) dto.sizeBytes = Number(row.sizeBytes)
    dto.expiresAt = toInstant(row.expiresAt)
  }
  if (row.status === 'failed' && row.error) dto.error = row.error
  return dto
}
