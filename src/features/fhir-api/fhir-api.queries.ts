/**
 * SQL of the FHIR R4 API (SPEC §9): what it reads of a patient's locker, for searches (keyset
 * pages, newest first, `limit + 1` rows) and for the whole-patient bundles. Read only; no
 * business rules here (STYLE §2). Each search is an index scan: vitals and lab results by
 * (patient, type/code, time DESC, id DESC), records by (patient, uploaded_at), prescriptions
 * by patient.
 */
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'
import { newestFirst } from '../../db/keyset.js'

type Db = Kysely<DB> | Transaction<DB>

/** The keyset position after which a page starts: the last row's time and id. */
export interface After {
  at: Date
  id: string
}

/** The patient's profile row (demographics and the three clinical lists), if any. */
export function findProfile(db: Db, patientId: string) {
  return db.selectFrom('patientProfiles').selectAll().where('patientId', '=', patientId).executeTakeFirst()
}

/** The patient's account (name and email for a Patient without a profile); undefined when no patient has this id. */
export function findPatientAccount(db: Db, patientId: string) {
  return db.selectFrom('users').select(['id', 'name', 'email', 'createdAt']).where('id', '=', patientId).where('role', '=', 'patient').executeTakeFirst()
}

/** Filters of an Observation search, already parsed. */
export interface ObservationFilter {
  patientId: string
  /** Vital types asked for (by their LOINC); undefined: all. Empty: none. */
  vitalTypes?: string[] | undefined
  /** Lab LOINC codes asked for; undefined: all. Empty: none. */
  labCodes?: string[] | undefined
  from?: Date | undefined
  toExclusive?: Date | undefined
  after?: After | undefined
  /** Rows at most; undefined: all (the whole-patient bundles). */
  limit?: number | undefined
}

const VITAL_COLUMNS = ['id', 'type', 'loinc', 'value', 'systolic', 'diastolic', 'unit', 'context', 'measuredAt', 'flag', 'source', 'note'] as const
const LAB_COLUMNS = ['id', 'loinc', 'display', 'value', 'valueText', 'unit', 'referenceLow', 'referenceHigh', 'referenceText', 'interpretation', 'effectiveAt', 'source'] as const

/** Vitals of an Observation search, newest first (measured_at, id), at most `limit` rows. */
export function listVitalRows(db: Db, f: ObservationFilter) {
  let q = db.selectFrom('vitals').select(VITAL_COLUMNS).where('patientId', '=', f.patientId)
  if (f.vitalTypes) q = q.where('type', 'in', f.vitalTypes)
  return newestFirst(q, 'measuredAt', 'id', f).execute()
}

/** Lab results of an Observation search, newest first (effective_at, id), at most `limit` rows. */
export function listLabRows(db: Db, f: ObservationFilter) {
  let q = db.selectFrom('labResults').select(LAB_COLUMNS).where('patientId', '=', f.patientId)
  if (f.labCodes) q = q.where('loinc', 'in', f.labCodes)
  return newestFirst(q, 'effectiveAt', 'id', f).execute()
}

export type VitalRowOut = Awaited<ReturnType<typeof listVitalRows>>[number]
export type LabRowOut = Awaited<ReturnType<typeof listLabRows>>[number]

const RECORD_COLUMNS = ['id', 'title', 'originalFileName', 'fileName', 'category', 'contentType', 'sizeBytes', 'sha256', 'recordDate', 'doctorName', 'description', 'uploadedAt'] as const

/** Live records, newest upload first (uploaded_at, id). */
export function listRecordRows(db: Db, patientId: string, after: After | undefined, limit?: number) {
  let q = db.selectFrom('records').select(RECORD_COLUMNS).where('patientId', '=', patientId).where('deletedAt', 'is', null)
  if (after) q = q.where((eb) => eb(eb.refTuple('uploadedAt', 'id'), '<', eb.tuple(after.at, after.id)))
  return q.orderBy('uploadedAt', 'desc').orderBy('id', 'desc').$if(limit !== undefined, (qb) => qb.limit(limit as number)).execute()
}

export type RecordRowOut = Awaited<ReturnType<typeof listRecordRows>>[number]

/** The patient a live record belongs to (the Binary read names no patient). */
export async function findRecordPatient(db: Db, recordId: string): Promise<string | undefined> {
  const row = await db.selectFrom('records').select('patientId').where('id', '=', recordId).where('deletedAt', 'is', null).executeTakeFirst()
  return row?.patientId
}

/** The keyset position of a dispensed item: the dispensation's time and id, then the item's id. */
export interface DispenseAfter extends After {
  itemId: string
}

/** Rows of one prescriber only (a doctor reads the prescriptions they wrote); undefined: every row. */
export interface OfDoctor {
  doctorId: string
}

/**
 * Prescription items of the patient with their prescription and prescriber, newest
 * prescription first (issued_at, item id); with `of`, only that doctor's prescriptions.
 */
