/**
 * Rules for the audit log (SPEC §3 table, §4.7): a patient reads their own events; an
 * admin verifies the chain's integrity (and reads no one's events).
 */
import { isActiveRole, type Actor } from '../actor.js'
import type { PatientScope } from './patient-data.js'

/** The chain as a whole: verification is about every event at once. */
export type AuditChain = null

export const auditRules = {
  'audit.read': (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId,
  'audit.verify': (a: Actor, _r: AuditChain) => isActiveRole(a, 'admin'),
} satisfies Record<string, (a: Actor, r: never) => boolean>
