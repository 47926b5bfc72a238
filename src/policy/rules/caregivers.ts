/**
 * Rules for caregivers and dependents (SPEC §3 "the caregiver rule", §10 "Caregivers"): only
 * the patient invites, lists and revokes their caregivers and creates dependents — never a
 * caregiver of theirs (§3: "never on the patient's … caregivers"). Accepting an invitation
 * makes the account a caregiver, who then uses the patient routes: only a patient account
 * can (the patient routes serve the patient role), so other roles are refused.
 */
import { isActiveRole, type Actor } from '../actor.js'
import { isOwner, type PatientScope } from './patient-data.js'

/** An invitation as the policy sees it: whose locker it opens. */
export interface InvitationTarget {
  patientId: string
}

export const caregiverRules = {
  'caregiver.manage': isOwner,
  'dependent.create': isOwner,
  /** A patient account other than the inviting patient. */
  'caregiver.accept': (a: Actor, r: InvitationTarget) => isActiveRole(a, 'patient') && a.id !== r.patientId,
} satisfies Record<string, (a: Actor, r: PatientScope & InvitationTarget) => boolean>
