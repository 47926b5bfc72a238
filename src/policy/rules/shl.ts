/**
 * Rules for SMART Health Links (SPEC §9): only the patient creates, lists and revokes links
 * made of their own data. The recipient of a link reads no data through the policy: the
 * files were encrypted when the link was made, and the server holds no key to them.
 */
import { isActiveRole, type Actor } from '../actor.js'
import type { PatientScope } from './patient-data.js'

const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId

export const shlRules = {
  'shl.create': isOwner,
  'shl.list': isOwner,
  'shl.revoke': isOwner,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
