/**
 * Rules for a patient's own data: profile, records, vitals, import (SPEC §3 table).
 * The patient has full access; a doctor reads and adds while a consultation is approved
 * right now; a caregiver (SPEC §10) reads with `read` access and also adds with `manage`
 * (editing and deleting records only for a dependent's locker); nobody else.
 */
import type { CaregiverAccess } from '../../db/schema.js'
import { isActiveRole, type Actor } from '../actor.js'

/** A patient's data, as the policy sees it: whose it is and how the actor is related to them now. */
export interface PatientScope {
  patientId: string
  /** True when the acting doctor has an approved consultation with this patient right now. */
  actorHasApprovedConsultation: boolean
  /**
   * The access the patient granted the acting user as a caregiver (SPEC §10), when the grant is
   * active right now (accepted, not revoked, not expired); absent or null otherwise. Set only by
   * `resolvePatientScope` for a patient account acting on another patient's locker.
   */
  caregiverAccess?: CaregiverAccess | null | undefined
  /**
   * True when the locker is a dependent's (a patient with no login, SPEC §10). Set by
   * `resolvePatientScope` only alongside an active `caregiverAccess`; absent otherwise.
   */
  lockerIsDependent?: boolean | undefined
}

/** The patient themselves. */
export const isOwner = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id === r.patientId
const isTreatingDoctor = (a: Actor, r: PatientScope) => isActiveRole(a, 'doctor') && r.actorHasApprovedConsultation

/** A caregiver of the patient with any access (`read` or `manage`), right now (SPEC §10). */
export const isCaregiverReading = (a: Actor, r: PatientScope) =>
  isActiveRole(a, 'patient') && a.id !== r.patientId && (r.caregiverAccess === 'read' || r.caregiverAccess === 'manage')
/** A caregiver of the patient with `manage` access, right now (SPEC §10). */
export const isCaregiverManaging = (a: Actor, r: PatientScope) => isActiveRole(a, 'patient') && a.id !== r.patientId && r.caregiverAccess === 'manage'

/** A `manage` caregiver of a dependent: the only one who can tidy a locker whose patient has no login (security review M2, M3). */
export const isDependentsManager = (a: Actor, r: PatientScope) => isCaregiverManaging(a, r) && r.lockerIsDependent === true
/**
 * Changes to what is already in the locker (editing, deleting records): the patient, or a
 * `manage` caregiver of a dependent. SPEC §10's `manage` adds to a locker; it does not edit or
 * crypto-shred an adult's records (irreversible) — security review M2.
 */
export const ownerOrDependentsManager = (a: Actor, r: PatientScope) => isOwner(a, r) || isDependentsManager(a, r)

/** The patient, or a caregiver of theirs with any access: reads of their own locker (SPEC §10 `read`). */
export const ownerOrCaregiver = (a: Actor, r: PatientScope) => isOwner(a, r) || isCaregiverReading(a, r)
/** The patient, or a caregiver of theirs with `manage` access: changes to their locker (SPEC §10 `manage`). */
export const ownerOrManagingCaregiver = (a: Actor, r: PatientScope) => isOwner(a, r) || isCaregiverManaging(a, r)

const ownerOrTreatingDoctor = (a: Actor, r: PatientScope) => isOwner(a, r) || isTreatingDoctor(a, r)
/** Reads of the locker: the patient, a treating doctor, a caregiver of either level. */
const readers = (a: Actor, r: PatientScope) => ownerOrTreatingDoctor(a, r) || isCaregiverReading(a, r)
/** Additions (records, vitals): the patient, a treating doctor, a `manage` caregiver. */
const adders = (a: Actor, r: PatientScope) => ownerOrTreatingDoctor(a, r) || isCaregiverManaging(a, r)

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
  /** The emergency token is the patient's alone: never a caregiver's (SPEC §3, §10). */
  'emergency.manage': isOwner,
  'profile.read': readers,
  'profile.write': ownerOrManagingCaregiver,
  'record.list': (a: Actor, r: RecordScope) =>
    readers(a, r) || (a.kind === 'emergency' && a.patientId === r.patientId && r.listFrom !== undefined && r.listFrom >= a.recordsSince),
  'record.read': (a: Actor, r: RecordScope) => readers(a, r) || isShareOf(a, r) || isEmergencyFor(a, r),
  'record.create': adders,
  /** The patient, or a `manage` caregiver of a dependent (security review M2). */
  'record.update': ownerOrDependentsManager,
  /** Deleting crypto-shreds: the patient, or a `manage` caregiver of a dependent (security review M2). */
  'record.delete': ownerOrDependentsManager,
  'vitals.read': readers,
  'vitals.create': adders,
  /** Lab results (SPEC §4.8b): the same access as vitals. */
  'labs.read': readers,
  /** The health summary (SPEC §4.8) reads profile, vitals and records: the same people as those reads. */
  'summary.read': readers,
  /** Importing is uploading records: the patient or a `manage` caregiver. */
  'import.run': ownerOrManagingCaregiver,
  /**
   * The FHIR API's reads with no /api/v1 twin (prescriptions and dispensations as FHIR, $everything, $summary; SPEC §9): the same people as the other reads.
   * Which prescriptions, dispensations and consultations they then see is narrowed per row by
   * `readablePrescriptions` and `readableConsultations` (a doctor: only their own).
   */
  'fhir.read': ownerOrTreatingDoctor,
} satisfies Record<string, (a: Actor, r: PatientScope) => boolean>
