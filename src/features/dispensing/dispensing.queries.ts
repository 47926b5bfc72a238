/** SQL of the pharmacy counter. No business rules here (STYLE §2); `db` (or a transaction) comes first. */
import { sql, type Kysely, type QueryCreator, type Selectable, type Transaction } from 'kysely'
import type { DB, DispensationItemsTable, DispensationsTable, PrescriptionScansTable } from '../../db/schema.js'
import { cacheTags, forgetLocally } from '../../db/node-cache.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Counts a scan in one statement (issue 11: one round trip, and the prescription's row lock
 * is held only by that statement): inserts the `prescription_scans` row and bumps the
 * prescription's `scanCount` / `lastScannedAt`. `qc` may carry more writes of the same
 * statement (the audit event: `deps.audit.inStatement`). Returns the new counter values
 * (undefined only if the prescription vanished, which the scan row's foreign key turns into
 * an error first).
 */
export function recordScan(qc: QueryCreator<DB>, scan: Omit<Selectable<PrescriptionScansTable>, 'id'>) {
  return qc
    .with('scan', (db) => db.insertInto('prescriptionScans').values(scan))
    .updateTable('prescriptions')
    .set((eb) => ({ scanCount: eb('scanCount', '+', 1), lastScannedAt: scan.scannedAt }))
    .where('id', '=', scan.prescriptionId)
    .returning(['scanCount', 'lastScannedAt'])
    .executeTakeFirst()
}

