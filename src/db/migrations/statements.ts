import { sql, type Kysely } from 'kysely'

/**
 * Runs a migration's DDL one statement at a time: PGlite's query API (used by the
 * Kysely dialect) takes a single statement per call. Statements are split on a `;` at
 * the end of a line, so keep function bodies (which contain `;`) out of this helper.
 */
export async function runStatements(db: Kysely<unknown>, ddl: string): Promise<void> {
  for (const statement of ddl.split(/;\s*$/m)) {
    if (statement.trim()) await sql.raw(statement).execute(db)
  }
}
