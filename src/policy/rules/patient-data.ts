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

/**
 * Which of a patient's rows with a doctor party (prescriptions, consultations) an actor may
 * read, as a filter for SQL lists: all of them, those of one doctor, or none (null).
 */
export type PartyFilter = 'all' | { doctorId: string } | null

/** One record, as the policy sees it: whose, which, and its date (for the emergency window). */
export interface RecordScope extends PatientScope {
  recordId?: string | undefined
  recordDate?: string | undefined
  /** For lists: the earliest record date asked for. */
  listFrom?: string | undefined
}

/** A share link reads the one record it was made for (SPEC §4.5). */
const isShareOf = (a: Actor, r: RecordScope) =>
  a.kind === 'share' && a.patientId === r.patientId && r.recordId !== undefined && a.recordId === r.recordId

/** An emergency token reads its patient's records dated within its window (SPEC §4.6: last 6 months). */
const isEmergencyFor = (a: Actor, r: RecordScope) =>
  a.kind === 'emergency' && a.patientId === r.patientId && r.recordDate !== undefined && r.recordDate >= a.recordsSince

/** The emergency view of a patient (SPEC §3: "anyone with a link: emergency view only"). */
const isEmergencyOf = (a: Actor, r: PatientScope) => a.kind === 'emergency' && a.patientId === r.patientId

export const patientDataRules = {
  'emergency.view': isEmergencyOf,
  'emergency.manage': isOwner,
  'profile.read': ownerOrTreatingDoctor,
  'profile.write': isOwner,
  'record.list': (a: Actor, r: RecordScope) =>
    ownerOrTreatingDoctor(a, r) || (a.kind === 'emergency' && a.patientId === r.patientId && r.listFrom !== undefined && r.listFrom >= a.recordsSince),
  'record.read': (a: Actor, r: RecordScope) => ownerOrTreatingDoctor(a, r) || isShareOf(a, r) || isEmergencyFor(a, r),
  'record.create': ownerOrTreatingDoctor,
  'record.update': isOwner,
  'record.delete': isOwner,
  'vitals.read': ownerOrTreatingDoctor,
  'vitals.create': ownerOrTreatingDoctor,
  /** Lab results (SPEC §4.8b): the same access as vitals. */
  'labs.read': ownerOrTreatingDoctor,
  /** The health summary (SPEC §4.8) reads profile, vitals and records: the same people as those reads. */
  'summary.read': ownerOrTreatingDoctor,
  'import.run': isOwner,
  /**
   * The FHIR API's reads with no /api/v1 twin (prescriptions and dispensations as FHIR, $everything, $summary; SPEC §9): the same people as the other reads.
   * Which prescriptions, dispensations and consultations they then see is narrowed per row by
   * `readablePrescriptions` and `readableConsultations` (a doctor: only their own).
   */
  'fhir.read': ownerOrTreatingDoctor,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
