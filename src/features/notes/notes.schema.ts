/** Schemas of doctors' notes (SPEC §4.8) and the Note mapper. */
import { z } from 'zod'
import { ListQuery, PatientIdParam, Uuid, multiLine, toInstant } from '../../app/schemas.js'
import type { NoteView } from './notes.queries.js'

export const NOTE_BODY_MAX = 10_000

export const NotesParams = z.object({ pid: PatientIdParam }).strict()
export const NoteListQuery = z.object(ListQuery).strict()

export const CreateNoteBody = z
  .object({
    body: multiLine(NOTE_BODY_MAX).min(1, 'A note needs some text.'),
    sharedWithPatient: z.boolean().default(false),
    encounterId: Uuid.optional().describe('A visit of this patient that the writing doctor recorded (SPEC §10).'),
  })
  .strict()
export type CreateNoteInput = z.infer<typeof CreateNoteBody>

export const Note = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  author: z.object({ id: z.uuid(), name: z.string() }),
  body: z.string(),
  sharedWithPatient: z.boolean(),
  /** The visit it was written at (SPEC §10), or null. */
  encounterId: z.uuid().nullable(),
  createdAt: z.string(),
})
export type NoteDto = z.infer<typeof Note>

/** notes row (with author name) → `Note`. */
export function toNoteDto(n: NoteView): NoteDto {
  return {
    id: n.id,
    patientId: n.patientId,
    author: { id: n.authorId, name: n.authorName },
    body: n.body,
    sharedWithPatient: n.sharedWithPatient,
    encounterId: n.encounterId,
    createdAt: toInstant(n.createdAt),
  }
}
