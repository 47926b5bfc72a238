/**
 * What a backup copies from the database (SPEC §11): every table of the `public` schema
 * except the migrator's bookkeeping, in foreign-key dependency order (a table after every
 * table it references), read straight from the catalog so a new migration's table is
 * included without a change here. pg-boss's `pgboss` schema (the job queue) is left out:
 * a restored locker must not send again the emails of the past.
 */
import { sql, type Kysely } from 'kysely'

/** Tables that `migrateToLatest` owns; restore runs the migrations instead of copying them. */
const MIGRATOR_TABLES = new Set(['kysely_migration', 'kysely_migration_lock'])

/** Table names of the `public` schema, parents before children (ties alphabetical). Throws on a foreign-key cycle. */
export async function tablesInDependencyOrder(db: Kysely<any>): Promise<string[]> {
  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`.execute(db)
  const edges = await sql<{ child: string; parent: string }>`
    SELECT ch.relname AS child, pa.relname AS parent
    FROM pg_constraint k
    JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_namespace n ON n.oid = ch.relnamespace
    JOIN pg_class pa ON pa.oid = k.confrelid
    WHERE k.contype = 'f' AND n.nspname = 'public' AND k.conrelid <> k.confrelid`.execute(db)
  const names = tables.rows.map((r) => r.name).filter((n) => !MIGRATOR_TABLES.has(n))
  const parents = new Map(names.map((n) => [n, new Set<string>()]))
  for (const { child, parent } of edges.rows) parents.get(child)?.add(parent)
  const ordered: string[] = []
  const placed = new Set<string>()
  while (ordered.length < names.length) {
    const next = names.find((n) => !placed.has(n) && [...(parents.get(n) ?? [])].every((p) => placed.has(p) || !parents.has(p)))
    if (next === undefined) throw new Error('The schema has a foreign-key cycle; a backup cannot order its tables.')
    ordered.push(next)
    placed.add(next)
  }
  return ordered
}

/** Names of the applied migrations, sorted. */
export async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)
  return rows.rows.map((r) => r.name)
}

/** A sequence of the `public` schema and its value (`null`: never used). */
export interface SequenceValue {
  name: string
  lastValue: number | null
}

/** Every sequence of the `public` schema (identity columns, `audit_events.id`, prescription numbers). */
export async function sequenceValues(db: Kysely<any>): Promise<SequenceValue[]> {
  const rows = await sql<{ name: string; lastValue: string | number | null }>`
    SELECT sequencename AS name, last_value AS "lastValue" FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`.execute(db)
  return rows.rows.map((r) => ({ name: r.name, lastValue: r.lastValue === null ? null : Number(r.lastValue) }))
}
