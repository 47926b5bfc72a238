/**
 * Rules for encounters (visits, SPEC §10): a doctor with an approved consultation records a
 * visit; the patient, a treating doctor and a caregiver of either level (`read`, `manage`)
 * read the patient's visits. Nobody else sees any (404). What a reader sees of a visit's
 * notes and prescriptions is narrowed by `encounterParts`.
 */
import { isActiveRole, type Actor } from '../actor.js'
import { ownerOrCaregiver, type PartyFilter, type PatientScope } from './patient-data.js'

const isTreatingDoctor = (a: Actor, r: PatientScope) => isActiveRole(a, 'doctor') && r.actorHasApprovedConsultation

export const encounterRules = {
  'encounter.create': isTreatingDoctor,
  'encounter.read': (a: Actor, r: PatientScope) => ownerOrCaregiver(a, r) || isTreatingDoctor(a, r),
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>

/**
 * What a reader of a visit sees of the notes and prescriptions pointing to it (SPEC §3 "doctor
 * notes", §10 "with its notes shared with the patient"): the notes shared with the patient,
 * plus a doctor's own (`noteAuthorId`); all the visit's prescriptions for the patient and their
 * caregivers, a doctor's own only. Null for an actor who may not read the visit at all.
 */
export function encounterParts(a: Actor, r: PatientScope): { noteAuthorId: string | null; prescriptions: PartyFilter } | null {
  if (!encounterRules['encounter.read'](a, r)) return null
  if (isActiveRole(a, 'doctor')) return { noteAuthorId: a.id, prescriptions: { doctorId: a.id } }
  return { noteAuthorId: null, prescriptions: 'all' }
}
