/**
 * Patient scope resolution (SPEC §3, §4.8, §10): turns `{pid}` into the `PatientScope` the
 * policy's rules judge. A doctor reaches a patient's data only while a consultation between
 * them is `approved`, and another patient account only while it holds an active caregiver
 * grant — both asked on every request, so granting takes effect at once and ending or
 * revoking removes access on the very next request.
 */
import type { Kysely, Transaction } from 'kysely'
import { NotFoundError } from '../app/errors.js'
import type { DB } from '../db/schema.js'
import { isUser, type Actor } from './actor.js'
import { activeCaregiverAccess, hasApprovedConsultation, lockAccountStatus } from './patient-scope.queries.js'
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
  if (actor.role === 'patient') {
    // Another patient's locker is reached only as their caregiver (SPEC §10).
    // The grant counts only while the patient's account is active (security review L2).
    const grant = pid === actor.id ? null : await activeCaregiverAccess(db, pid, actor.id)
    if (!grant) return { patientId: pid, actorHasApprovedConsultation: false, caregiverAccess: null }
    return { patientId: pid, actorHasApprovedConsultation: false, caregiverAccess: grant.access, lockerIsDependent: grant.isDependent }
  }
  const consented = actor.role === 'doctor' && (await hasApprovedConsultation(db, pid, actor.id))
  return { patientId: pid, actorHasApprovedConsultation: consented }
}

/**
 * The actor as it stands now, inside a write's transaction: a user actor's `status` re-read
 * (and its row locked FOR KEY SHARE until the transaction ends), so a write that was allowed
 * before the account was erased or disabled is judged again on the fresh status — the policy
 * then refuses it (404 for patient data) and nothing is written (security review L3). Other actors unchanged.
 */
export async function currentActor(trx: Transaction<DB>, actor: Actor): Promise<Actor> {
  if (!isUser(actor)) return actor
  return { ...actor, status: await lockAccountStatus(trx, actor.id) }
}
