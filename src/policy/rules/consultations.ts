/**
 * Rules for the care team (SPEC §3, §4.8): the doctor directory, consultations (the
 * patient's consent) and the doctor's patient list. Only the two parties ever see a
 * consultation; only its doctor decides it; either party ends it.
 */
import { isActiveRole, isUser, type Actor } from '../actor.js'
import type { PartyFilter, PatientScope } from './patient-data.js'

/** A consultation as the policy sees it: its two parties. */
export interface ConsultationParties {
  patientId: string
  doctorId: string
}

/** The signed-in user asking for their own lists (directory, consultations, patients). */
export interface SelfTarget {
  userId: string
}

const isPatientParty = (a: Actor, r: ConsultationParties) => isActiveRole(a, 'patient') && a.id === r.patientId
const isDoctorParty = (a: Actor, r: ConsultationParties) => isActiveRole(a, 'doctor') && a.id === r.doctorId

export const consultationRules = {
  /** The directory holds only professional details; any verified, active account may search it. */
  'doctor.search': (a: Actor, _r: SelfTarget) => isUser(a) && a.status === 'active',
  /** A patient asks for a consultation for themselves (never on someone else's behalf). */
  'consultation.request': (a: Actor, r: ConsultationParties) => isPatientParty(a, r),
  'consultation.list': (a: Actor, r: SelfTarget) => (isActiveRole(a, 'patient') || isActiveRole(a, 'doctor')) && a.id === r.userId,
  'consultation.read': (a: Actor, r: ConsultationParties) => isPatientParty(a, r) || isDoctorParty(a, r),
  /** Approve or reject: the addressed doctor only. */
  'consultation.decide': (a: Actor, r: ConsultationParties) => isDoctorParty(a, r),
  /** End an approved consultation: either party. */
  'consultation.end': (a: Actor, r: ConsultationParties) => isPatientParty(a, r) || isDoctorParty(a, r),
  /** Withdraw a pending request: the patient who made it. */
  'consultation.cancel': (a: Actor, r: ConsultationParties) => isPatientParty(a, r),
  /** `GET /doctor/patients`: a verified doctor's own list. */
  'consultation.patients': (a: Actor, r: SelfTarget) => isActiveRole(a, 'doctor') && a.id === r.userId,
} satisfies Record<string, (a: Actor, r: never) => boolean>

/**
 * `consultation.read` as a filter for a patient's consultations (the FHIR API's Consents in
 * `$everything`, SPEC §9): the patient reads all (`'all'`), a doctor only their own
 * (`{doctorId}`), anyone else none (null).
 */
export function readableConsultations(a: Actor, r: PatientScope): PartyFilter {
  if (isActiveRole(a, 'patient') && a.id === r.patientId) return 'all'
  return isActiveRole(a, 'doctor') ? { doctorId: a.id } : null
}
