/** SQL of consultations. No business rules here (STYLE §2). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { cacheTags, forgetLocally } from '../../db/node-cache.js'
import type { ConsultationStatus, ConsultationsTable, DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>
export type ConsultationRow = Selectable<ConsultationsTable>

/**
 * Inserts a pending consultation unless the pair already has an open one (the partial unique
 * index `consultations_open_key` decides, race-free; ON CONFLICT keeps the transaction usable).
 * Returns the row, or undefined when one is already open.
 */
export async function insertPendingConsultation(db: Db, c: { patientId: string; doctorId: string; reason: string | null; createdAt: Date }) {
  const row = await db
    .insertInto('consultations')
    .values({ ...c, status: 'pending' })
    .onConflict((oc) => oc.columns(['patientId', 'doctorId']).where('status', 'in', ['pending', 'approved']).doNothing())
    .returningAll()
    .executeTakeFirst()
  forgetLocally([cacheTags.consultations(c.patientId)])
  return row
}

/** The consultation's parties and status (no names). */
export function findConsultation(db: Db, id: string) {
  return db.selectFrom('consultations').selectAll().where('id', '=', id).executeTakeFirst()
}

/**
 * Moves a consultation from `from` to `to` in one conditional UPDATE (STYLE §2: no
 * read-then-write); `decidedAt` or `endedAt` as given. Undefined when it was not in `from`.
 */
export async function transitionConsultation(
  db: Db,
  id: string,
  from: ConsultationStatus,
  to: ConsultationStatus,
  at: { decidedAt?: Date; endedAt?: Date },
) {
  const row = await db.updateTable('consultations').set({ status: to, ...at }).where('id', '=', id).where('status', '=', from).returningAll().executeTakeFirst()
  if (row) forgetLocally([cacheTags.consultations(row.patientId)])
  return row
}

/** Consultations joined with both parties' display names. */
function views(db: Db) {
  return db
    .selectFrom('consultations as c')
    .innerJoin('users as pu', 'pu.id', 'c.patientId')
    .leftJoin('patientProfiles as pp', 'pp.patientId', 'c.patientId')
    .innerJoin('users as du', 'du.id', 'c.doctorId')
    .selectAll('c')
    .select((eb) => [
      eb.fn.coalesce('pp.fullName', 'pu.name').as('patientName'),
      'du.name as doctorName',
      'du.specialty as doctorSpecialty',
    ])
}
export type ConsultationView = NonNullable<Awaited<ReturnType<typeof findConsultationView>>>

/** One consultation with the parties' names. */
export function findConsultationView(db: Db, id: string) {
  return views(db).where('c.id', '=', id).executeTakeFirst()
}

export interface ConsultationFilter {
  /** Whose list: the patient's or the doctor's side. */
  side: 'patient' | 'doctor'
  userId: string
  status?: ConsultationStatus | undefined
  /** Keyset: rows before this `(createdAt, id)`. */
  after?: { createdAt: Date; id: string } | undefined
  limit: number
}

/** One side's consultations, newest first (createdAt, then id). */
export function listConsultationViews(db: Db, f: ConsultationFilter) {
  let q = views(db).where(f.side === 'patient' ? 'c.patientId' : 'c.doctorId', '=', f.userId)
  if (f.status) q = q.where('c.status', '=', f.status)
  if (f.after) q = q.where(sql<boolean>`(c.created_at, c.id) < (${f.after.createdAt}, ${f.after.id}::uuid)`)
  return q.orderBy('c.createdAt', 'desc').orderBy('c.id', 'desc').limit(f.limit).execute()
}

/**
 * A doctor's patients with an approved consultation right now, most recently approved first
 * (decidedAt, then consultation id): name (profile, else account), date of birth.
 */
export function listApprovedPatients(db: Db, doctorId: string, limit: number, after?: { since: Date; consultationId: string }) {
  let q = db
    .selectFrom('consultations as c')
    .innerJoin('users as pu', 'pu.id', 'c.patientId')
    .leftJoin('patientProfiles as pp', 'pp.patientId', 'c.patientId')
    .select((eb) => [
      'c.patientId as id',
      eb.fn.coalesce('pp.fullName', 'pu.name').as('fullName'),
      'pp.dateOfBirth',
      'c.id as consultationId',
      eb.fn.coalesce('c.decidedAt', 'c.createdAt').as('since'),
    ])
    .where('c.doctorId', '=', doctorId)
    .where('c.status', '=', 'approved')
  if (after) q = q.where(sql<boolean>`(coalesce(c.decided_at, c.created_at), c.id) < (${after.since}, ${after.consultationId}::uuid)`)
  return q.orderBy(sql`coalesce(c.decided_at, c.created_at)`, 'desc').orderBy('c.id', 'desc').limit(limit).execute()
}