export function listPrescriptionItemRows(db: Db, patientId: string, after: After | undefined, limit?: number, of?: OfDoctor) {
  let q = db
    .selectFrom('prescriptionItems as i')
    .innerJoin('prescriptions as p', 'p.id', 'i.prescriptionId')
    .innerJoin('users as d', 'd.id', 'p.doctorId')
    .select([
      'i.id', 'i.medicineName', 'i.dosage', 'i.frequency', 'i.quantity', 'i.durationDays', 'i.instructions', 'i.position',
      'p.id as prescriptionId', 'p.prescriptionNumber', 'p.diagnosis', 'p.status', 'p.issuedAt', 'p.expiresAt', 'd.name as doctorName',
    ])
    .where('p.patientId', '=', patientId)
  if (of) q = q.where('p.doctorId', '=', of.doctorId)
  if (after) q = q.where((eb) => eb(eb.refTuple('p.issuedAt', 'i.id'), '<', eb.tuple(after.at, after.id)))
  return q.orderBy('p.issuedAt', 'desc').orderBy('i.id', 'desc').$if(limit !== undefined, (qb) => qb.limit(limit as number)).execute()
}

export type PrescriptionItemRowOut = Awaited<ReturnType<typeof listPrescriptionItemRows>>[number]

/**
 * Items given out at the pharmacy for the patient's prescriptions, newest dispensation first
 * (dispensed_at, dispensation id, item id); with `of`, only for that doctor's prescriptions.
 */
export function listDispensedItemRows(db: Db, patientId: string, after: DispenseAfter | undefined, limit?: number, of?: OfDoctor) {
  let q = db
    .selectFrom('dispensationItems as di')
    .innerJoin('dispensations as x', 'x.id', 'di.dispensationId')
    .innerJoin('prescriptionItems as i', 'i.id', 'di.itemId')
    .innerJoin('prescriptions as p', 'p.id', 'x.prescriptionId')
    .innerJoin('users as ph', 'ph.id', 'x.pharmacistId')
    .select([
      'di.dispensationId', 'di.itemId', 'di.quantity', 'di.batchNumber', 'x.dispensedAt', 'x.prescriptionId',
      'i.medicineName', 'i.dosage', 'i.frequency', 'ph.name as pharmacistName', 'ph.pharmacyName',
    ])
    .where('p.patientId', '=', patientId)
  if (of) q = q.where('p.doctorId', '=', of.doctorId)
  if (after) q = q.where((eb) => eb(eb.refTuple('x.dispensedAt', 'x.id', 'di.itemId'), '<', eb.tuple(after.at, after.id, after.itemId)))
  return q.orderBy('x.dispensedAt', 'desc').orderBy('x.id', 'desc').orderBy('di.itemId', 'desc').$if(limit !== undefined, (qb) => qb.limit(limit as number)).execute()
}

export type DispensedItemRowOut = Awaited<ReturnType<typeof listDispensedItemRows>>[number]

/** Consultations of the patient (its consents to doctors), with the doctor's name, newest first; with `of`, only that doctor's. */
export function listConsultationRows(db: Db, patientId: string, of?: OfDoctor) {
  let q = db
    .selectFrom('consultations as c')
    .innerJoin('users as d', 'd.id', 'c.doctorId')
    .select(['c.id', 'c.status', 'c.reason', 'c.createdAt', 'c.decidedAt', 'c.endedAt', 'c.doctorId', 'd.name as doctorName'])
    .where('c.patientId', '=', patientId)
  if (of) q = q.where('c.doctorId', '=', of.doctorId)
  return q.orderBy('c.createdAt', 'desc').orderBy('c.id', 'desc').execute()
}

export type ConsultationRowOut = Awaited<ReturnType<typeof listConsultationRows>>[number]

/**
 * The patient's appointments (SPEC §10), latest start first (starts_at, id); with `of`, only
 * those with that doctor. Doctor's name for the practitioner participant.
 */
export function listAppointmentRows(db: Db, patientId: string, after: After | undefined, limit: number, of?: OfDoctor) {
  let q = db
    .selectFrom('appointments as a')
    .innerJoin('users as d', 'd.id', 'a.doctorId')
    .select(['a.id', 'a.doctorId', 'a.startsAt', 'a.endsAt', 'a.status', 'a.reason', 'a.createdAt', 'd.name as doctorName'])
    .where('a.patientId', '=', patientId)
  if (of) q = q.where('a.doctorId', '=', of.doctorId)
  if (after) q = q.where((eb) => eb(eb.refTuple('a.startsAt', 'a.id'), '<', eb.tuple(after.at, after.id)))
  return q.orderBy('a.startsAt', 'desc').orderBy('a.id', 'desc').limit(limit).execute()
}

export type AppointmentRowOut = Awaited<ReturnType<typeof listAppointmentRows>>[number]
