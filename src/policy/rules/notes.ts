/**
 * Rules for doctors' notes (SPEC §3 "doctor notes", §4.8): a doctor with an approved
 * consultation writes notes and reads their own for that patient; the patient reads
 * those shared with them; nobody else reads any.
 */
import { isActiveRole, type Actor, type UserActor } from '../actor.js'
import type { PatientScope } from './patient-data.js'

/** One note, as the policy sees it. */
export interface NoteScope extends PatientScope {
  authorId: string
  sharedWithPatient: boolean
}

const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId
const isTreatingDoctor = (a: Actor, r: PatientScope): a is UserActor => isActiveRole(a, 'doctor') && r.actorHasApprovedConsultation

export const noteRules = {
  'note.create': isTreatingDoctor,
  'note.list': (a: Actor, r: PatientScope) => isOwner(a, r) || isTreatingDoctor(a, r),
  'note.read': (a: Actor, r: NoteScope) => (isOwner(a, r) && r.sharedWithPatient) || (isTreatingDoctor(a, r) && a.id === r.authorId),
} satisfies Record<string, (a: Actor, r: never) => boolean>

/**
 * `note.read` as a filter for SQL lists, so a page holds only readable notes: the author's
 * own (a treating doctor), the shared ones (the patient), or nothing (null).
 */
export function readableNotes(a: Actor, r: PatientScope): { authorId: string } | { sharedWithPatient: true } | null {
  if (isOwner(a, r)) return { sharedWithPatient: true }
  if (isTreatingDoctor(a, r)) return { authorId: a.id }
  return null
}
