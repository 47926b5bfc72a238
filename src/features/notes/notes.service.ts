/**
 * Doctors' notes (SPEC §3, §4.8): a doctor with an approved consultation writes notes about
 * the patient; a note is visible to its author (while the consultation lasts) and, when
 * `sharedWithPatient`, to the patient. Nobody else sees any (404).
 *
 * Audit (SPEC §4.7): `note.created` in the write's transaction; `note.viewed` when a doctor
 * lists notes; `note.denied` when the policy refuses someone other than the patient.
 */
import type { Deps } from '../../app/deps.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import { authorize, readableNotes, type UserActor } from '../../policy/index.js'
import { resolvePatientScope } from '../consultations/consultations.service.js'
import * as q from './notes.queries.js'
import { toNoteDto, type CreateNoteInput, type NoteDto } from './notes.schema.js'

const notesTarget = (patientId: string) => ({ patientId, resource: { type: 'notes', id: patientId } })

/**
 * `POST /patients/{pid}/notes {body (1–10000 characters), sharedWithPatient?}` → 201 Note
 * `{id, patientId, author: {id, name}, body, sharedWithPatient, createdAt}`. Only a doctor
 * with an approved consultation (404 for any other doctor); consent is checked again inside
 * the write's transaction, so a consultation ended meanwhile is honoured.
 */
export async function createNote(deps: Deps, actor: UserActor, pid: string, input: CreateNoteInput): Promise<NoteDto> {
  const scope = await resolvePatientScope(deps.db, actor, pid)
  await deps.audit.guard(actor, 'note.denied', notesTarget(scope.patientId), () => authorize(actor, 'note.create', scope, 'note.list'))
  return deps.db.transaction().execute(async (trx) => {
    authorize(actor, 'note.create', await resolvePatientScope(trx, actor, pid), 'note.list')
    const { id } = await q.insertNote(trx, {
      patientId: scope.patientId,
      authorId: actor.id,
      body: input.body,
      sharedWithPatient: input.sharedWithPatient,
      createdAt: deps.now(),
    })
    const view = await q.findNoteView(trx, id)
    if (!view) throw new Error('A note just written is not visible in its own transaction.')
    await deps.audit.record(trx, actor, 'note.created', { patientId: scope.patientId, resource: { type: 'note', id } })
    return toNoteDto(view)
  })
}

/**
 * `GET /patients/{pid}/notes?limit&cursor` → `{items: Note[], nextCursor}`, newest first: a
 * treating doctor sees only their own notes on this patient, the patient only those shared
 * with them. 404 for anyone else; 400 for a bad cursor.
 */
export async function listNotes(deps: Deps, actor: UserActor, pid: string, query: { limit: number; cursor?: string | undefined }): Promise<{ items: NoteDto[]; nextCursor: string | null }> {
  const scope = await resolvePatientScope(deps.db, actor, pid)
  const target = notesTarget(scope.patientId)
  await deps.audit.guard(actor, 'note.denied', target, () => authorize(actor, 'note.list', scope))
  const readable = readableNotes(actor, scope)
  if (!readable) throw new Error('note.list allowed an actor that may read no note.')
  const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const after = cursor && { createdAt: cursor[0], id: cursor[1] }
  const rows = await deps.audit.audited(actor, 'note.viewed', target, (db) =>
    q.listNoteViews(db, {
      patientId: scope.patientId,
      authorId: 'authorId' in readable ? readable.authorId : undefined,
      sharedOnly: 'sharedWithPatient' in readable,
      after,
      limit: query.limit + 1,
    }),
  )
  return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], toNoteDto)
}
