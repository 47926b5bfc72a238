/** SQL of doctors' notes. No business rules here (STYLE §2). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { DB, NotesTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts a note; returns its id. */
export function insertNote(db: Db, n: Omit<Selectable<NotesTable>, 'id'>) {
  return db.insertInto('notes').values(n).returning('id').executeTakeFirstOrThrow()
}

/** Notes with their author's name. */
function views(db: Db) {
  return db
    .selectFrom('notes as n')
    .innerJoin('users as a', 'a.id', 'n.authorId')
    .select(['n.id', 'n.patientId', 'n.authorId', 'a.name as authorName', 'n.body', 'n.sharedWithPatient', 'n.encounterId', 'n.createdAt'])
}
export type NoteView = NonNullable<Awaited<ReturnType<typeof findNoteView>>>

/** One note with its author's name. */
export function findNoteView(db: Db, id: string) {
  return views(db).where('n.id', '=', id).executeTakeFirst()
}

export interface NoteFilter {
  patientId: string
  /** Only this author's notes (a doctor) … */
  authorId?: string | undefined
  /** … or only the notes shared with the patient. */
  sharedOnly?: boolean | undefined
  /** Keyset: rows before this `(createdAt, id)`. */
  after?: { createdAt: Date; id: string } | undefined
  limit: number
}

/** A patient's notes, newest first (createdAt, then id). */
export function listNoteViews(db: Db, f: NoteFilter) {
  let q = views(db).where('n.patientId', '=', f.patientId)
  if (f.authorId !== undefined) q = q.where('n.authorId', '=', f.authorId)
  if (f.sharedOnly) q = q.where('n.sharedWithPatient', '=', true)
  if (f.after) q = q.where(sql<boolean>`(n.created_at, n.id) < (${f.after.createdAt}, ${f.after.id}::uuid)`)
  return q.orderBy('n.createdAt', 'desc').orderBy('n.id', 'desc').limit(f.limit).execute()
}

/** The notes of one visit of a patient, oldest first: those shared with the patient, and `authorId`'s own when given. */
export function listEncounterNoteViews(db: Db, f: { patientId: string; encounterId: string; authorId: string | null }) {
  return views(db)
    .where('n.patientId', '=', f.patientId)
    .where('n.encounterId', '=', f.encounterId)
    .where((eb) => (f.authorId === null ? eb('n.sharedWithPatient', '=', true) : eb.or([eb('n.sharedWithPatient', '=', true), eb('n.authorId', '=', f.authorId)])))
    .orderBy('n.createdAt')
    .orderBy('n.id')
    .execute()
}
