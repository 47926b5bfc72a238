/**
 * Rules for appointments (SPEC §10 "Appointments", FHIR Schedule / Slot / Appointment): a
 * verified doctor publishes their own availability; signed-in patients and doctors read free
 * slots; a patient books for themself and a `manage` caregiver for the patient they manage
 * (§3 caregiver rule); an appointment is seen by its two parties and the patient's caregivers
 * of either level, and cancelled or rescheduled by its two parties and a `manage` caregiver.
 */
import { isActiveRole, type Actor } from '../actor.js'
import type { SelfTarget } from './consultations.js'
import { isOwner, ownerOrCaregiver, ownerOrManagingCaregiver, type PartyFilter, type PatientScope } from './patient-data.js'

/** An appointment as the policy sees it: the patient's scope (caregiver access included) and its doctor. */
export interface AppointmentScope extends PatientScope {
  doctorId: string
}

const isDoctorParty = (a: Actor, r: AppointmentScope) => isActiveRole(a, 'doctor') && a.id === r.doctorId

export const appointmentRules = {
  /** A verified doctor's own weekly availability and exceptions (FHIR Schedule). */
  'availability.manage': (a: Actor, r: SelfTarget) => isActiveRole(a, 'doctor') && a.id === r.userId,
  /** Free slots of any doctor: signed-in, verified patients (they book) and doctors (they look at colleagues' and their own). */
  'slots.read': (a: Actor, _r: SelfTarget) => isActiveRole(a, 'patient', 'doctor'),
  /** Book for a patient: the patient themself or a `manage` caregiver of theirs. */
  'appointment.book': (a: Actor, r: PatientScope) => ownerOrManagingCaregiver(a, r),
  /** A patient's appointments as a list (`GET /patients/{pid}/appointments`): the patient and caregivers of either level. */
  'appointment.list': (a: Actor, r: PatientScope) => ownerOrCaregiver(a, r),
  /** The caller's own side (`GET /appointments`): a patient's or a doctor's own appointments. */
  'appointment.own': (a: Actor, r: SelfTarget) => isActiveRole(a, 'patient', 'doctor') && a.id === r.userId,
  /** One appointment: its patient, its doctor, a caregiver of the patient of either level. */
  'appointment.read': (a: Actor, r: AppointmentScope) => ownerOrCaregiver(a, r) || isDoctorParty(a, r),
  /** Cancel or reschedule: either side, or a `manage` caregiver of the patient. */
  'appointment.change': (a: Actor, r: AppointmentScope) => ownerOrManagingCaregiver(a, r) || isDoctorParty(a, r),
} satisfies Record<string, (a: Actor, r: never) => boolean>


/**
 * Which of a patient's appointments a reader of their locker through the FHIR API (`fhir.read`:
 * the patient or a consenting doctor) sees, as a filter for SQL: the patient all, a doctor
 * only those with themself (as in `/api/v1`), anyone else none.
 */
export function readableAppointments(a: Actor, r: PatientScope): PartyFilter {
  if (isOwner(a, r)) return 'all'
  return isActiveRole(a, 'doctor') ? { doctorId: a.id } : null
}
