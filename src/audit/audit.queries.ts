/** SQL of the audit log. No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { AuditEventsTable, DB } from '../db/schema.js'
import type { SealedEventRow } from './audit-event.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts unsealed events (`seq` NULL) in one statement. No lock: the sealer orders events by `id`. */
export async function insertAuditEvents(db: Db, rows: ReadonlyArray<Insertable<AuditEventsTable>>): Promise<void> {
  await db.insertInto('auditEvents').values([...rows]).execute()
}

export interface PatientEventsFilter {
  patientId: string
  action?: string | undefined
  /** Inclusive lower bound on `at`. */
  from?: Date | undefined
  /** Exclusive upper bound on `at`. */
  before?: Date | undefined
  /** Keyset: only events with a smaller `seq`. */
  beforeSeq?: number | undefined
  /** Rows to fetch (the caller asks for one more than a page). */
  limit: number
}

/** The columns of an event as patients see it. */
export const EVENT_COLUMNS = ['seq', 'at', 'action', 'actorKind', 'actorId', 'actorName', 'patientId', 'resourceType', 'resourceId', 'ip', 'userAgent'] as const

/** A patient's sealed events, newest first (by `seq`). Unsealed events wait for the sealer. */
export function listPatientEvents(db: Db, f: PatientEventsFilter): Promise<SealedEventRow[]> {
  let query = db.selectFrom('auditEvents').select(EVENT_COLUMNS).where('patientId', '=', f.patientId).where('seq', 'is not', null)
  if (f.action !== undefined) query = query.where('action', '=', f.action)
  if (f.from !== undefined) query = query.where('at', '>=', f.from)
  if (f.before !== undefined) query = query.where('at', '<', f.before)
  if (f.beforeSeq !== undefined) query = query.where('seq', '<', f.beforeSeq)
  return query.orderBy('seq', 'desc').limit(f.limit).execute() as Promise<SealedEventRow[]>
}

/** The patient's sealed event at `seq`, or undefined (none, not theirs, or not sealed). */
export function findPatientEvent(db: Db, patientId: string, seq: number): Promise<SealedEventRow | undefined> {
  return db.selectFrom('auditEvents').select(EVENT_COLUMNS).where('seq', '=', seq).where('patientId', '=', patientId).executeTakeFirst() as Promise<SealedEventRow | undefined>
}

/** True when `id` is a patient's account (denied attempts are only logged for real patients). */
export async function isPatientAccount(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('id', '=', id).where('role', '=', 'patient').executeTakeFirst()
  return row !== undefined
}
