/** Schemas of the doctor directory (SPEC §4.8 `GET /doctors`) and its mapper. */
import { z } from 'zod'
import { ListQuery, singleLine } from '../../app/schemas.js'

export const DirectoryQuery = z
  .object({
    q: singleLine(200).min(1).optional(),
    specialty: singleLine(200).min(1).optional(),
    ...ListQuery,
  })
  .strict()
export type DirectoryInput = z.infer<typeof DirectoryQuery>

/** A directory entry: professional details only — never email or licence number. */
export const DirectoryDoctor = z.object({
  id: z.uuid(),
  name: z.string(),
  specialty: z.string(),
  organization: z.string().optional(),
})
export type DirectoryDoctorDto = z.infer<typeof DirectoryDoctor>

/** users row (doctor) → directory entry; `organization` only when set. */
export function toDirectoryDoctorDto(d: { id: string; name: string; specialty: string | null; organization: string | null }): DirectoryDoctorDto {
  return { id: d.id, name: d.name, specialty: d.specialty ?? '', ...(d.organization ? { organization: d.organization } : {}) }
}
