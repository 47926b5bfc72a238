/** SQL of the audit log. No business rules here (STYLE §2). */
import { CompiledQuery, type Insertable, type Kysely, type Transaction } from 'kysely'
import type { AuditEventsTable, DB } from '../db/schema.js'
import type { SealedEventRow } from './audit-event.js'

type Db = Kysely<DB> | Transaction<DB>

/** An event as the writer inserts it: every column but `id` and `seq`. */
export type NewAuditEvent = Required<Omit<Insertable<AuditEventsTable>, 'id' | 'seq'>>

/** The columns of `NewAuditEvent`, in the order of the INSERT's values. */
const INSERT_COLUMNS = [
  ['at', 'at'],
  ['action', 'action'],
  ['actorKind', 'actor_kind'],
  ['actorId', 'actor_id'],
  ['actorName', 'actor_name'],
  ['patientId', 'patient_id'],
  ['resourceType', 'resource_type'],
  ['resourceId', 'resource_id'],
  ['ip', 'ip'],
  ['userAgent', 'user_agent'],
] as const satisfies ReadonlyArray<readonly [keyof NewAuditEvent, string]>

/** The INSERT of `n` events, built once per `n` (every audited request runs one: SPEC §7's hot paths). */
const insertSql = new Map<number, string>()
function insertSqlFor(n: number): string {
  let text = insertSql.get(n)
  if (!text) {
    const width = INSERT_COLUMNS.length
    const rows = Array.from({ length: n }, (_, r) => `(${INSERT_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(', ')})`)
    text = `INSERT INTO audit_events (${INSERT_COLUMNS.map(([, column]) => column).join(', ')}) VALUES ${rows.join(', ')}`
    insertSql.set(n, text)
  }
  return text
}

/** Inserts unsealed events (`seq` NULL) in one statement, values as parameters. No lock: the sealer orders events by `id`. */
export async function insertAuditEvents(db: Db, rows: readonly NewAuditEvent[]): Promise<void> {
  if (rows.length === 0) return
  const values = rows.flatMap((row) => INSERT_COLUMNS.map(([key]) => row[key]))
  await db.executeQuery(CompiledQuery.raw(insertSqlFor(rows.length), values))
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
