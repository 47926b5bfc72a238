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
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'
import { readableNotes, type Granted, type PatientScope, type UserActor } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import { checkEncounterLink } from '../encounters/encounter-link.js'
import * as q from './notes.queries.js'
import { toNoteDto, type CreateNoteInput, type NoteDto } from './notes.schema.js'

/** Audit resource: a patient's notes as a whole (lists, refusals); one note is `{type: 'note', id}`. */
const notesResource = (patientId: string) => ({ type: 'notes', id: patientId })

/**
 * `POST /patients/{pid}/notes {body (1–10000 characters), sharedWithPatient?}` → 201 Note
 * `{id, patientId, author: {id, name}, body, sharedWithPatient, encounterId, createdAt}`. Only a doctor
 * with an approved consultation (404 for any other doctor); consent is checked again inside
 * the write's transaction, so a consultation ended meanwhile is honoured. `encounterId`
 * (SPEC §10): a visit of this patient the doctor recorded — else 404 (unknown, another
 * patient's) or 409 `encounter-mismatch` (another doctor's).
 */
export function createNote(deps: Deps, actor: UserActor, pid: string, input: CreateNoteInput): Promise<NoteDto> {
  const created = (note: NoteDto) => [{ action: 'note.created', resource: { type: 'note', id: note.id } }] as const
  const access = { action: 'note.create', visibility: 'note.list', kind: 'write', resource: notesResource, audited: created } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const { id } = await q.insertNote(trx, {
      patientId: scope.patientId,
      authorId: actor.id,
      body: input.body,
      sharedWithPatient: input.sharedWithPatient,
      encounterId: await checkEncounterLink(trx, scope, input.encounterId, actor.id),
      createdAt: deps.now(),
    })
    const view = await q.findNoteView(trx, id)
    if (!view) throw new Error('A note just written is not visible in its own transaction.')
    return toNoteDto(view)
  })
}

/**
 * `GET /patients/{pid}/notes?limit&cursor` → `{items: Note[], nextCursor}`, newest first: a
 * treating doctor sees only their own notes on this patient, the patient only those shared
 * with them. 404 for anyone else; 400 for a bad cursor.
 */
export function listNotes(deps: Deps, actor: UserActor, pid: string, query: { limit: number; cursor?: string | undefined }): Promise<{ items: NoteDto[]; nextCursor: string | null }> {
  const prepare = (scope: PatientScope) => {
    const readable = readableNotes(actor, scope)
    if (!readable) throw new Error('note.list allowed an actor that may read no note.')
    const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
    return { readable, after: cursor && { createdAt: cursor[0], id: cursor[1] } }
  }
  const access = { action: 'note.list', kind: 'read', resource: notesResource, audited: 'note.viewed', prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db, prepared: { readable, after } }) => {
    const rows = await q.listNoteViews(db, {
      patientId: scope.patientId,
      authorId: 'authorId' in readable ? readable.authorId : undefined,
      sharedOnly: 'sharedWithPatient' in readable,
      after,
      limit: query.limit + 1,
    })
    return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], toNoteDto)
  })
}

/**
 * The notes of visit `encounterId` of the granted patient as `Note`s, oldest first: those
 * shared with the patient, plus `authorId`'s own (a doctor reading, SPEC §3 "doctor notes").
 * For the visit's detail (SPEC §10); neither authorizes nor audits: the caller did.
 */
export async function listEncounterNotes(db: Kysely<DB> | Transaction<DB>, patient: Granted<PatientScope>, encounterId: string, authorId: string | null): Promise<NoteDto[]> {
  return (await q.listEncounterNoteViews(db, { patientId: patient.patientId, encounterId, authorId })).map(toNoteDto)
}
