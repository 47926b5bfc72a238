/**
 * Consultations are the patient's consent (SPEC §3): a doctor reaches a patient's data
 * only while a consultation between them is `approved`. Routes and state transitions
 * arrive with the care-team issue; the consent check below is what every patient route
 * uses today.
 */
import type { Kysely, Transaction } from 'kysely'
import { NotFoundError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'
import { isUser, type Actor, type PatientScope } from '../../policy/index.js'
import { hasApprovedConsultation } from './consultations.queries.js'

/**
 * Resolves `{pid}` (a patient id or `me`, SPEC §4) to the scope the policy module judges.
 * Throws NotFoundError for `me` when the actor is not a patient, and for a share or
 * emergency actor asking for any patient but its own. Does not authorize: call
 * `authorize(actor, '<feature>.<verb>', scope)` next.
 */
export async function resolvePatientScope(db: Kysely<DB> | Transaction<DB>, actor: Actor | null, pid: string): Promise<PatientScope> {
  // A share link or emergency token reaches exactly one patient: its own.
  if (actor?.kind === 'share' || actor?.kind === 'emergency') {
    if (pid !== actor.patientId) throw new NotFoundError()
    return { patientId: pid, actorHasApprovedConsultation: false }
  }
  if (!isUser(actor)) throw new NotFoundError()
  if (pid === 'me') {
    if (actor.role !== 'patient') throw new NotFoundError('Only a patient has a "me" record locker.')
    return { patientId: actor.id, actorHasApprovedConsultation: false }
  }
  const consented = actor.role === 'doctor' && (await hasApprovedConsultation(db, pid, actor.id))
  return { patientId: pid, actorHasApprovedConsultation: consented }
}
