/**
 * Patient scope resolution (SPEC §3, §4.8): turns `{pid}` into the `PatientScope` the
 * policy's rules judge. A doctor reaches a patient's data only while a consultation between
 * them is `approved` — asked on every request, so approving grants access at once and
 * ending removes it on the very next request.
 */
import type { Kysely, Transaction } from 'kysely'
import { NotFoundError } from '../app/errors.js'
import type { DB } from '../db/schema.js'
import { isUser, type Actor } from './actor.js'
import { hasApprovedConsultation } from './patient-scope.queries.js'
import type { PatientScope } from './rules/patient-data.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Resolves `{pid}` (a patient id or `me`, SPEC §4) to the scope the policy module judges.
 * Throws NotFoundError for `me` when the actor is not a patient, and for a share or
 * emergency actor asking for any patient but its own. Does not authorize: call
 * `authorize(actor, '<feature>.<verb>', scope)` next.
 */
export async function resolvePatientScope(db: Db, actor: Actor | null, pid: string): Promise<PatientScope> {
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
