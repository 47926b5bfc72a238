/** SQL of prescriptions. No business rules here (STYLE §2); `db` (or a transaction) comes first. */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import { allColumns, qualified } from '../../db/columns.js'
import { cacheTags, forgetLocally } from '../../db/node-cache.js'
import type { DB, PrescriptionItemRow, PrescriptionItemsTable, PrescriptionsTable, StoredPrescriptionStatus } from '../../db/schema.js'
import type { DispensationView, PrescriptionJoinedRow } from './prescriptions.schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** The next value of the prescription counter (a SEQUENCE: no daily cap, never reused). */
export async function nextPrescriptionSerial(trx: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT nextval('prescription_number_seq') AS n`.execute(trx)
  return Number(rows[0]!.n)
}

/**
 * Inserts a prescription; returns its id, or undefined when the reference code is already
 * taken (ON CONFLICT DO NOTHING keeps the transaction usable so the caller can draw again).
 */
export async function insertPrescription(trx: Db, values: Insertable<PrescriptionsTable>): Promise<string | undefined> {
  const row = await trx
    .insertInto('prescriptions')
    .values(values)
    .onConflict((oc) => oc.column('referenceCode').doNothing())
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

/** Inserts a prescription's items (their `position` keeps the prescriber's order). */
export async function insertItems(trx: Db, items: Insertable<PrescriptionItemsTable>[]): Promise<void> {
  await trx.insertInto('prescriptionItems').values(items).execute()
}

/** Prescriptions with the patient's and prescriber's names (and the rejecting pharmacist's). */
const PRESCRIPTION_COLUMNS = allColumns<PrescriptionsTable>()([
  'id', 'prescriptionNumber', 'referenceCode', 'qrNonce', 'patientId', 'doctorId', 'diagnosis', 'notes', 'status', 'issuedAt',
  'expiresAt', 'scanCount', 'lastScannedAt', 'cancelledAt', 'rejectedAt', 'rejectedBy', 'rejectionReason', 'prescriberWarnings', 'updatedAt',
  'encounterId',
])
const ITEM_COLUMNS = allColumns<PrescriptionItemsTable>()([
  'id', 'prescriptionId', 'position', 'medicineName', 'dosage', 'frequency', 'quantity', 'durationDays', 'instructions', 'dispensedQuantity',
])

function selectJoined(db: Db) {
  return db
    .selectFrom('prescriptions as p')
    .innerJoin('users as pu', 'pu.id', 'p.patientId')
    .leftJoin('patientProfiles as pp', 'pp.patientId', 'p.patientId')
    .innerJoin('users as du', 'du.id', 'p.doctorId')
    .leftJoin('users as ru', 'ru.id', 'p.rejectedBy')
    .select(qualified('p', PRESCRIPTION_COLUMNS))
    .select([
      'pu.name as patientAccountName',
      'pp.fullName as patientFullName',
      'pp.dateOfBirth as patientDateOfBirth',
      'du.name as doctorName',
      'du.specialty as doctorSpecialty',
      'du.licenseNumber as doctorLicenseNumber',
      'ru.name as rejectedByName',
      'ru.pharmacyName as rejectedByPharmacyName',
    ])
}

/** The joined rows of `ids`, in no particular order. */
export function findJoinedByIds(db: Db, ids: readonly string[]): Promise<PrescriptionJoinedRow[]> {
  if (ids.length === 0) return Promise.resolve([])
  return selectJoined(db).where('p.id', 'in', ids).execute() as Promise<PrescriptionJoinedRow[]>
}

/** Just the parties and state of one prescription (authorization before loading the rest). */
export function findPrescriptionHead(db: Db, id: string) {
  return db
    .selectFrom('prescriptions')
    .select(['id', 'patientId', 'doctorId', 'status', 'expiresAt', 'referenceCode', 'qrNonce'])
    .where('id', '=', id)
    .executeTakeFirst()
}

export interface PrescriptionListFilter {
  patientId?: string | undefined
  doctorId?: string | undefined
  /** Only those written at this visit (SPEC §10). */
  encounterId?: string | undefined
  status?: StoredPrescriptionStatus | 'expired' | undefined
  now: Date
  /** Keyset: only rows before this (issuedAt, id) in newest-first order. */
  before?: { issuedAt: Date; id: string } | undefined
  limit: number
}

/** A page of joined rows, newest first by (issuedAt, id). `expired` and the active states are judged at `now`. */
export function listJoined(db: Db, f: PrescriptionListFilter): Promise<PrescriptionJoinedRow[]> {
  let q = selectJoined(db)
  if (f.patientId !== undefined) q = q.where('p.patientId', '=', f.patientId)
  if (f.doctorId !== undefined) q = q.where('p.doctorId', '=', f.doctorId)
  if (f.encounterId !== undefined) q = q.where('p.encounterId', '=', f.encounterId)
  if (f.status === 'expired') {
    q = q.where('p.status', 'in', ['active', 'partially_dispensed']).where('p.expiresAt', '<=', f.now)
  } else if (f.status === 'active' || f.status === 'partially_dispensed') {
    q = q.where('p.status', '=', f.status).where('p.expiresAt', '>', f.now)
  } else if (f.status !== undefined) {
    q = q.where('p.status', '=', f.status)
  }
  const before = f.before
  if (before) {
    q = q.where((eb) => eb.or([eb('p.issuedAt', '<', before.issuedAt), eb.and([eb('p.issuedAt', '=', before.issuedAt), eb('p.id', '<', before.id)])]))
  }
  return q.orderBy('p.issuedAt', 'desc').orderBy('p.id', 'desc').limit(f.limit).execute() as Promise<PrescriptionJoinedRow[]>
}

/** Items of the given prescriptions, in prescription order. */
export function findItems(db: Db, prescriptionIds: readonly string[]): Promise<PrescriptionItemRow[]> {
  if (prescriptionIds.length === 0) return Promise.resolve([])
  return db.selectFrom('prescriptionItems').select(ITEM_COLUMNS).where('prescriptionId', 'in', prescriptionIds).orderBy('prescriptionId').orderBy('position').execute()
}

/** Dispensations of the given prescriptions with their items and pharmacists, oldest first. */
export async function findDispensations(db: Db, prescriptionIds: readonly string[]): Promise<(DispensationView & { prescriptionId: string })[]> {
  if (prescriptionIds.length === 0) return []
  const heads = await db
    .selectFrom('dispensations as d')
    .innerJoin('users as u', 'u.id', 'd.pharmacistId')
    .select(['d.id', 'd.prescriptionId', 'd.pharmacistId', 'd.dispensedAt', 'd.notes', 'd.acknowledgedWarnings', 'u.name as pharmacistName', 'u.pharmacyName'])
    .where('d.prescriptionId', 'in', prescriptionIds)
    .orderBy('d.dispensedAt')
    .orderBy('d.id')
    .execute()
  if (heads.length === 0) return []
  const lines = await db
    .selectFrom('dispensationItems as di')
    .innerJoin('prescriptionItems as pi', 'pi.id', 'di.itemId')
    .select(['di.dispensationId', 'di.itemId', 'di.quantity', 'di.batchNumber', 'di.expiryDate', 'di.unitPrice'])
    .where(
      'di.dispensationId',
      'in',
      heads.map((h) => h.id),
    )
    .orderBy('di.dispensationId')
    .orderBy('pi.position')
    .execute()
  const byDispensation = new Map<string, DispensationView['items']>()
  for (const l of lines) {
    const list = byDispensation.get(l.dispensationId) ?? []
    list.push({ itemId: l.itemId, quantity: l.quantity, batchNumber: l.batchNumber, expiryDate: l.expiryDate, unitPrice: l.unitPrice })
    byDispensation.set(l.dispensationId, list)
  }
  return heads.map((h) => ({ ...h, items: byDispensation.get(h.id) ?? [] }))
}

/** Cancels while active and unexpired (one conditional UPDATE); undefined when the state forbids it. */
export async function cancelIfActive(trx: Db, id: string, now: Date) {
  const cancelled = await trx
    .updateTable('prescriptions')
    .set({ status: 'cancelled', cancelledAt: now, updatedAt: now })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where('expiresAt', '>', now)
    .returning('id')
    .executeTakeFirst()
  forgetLocally([cacheTags.prescription(id)])
  return cancelled
}
