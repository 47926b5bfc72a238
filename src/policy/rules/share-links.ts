/**
 * Rules for share links (SPEC §3, §4.5, §10): the patient, or a `manage` caregiver of theirs, creates, lists and revokes links
 * to their own records. Reading through a link is the `share` actor's `record.read`
 * (rules/patient-data.ts), limited to that one record.
 */
import type { Actor } from '../actor.js'
import { ownerOrManagingCaregiver, type PatientScope } from './patient-data.js'

/** The patient, or a `manage` caregiver of theirs (SPEC §10: "manages share links"). */
export const shareLinkRules = {
  'share.create': ownerOrManagingCaregiver,
  'share.list': ownerOrManagingCaregiver,
  'share.revoke': ownerOrManagingCaregiver,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
