/** Schemas of the doctor directory (SPEC §4.8 `GET /doctors`) and its mapper. */
import { z } from 'zod'
import { ListQuery, Uuid, singleLine } from '../../app/schemas.js'

export const DirectoryQuery = z
  .object({
    q: singleLine(200).min(1).optional(),
    specialty: singleLine(200).min(1).optional(),
    organizationId: Uuid.optional().describe('Only the members of this organization (SPEC §10).'),
    ...ListQuery,
  })
  .strict()
export type DirectoryInput = z.infer<typeof DirectoryQuery>

/** A directory entry: professional details only — never email or licence number. */
export const DirectoryDoctor = z.object({
  id: z.uuid(),
  name: z.string(),
  specialty: z.string(),
  organization: z.object({ id: z.uuid(), name: z.string() }).optional().describe('The organization the doctor belongs to (SPEC §10).'),
})
export type DirectoryDoctorDto = z.infer<typeof DirectoryDoctor>

/** users row (doctor) → directory entry; `organization` `{id, name}` only when the doctor belongs to one. */
export function toDirectoryDoctorDto(d: { id: string; name: string; specialty: string | null; organizationId: string | null; organization: string | null }): DirectoryDoctorDto {
  return { id: d.id, name: d.name, specialty: d.specialty ?? '', ...(d.organizationId && d.organization ? { organization: { id: d.organizationId, name: d.organization } } : {}) }
}
