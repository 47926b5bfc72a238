/** SQL of the audit Merkle tree: sealing, nodes and signed heads. No business rules here (STYLE §2). */
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import type { AuditTreeHeadsTable, DB } from '../db/schema.js'
import type { SealedEventRow } from './audit-event.js'
import { EVENT_COLUMNS } from './audit.queries.js'
import type { NodeKey } from './merkle.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Key of the transaction-level advisory lock only the sealer takes ('sealer' in ASCII).
 * Requests never take it: they insert their events unsealed and go on.
 */
const SEALER_LOCK_KEY = 0x7365616c6572

/** Takes the sealer lock until `trx` ends, or returns false at once when another sealer holds it. */
export async function tryLockSealer(trx: Transaction<DB>): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${sql.lit(SEALER_LOCK_KEY)}) AS locked`.execute(trx)
  return rows[0]?.locked === true
}

/** True when some committed event still waits for its `seq`. */
export async function hasUnsealed(db: Db): Promise<boolean> {
  const row = await db.selectFrom('auditEvents').select('id').where('seq', 'is', null).limit(1).executeTakeFirst()
  return row !== undefined
}

/** The highest `seq` given so far (0 for none). */
export async function maxSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('auditEvents').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst()
  return Number(row?.seq ?? 0)
}

/** The number of leaves in the tree (0 for an empty tree). */
export async function leafCount(db: Db): Promise<number> {
  const row = await db.selectFrom('auditTreeNodes').select((eb) => eb.fn.max('idx').as('idx')).where('level', '=', 0).executeTakeFirst()
  return row?.idx === null || row?.idx === undefined ? 0 : Number(row.idx) + 1
}

/**
 * Gives up to `limit` unsealed events, oldest `id` first, `seq` = `after` + 1, + 2, …
 * Only the sealer (holding the sealer lock) calls this. Returns how many got one.
 */
export async function assignSeqs(trx: Transaction<DB>, after: number, limit: number): Promise<number> {
  const result = await sql`
    UPDATE audit_events AS e SET seq = ${after} + p.n
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT ${limit}) AS p
    WHERE e.id = p.id`.execute(trx)
  return Number(result.numAffectedRows ?? 0)
}

/** Up to `limit` sequenced events with `seq` > `afterSeq`, in `seq` order. */
export function sealedEventsAfter(db: Db, afterSeq: number, limit: number): Promise<SealedEventRow[]> {
  return db
    .selectFrom('auditEvents')
    .select(EVENT_COLUMNS)
    .where('seq', '>', afterSeq)
    .orderBy('seq', 'asc')
    .limit(limit)
    .execute() as Promise<SealedEventRow[]>
}

const keyOf = (level: number, index: number) => `${level}:${index}`

/** The stored nodes among `keys`, as a map `"level:index"` → hash. Missing nodes are absent. */
export async function loadNodes(db: Db, keys: readonly NodeKey[]): Promise<Map<string, Buffer>> {
  const nodes = new Map<string, Buffer>()
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500)
    const rows = await db
      .selectFrom('auditTreeNodes')
      .select(['level', 'idx', 'hash'])
      .where((eb) => eb(eb.refTuple('level', 'idx'), 'in', chunk.map((k) => eb.tuple(k.level, k.index))))
      .execute()
    for (const r of rows) nodes.set(keyOf(Number(r.level), Number(r.idx)), Buffer.from(r.hash, 'hex'))
  }
  return nodes
}

/** Stores new nodes (in chunks, one statement each). */
export async function insertNodes(trx: Transaction<DB>, nodes: ReadonlyArray<NodeKey & { hash: Buffer }>): Promise<void> {
  if (nodes.length === 0) return
  // Three array parameters instead of three per node: one short statement to compile and parse.
  await sql`
    INSERT INTO audit_tree_nodes (level, idx, hash)
    SELECT * FROM unnest(${nodes.map((n) => n.level)}::smallint[], ${nodes.map((n) => n.index)}::bigint[], ${nodes.map((n) => n.hash.toString('hex'))}::text[])`.execute(trx)
}

/** The newest signed tree head, or undefined before the first seal. */
export type StoredTreeHead = Selectable<AuditTreeHeadsTable>

export function latestHead(db: Db): Promise<StoredTreeHead | undefined> {
  return db.selectFrom('auditTreeHeads').selectAll().orderBy('treeSize', 'desc').limit(1).executeTakeFirst()
}

export async function insertHead(trx: Transaction<DB>, head: StoredTreeHead): Promise<void> {
  await trx.insertInto('auditTreeHeads').values(head).execute()
}
