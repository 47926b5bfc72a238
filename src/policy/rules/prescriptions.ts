/**
 * Rules for prescriptions as doctors and patients use them (SPEC §3 "prescriptions", §4.9):
 * a verified doctor with an approved consultation writes one; its patient and its prescriber
 * read it; only the prescriber cancels it. Pharmacists work through rules/dispensing.ts.
 */
import { isActiveRole, type Actor } from '../actor.js'
import { isDependentsManager, isOwner, ownerOrCaregiver, type PartyFilter, type PatientScope } from './patient-data.js'

/** One prescription as the policy sees it: its two parties. */
export interface PrescriptionScope {
  patientId: string
  doctorId: string
}

/** One prescription in a patient's locker (its list, a visit's detail): the locker's scope and the prescriber. */
export interface PrescriptionQrScope extends PatientScope {
  doctorId: string
}

/** The signed-in user listing their own prescriptions (issued, or received). */
export interface PrescriptionListTarget {
  userId: string
}

const isPatientOf = (a: Actor, r: PrescriptionScope) => isActiveRole(a, 'patient') && a.id === r.patientId
const isPrescriberOf = (a: Actor, r: PrescriptionScope) => isActiveRole(a, 'doctor') && a.id === r.doctorId

export const prescriptionRules = {
  /** Consent is an approved consultation right now (SPEC §3). */
  'prescription.create': (a: Actor, r: PatientScope) => isActiveRole(a, 'doctor') && r.actorHasApprovedConsultation,
  'prescription.list': (a: Actor, r: PrescriptionListTarget) => isActiveRole(a, 'patient', 'doctor') && a.id === r.userId,
  /** One locker's prescriptions (`GET /patients/{pid}/prescriptions`): the patient or a caregiver of theirs, either level (SPEC §10). */
  'prescription.locker': ownerOrCaregiver,
  /** The prescriber keeps reading what they wrote after the consultation ends: it is their act. */
  'prescription.read': (a: Actor, r: PrescriptionScope) => isPatientOf(a, r) || isPrescriberOf(a, r),
  /**
   * Who gets `qr` (the signed token a pharmacist scans to dispense) in a locker's
   * prescriptions: the patient, the prescriber, or a `manage` caregiver of a dependent (a parent
   * collects a child's medicine). Read caregivers and caregivers of an adult get the
   * prescription without it (security review M3).
   */
  'prescription.qr': (a: Actor, r: PrescriptionQrScope) => isOwner(a, r) || isPrescriberOf(a, r) || isDependentsManager(a, r),
  'prescription.cancel': isPrescriberOf,
  /** Re-send the email to the patient: the patient or the prescriber. */
  'prescription.email': (a: Actor, r: PrescriptionScope) => isPatientOf(a, r) || isPrescriberOf(a, r),
} satisfies Record<string, (a: Actor, r: never) => boolean>

/**
 * `prescription.read` as a filter for a patient's lists (the FHIR API's MedicationRequest,
 * MedicationDispense and `$everything`, SPEC §9): the patient reads all of theirs (`'all'`),
 * a doctor only those they wrote (`{doctorId}`), anyone else none (null). A dispensation is
 * read with its prescription.
 */
export function readablePrescriptions(a: Actor, r: PatientScope): PartyFilter {
  if (isActiveRole(a, 'patient') && a.id === r.patientId) return 'all'
  return isActiveRole(a, 'doctor') ? { doctorId: a.id } : null
}
