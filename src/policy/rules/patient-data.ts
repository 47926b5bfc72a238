/**
 * Rules for a patient's own data: profile, records, vitals, import (SPEC §3 table).
 * The patient has full access; a doctor reads and adds while a consultation is approved
 * right now; nobody else.
 */
import { isActiveRole, type Actor } from '../actor.js'

/** A patient's data, as the policy sees it: whose it is and whether the actor is on their care team now. */
export interface PatientScope {
  patientId: string
  /** True when the acting doctor has an approved consultation with this patient right now. */
  actorHasApprovedConsultation: boolean
}

const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId
const isTreatingDoctor = (a: Actor, r: PatientScope) => isActiveRole(a, 'doctor') && r.actorHasApprovedConsultation

const ownerOrTreatingDoctor = (a: Actor, r: PatientScope) => isOwner(a, r) || isTreatingDoctor(a, r)

export const patientDataRules = {
  'profile.read': ownerOrTreatingDoctor,
  'profile.write': isOwner,
  'record.list': ownerOrTreatingDoctor,
  'record.read': ownerOrTreatingDoctor,
  'record.create': ownerOrTreatingDoctor,
  'record.update': isOwner,
  'record.delete': isOwner,
  'vitals.read': ownerOrTreatingDoctor,
  'vitals.create': ownerOrTreatingDoctor,
  'import.run': isOwner,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