/** The prescription's state under `SELECT … FOR UPDATE`: held until the transaction ends. */
export function lockPrescription(trx: Transaction<DB>, id: string) {
  return trx.selectFrom('prescriptions').select(['id', 'patientId', 'status', 'expiresAt', 'prescriberWarnings']).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** The latest time `pharmacistId` scanned or looked up the prescription, or undefined if never. */
export async function findLatestScan(db: Db, prescriptionId: string, pharmacistId: string): Promise<Date | undefined> {
  const row = await db
    .selectFrom('prescriptionScans')
    .select('scannedAt')
    .where('prescriptionId', '=', prescriptionId)
    .where('pharmacistId', '=', pharmacistId)
    .orderBy('scannedAt', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row?.scannedAt
}

/** A prescription by its canonical reference code, with the patient's recorded date of birth. */
export function findByReferenceCode(db: Db, referenceCode: string) {
  return db
    .selectFrom('prescriptions as p')
    .leftJoin('patientProfiles as pp', 'pp.patientId', 'p.patientId')
    .select(['p.id', 'p.patientId', 'p.status', 'p.expiresAt', 'pp.dateOfBirth'])
    .where('p.referenceCode', '=', referenceCode)
    .executeTakeFirst()
}

/** The items of one prescription in prescription order (read under the prescription's row lock). */
export function findItemsOf(trx: Db, prescriptionId: string) {
  return trx
    .selectFrom('prescriptionItems')
    .select(['id', 'medicineName', 'quantity', 'dispensedQuantity'])
    .where('prescriptionId', '=', prescriptionId)
    .orderBy('position')
    .execute()
}

/**
 * Adds `quantity` to an item's dispensed quantity only if the total stays within the
 * prescribed quantity — one conditional UPDATE, so no interleaving can overshoot:
 * `UPDATE … SET dispensed_quantity = dispensed_quantity + $q WHERE id = $item AND
 * dispensed_quantity + $q <= quantity RETURNING`. Undefined when it would exceed.
 */
export function addDispensedQuantity(trx: Transaction<DB>, prescriptionId: string, itemId: string, quantity: number) {
  forgetLocally([cacheTags.prescription(prescriptionId)])
  return trx
    .updateTable('prescriptionItems')
    .set((eb) => ({ dispensedQuantity: eb('dispensedQuantity', '+', quantity) }))
    .where('id', '=', itemId)
    .where('prescriptionId', '=', prescriptionId)
    .where((eb) => eb(eb('dispensedQuantity', '+', quantity), '<=', eb.ref('quantity')))
    .returning(['id', 'dispensedQuantity', 'quantity'])
    .executeTakeFirst()
}

/** Inserts a dispensation (`acknowledgedWarnings` as JSON text) and its lines (batch, expiry date, unit price per item); returns its id. */
export async function insertDispensation(
  trx: Transaction<DB>,
  d: Omit<Selectable<DispensationsTable>, 'id' | 'acknowledgedWarnings'> & { acknowledgedWarnings: string | null },
  items: Omit<Selectable<DispensationItemsTable>, 'dispensationId'>[],
): Promise<string> {
  const { id } = await trx.insertInto('dispensations').values(d).returning('id').executeTakeFirstOrThrow()
  forgetLocally([cacheTags.prescription(d.prescriptionId)])
  await trx
    .insertInto('dispensationItems')
    .values(items.map((i) => ({ ...i, dispensationId: id })))
    .execute()
  return id
}

/**
 * After a dispensation: `dispensed` when every item is complete, else `partially_dispensed`.
 * Conditional on a dispensable state; returns the new status (undefined if the state moved).
 */
export async function settleDispensedStatus(trx: Transaction<DB>, prescriptionId: string, now: Date): Promise<string | undefined> {
  const row = await trx
    .updateTable('prescriptions')
    .set({
      status: sql<'dispensed' | 'partially_dispensed'>`CASE WHEN EXISTS (
        SELECT 1 FROM prescription_items i WHERE i.prescription_id = prescriptions.id AND i.dispensed_quantity < i.quantity
      ) THEN 'partially_dispensed' ELSE 'dispensed' END`,
      updatedAt: now,
    })
    .where('id', '=', prescriptionId)
    .where('status', 'in', ['active', 'partially_dispensed'])
    .returning('status')
    .executeTakeFirst()
  forgetLocally([cacheTags.prescription(prescriptionId)])
  return row?.status
}

/** Rejects while dispensable and unexpired (one conditional UPDATE); undefined when the state forbids it. */
export function rejectIfOpen(trx: Transaction<DB>, prescriptionId: string, pharmacistId: string, reason: string, now: Date) {
  forgetLocally([cacheTags.prescription(prescriptionId)])
  return trx
    .updateTable('prescriptions')
    .set({ status: 'rejected', rejectedAt: now, rejectedBy: pharmacistId, rejectionReason: reason, updatedAt: now })
    .where('id', '=', prescriptionId)
    .where('status', 'in', ['active', 'partially_dispensed'])
    .where('expiresAt', '>', now)
    .returning('id')
    .executeTakeFirst()
}

export interface HistoryFilter {
  pharmacistId: string
  from?: Date | undefined
  before?: Date | undefined
  /** Keyset: rows strictly before (at, id), newest first. */
  after?: { at: Date; id: string } | undefined
  limit: number
}

/** The pharmacist's dispensations, newest first, with prescription numbers. */
export function listDispensationsBy(db: Db, f: HistoryFilter) {
  let q = db
    .selectFrom('dispensations as d')
    .innerJoin('prescriptions as p', 'p.id', 'd.prescriptionId')
    .select(['d.id', 'd.dispensedAt as at', 'd.prescriptionId', 'd.notes', 'p.prescriptionNumber'])
    .where('d.pharmacistId', '=', f.pharmacistId)
  if (f.from) q = q.where('d.dispensedAt', '>=', f.from)
  if (f.before) q = q.where('d.dispensedAt', '<', f.before)
  const after = f.after
  if (after) q = q.where((eb) => eb.or([eb('d.dispensedAt', '<', after.at), eb.and([eb('d.dispensedAt', '=', after.at), eb('d.id', '<', after.id)])]))
  return q.orderBy('d.dispensedAt', 'desc').orderBy('d.id', 'desc').limit(f.limit).execute()
}

/** The prescriptions the pharmacist rejected, newest first. */
export function listRejectionsBy(db: Db, f: HistoryFilter) {
  let q = db
    .selectFrom('prescriptions as p')
    .select(['p.id', 'p.rejectedAt as at', 'p.id as prescriptionId', 'p.rejectionReason', 'p.prescriptionNumber'])
    .where('p.rejectedBy', '=', f.pharmacistId)
    .where('p.rejectedAt', 'is not', null)
  if (f.from) q = q.where('p.rejectedAt', '>=', f.from)
  if (f.before) q = q.where('p.rejectedAt', '<', f.before)
  const after = f.after
  if (after) q = q.where((eb) => eb.or([eb('p.rejectedAt', '<', after.at), eb.and([eb('p.rejectedAt', '=', after.at), eb('p.id', '<', after.id)])]))
  return q.orderBy('p.rejectedAt', 'desc').orderBy('p.id', 'desc').limit(f.limit).execute()
}

/** The lines of the given dispensations with their medicine names. */
export function findDispensationLines(db: Db, dispensationIds: readonly string[]) {
  if (dispensationIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('dispensationItems as di')
    .innerJoin('prescriptionItems as pi', 'pi.id', 'di.itemId')
    .select(['di.dispensationId', 'di.itemId', 'pi.medicineName', 'di.quantity', 'di.batchNumber', 'di.expiryDate', 'di.unitPrice'])
    .where('di.dispensationId', 'in', dispensationIds)
    .orderBy('di.dispensationId')
    .orderBy('pi.position')
    .execute()
}
