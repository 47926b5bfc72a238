/**
 * Rules for share links (SPEC §3, §4.5): only the patient creates, lists and revokes links
 * to their own records. Reading through a link is the `share` actor's `record.read`
 * (rules/patient-data.ts), limited to that one record.
 */
import { isActiveRole, type Actor } from '../actor.js'
import type { PatientScope } from './patient-data.js'

const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId

export const shareLinkRules = {
  'share.create': isOwner,
  'share.list': isOwner,
  'share.revoke': isOwner,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
