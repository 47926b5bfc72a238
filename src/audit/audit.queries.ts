/** SQL of the audit log. No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import type { AuditEventRow, AuditEventsTable, DB } from '../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Key of the transaction-level advisory lock that serializes appends to the chain
 * ('audit' in ASCII). Any constant works as long as every writer uses the same one.
 */
const CHAIN_LOCK_KEY = 0x6175646974

/** Takes the chain lock until `trx` ends (commit or rollback). Works on PostgreSQL and PGlite. */
export async function lockChain(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${sql.lit(CHAIN_LOCK_KEY)})`.execute(trx)
}

/** The last event's position and hash, or undefined when the log is empty. */
export function findChainHead(db: Db): Promise<{ seq: number; hash: string } | undefined> {
  return db.selectFrom('auditEvents').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst()
}

export async function insertAuditEvent(trx: Transaction<DB>, row: Insertable<AuditEventsTable>): Promise<void> {
  await trx.insertInto('auditEvents').values(row).execute()
}

/** Up to `limit` events after position `afterSeq`, in chain order (keyset, for verification). */
export function listChainBatch(db: Db, afterSeq: number, limit: number): Promise<AuditEventRow[]> {
  return db.selectFrom('auditEvents').selectAll().where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute()
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

/** A patient's events, newest first (by `seq`). */
export function listPatientEvents(db: Db, f: PatientEventsFilter): Promise<AuditEventRow[]> {
  let query = db.selectFrom('auditEvents').selectAll().where('patientId', '=', f.patientId)
  if (f.action !== undefined) query = query.where('action', '=', f.action)
  if (f.from !== undefined) query = query.where('at', '>=', f.from)
  if (f.before !== undefined) query = query.where('at', '<', f.before)
  if (f.beforeSeq !== undefined) query = query.where('seq', '<', f.beforeSeq)
  return query.orderBy('seq', 'desc').limit(f.limit).execute()
}

/** True when `id` is a patient's account (denied attempts are only logged for real patients). */
export async function isPatientAccount(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('id').where('id', '=', id).where('role', '=', 'patient').executeTakeFirst()
  return row !== undefined
}
