/**
 * Every FHIR resource of one patient's locker (SPEC §9), read with the caller's database
 * handle and mapped once: what `$everything`, `$summary`, `Patient/{id}` and the profile-list
 * searches are built from. Does not authorize: callers do (through `withPatientData`).
 */
import type { Kysely, Transaction } from 'kysely'
import type * as fhir4 from 'fhir/r4.js'
import { NotFoundError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'
import type { PartyFilter } from '../../policy/index.js'
import { consultationConsent } from './consents.js'
import { recordDocumentReference } from './documents.js'
import * as q from './fhir-api.queries.js'
import { encounterResource } from './encounters.js'
import { dispensedItem, prescriptionItemRequest } from './medication-orders.js'
import { labObservation, vitalObservation } from './observations.js'
import { toAllergyIntolerance, toCondition, toMedicationStatement, toPatient } from './profile-resources.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Where and when the resources are served: `baseUrl` is `$PUBLIC_URL/fhir/R4` (no trailing
 * slash). `readable`: which prescriptions (with their dispensations) and consultations the
 * reader may see, as the policy's `readablePrescriptions` / `readableConsultations` decided;
 * absent, all of them (the patient's own export and SMART Health Links).
 */
export interface FhirContext {
  baseUrl: string
  now: Date
  readable?: { prescriptions: PartyFilter; consultations: PartyFilter } | undefined
}

/**
 * `list(of)` for the rows the policy's filter `f` allows: every row (`'all'` or undefined:
 * `of` undefined), one doctor's (`of` = `{doctorId}`), or none (null: [] without querying).
 */
export async function listAllowed<T>(f: PartyFilter | undefined, list: (of: q.OfDoctor | undefined) => Promise<T[]>): Promise<T[]> {
  if (f === null) return []
  return list(f === undefined || f === 'all' ? undefined : f)
}

/** The profile part of a locker: the Patient and its three lists (profile order). */
export interface ProfileResources {
  patient: fhir4.Patient
  allergies: fhir4.AllergyIntolerance[]
  conditions: fhir4.Condition[]
  medications: fhir4.MedicationStatement[]
}

/** The whole locker as FHIR, by kind; time-ordered kinds newest first. */
export interface PatientResources extends ProfileResources {
  vitals: fhir4.Observation[]
  labs: fhir4.Observation[]
  documents: fhir4.DocumentReference[]
  requests: fhir4.MedicationRequest[]
  dispenses: fhir4.MedicationDispense[]
  consents: fhir4.Consent[]
  /** Visits (SPEC §10), newest first. */
  encounters: fhir4.Encounter[]
}

/**
 * The Patient (the profile's demographics, else the account's name) and the profile's lists.
 * Throws NotFoundError when no patient account has this id.
 */
export async function loadProfileResources(db: Db, patientId: string): Promise<ProfileResources> {
  const [profile, account] = await Promise.all([q.findProfile(db, patientId), q.findPatientAccount(db, patientId)])
  if (!account) throw new NotFoundError('Patient not found.')
  const patient = toPatient({
    id: patientId,
    fullName: profile?.fullName || account.name,
    dateOfBirth: profile?.dateOfBirth ?? null,
    sex: profile?.sex ?? null,
  })
  return {
    patient,
    allergies: (profile?.allergies ?? []).map((a) => toAllergyIntolerance(patientId, a)),
    conditions: (profile?.conditions ?? []).map((c) => toCondition(patientId, c)),
    medications: (profile?.medications ?? []).map((m) => toMedicationStatement(patientId, m)),
  }
}

/**
 * Every resource of the patient (see {@link PatientResources}); prescriptions, dispensations
 * and consultations only as far as `ctx.readable` allows. Throws NotFoundError as {@link loadProfileResources}. */
export async function loadPatientResources(db: Db, patientId: string, ctx: FhirContext): Promise<PatientResources> {
  const profile = await loadProfileResources(db, patientId)
  const [vitals, labs, records, items, dispensed, consultations, encounters] = await Promise.all([
    q.listVitalRows(db, { patientId }),
    q.listLabRows(db, { patientId }),
    q.listRecordRows(db, patientId, undefined),
    listAllowed(ctx.readable?.prescriptions, (of) => q.listPrescriptionItemRows(db, patientId, undefined, undefined, of)),
    listAllowed(ctx.readable?.prescriptions, (of) => q.listDispensedItemRows(db, patientId, undefined, undefined, of)),
    listAllowed(ctx.readable?.consultations, (of) => q.listConsultationRows(db, patientId, of)),
    q.listEncounterRows(db, patientId, undefined),
  ])
  return {
    ...profile,
    vitals: vitals.map((v) => vitalObservation(patientId, v)),
    labs: labs.map((l) => labObservation(patientId, l)),
    documents: records.map((r) => recordDocumentReference(patientId, r, ctx.baseUrl)),
    requests: items.map((i) => prescriptionItemRequest(patientId, i, ctx.now)),
    dispenses: dispensed.map((d) => dispensedItem(patientId, d)),
    consents: consultations.map((c) => consultationConsent(patientId, c)),
    encounters: encounters.map((e) => encounterResource(patientId, e)),
  }
}
