/** SQL of encounters (visits, SPEC §10). No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import { newestFirst } from '../../db/keyset.js'
import type { DB, EncountersTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts an encounter; returns its id. */
export async function insertEncounter(trx: Db, row: Insertable<EncountersTable>): Promise<string> {
  const { id } = await trx.insertInto('encounters').values(row).returning('id').executeTakeFirstOrThrow()
  return id
}

/**
 * Marks a `booked` appointment of this patient with this doctor `completed`, in one
 * conditional UPDATE (no read-then-write, STYLE §2); returns its id, or undefined when no
 * such booked appointment exists.
 */
export async function completeBookedAppointment(trx: Db, a: { id: string; patientId: string; doctorId: string; now: Date }): Promise<string | undefined> {
  const row = await trx
    .updateTable('appointments')
    .set({ status: 'completed', updatedAt: a.now })
    .where('id', '=', a.id)
    .where('patientId', '=', a.patientId)
    .where('doctorId', '=', a.doctorId)
    .where('status', '=', 'booked')
    .returning('id')
    .executeTakeFirst()
  return row?.id
}

/** An appointment's status if it is between this patient and this doctor, else undefined. */
export async function findAppointmentStatus(db: Db, a: { id: string; patientId: string; doctorId: string }) {
  const row = await db
    .selectFrom('appointments')
    .select('status')
    .where('id', '=', a.id)
    .where('patientId', '=', a.patientId)
    .where('doctorId', '=', a.doctorId)
    .executeTakeFirst()
  return row?.status
}

/** Encounters with their doctor's name and specialty. */
function views(db: Db) {
  return db
    .selectFrom('encounters as e')
    .innerJoin('users as d', 'd.id', 'e.doctorId')
    .select([
      'e.id',
      'e.patientId',
      'e.doctorId',
      'd.name as doctorName',
      'd.specialty as doctorSpecialty',
      'e.appointmentId',
      'e.startsAt',
      'e.endsAt',
      'e.type',
      'e.reason',
      'e.diagnoses',
      'e.summary',
      'e.createdAt',
    ])
}
export type EncounterView = Awaited<ReturnType<ReturnType<typeof views>['executeTakeFirstOrThrow']>>

/** One encounter of `patientId` with its doctor, or undefined. */
export function findEncounterView(db: Db, patientId: string, id: string): Promise<EncounterView | undefined> {
  return views(db).where('e.id', '=', id).where('e.patientId', '=', patientId).executeTakeFirst()
}

/** A patient's encounters newest first by (starts_at, id) after the keyset position; `limit` rows. */
export function listEncounterViews(db: Db, f: { patientId: string; after?: { at: Date; id: string } | undefined; limit: number }): Promise<EncounterView[]> {
  return newestFirst(views(db).where('e.patientId', '=', f.patientId), 'e.startsAt', 'e.id', { after: f.after, limit: f.limit }).execute()
}

/** An encounter's parties (for `encounterId` links of notes, vitals, prescriptions), or undefined. */
export function findEncounterParties(db: Db, id: string) {
  return db.selectFrom('encounters').select(['id', 'patientId', 'doctorId']).where('id', '=', id).executeTakeFirst()
}

/** Deletes every encounter of a patient (account erasure, SPEC §9); notes, vitals and prescriptions pointing to them keep a null `encounter_id`. */
export async function deleteEncountersOf(trx: Db, patientId: string): Promise<void> {
  await trx.deleteFrom('encounters').where('patientId', '=', patientId).execute()
}
