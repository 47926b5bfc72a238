import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * First-run setup links (SPEC §1): only the SHA-256 of each token is kept. A start with no
 * active admin replaces the unused tokens with a new one; a used token stays, marked, so
 * presenting it again is told apart (410) from a wrong one (404).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE setup_tokens (
      token_hash text PRIMARY KEY,
      created_at timestamptz(3) NOT NULL,
      used_at timestamptz(3),
      used_by uuid REFERENCES users (id) ON DELETE SET NULL
    );
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE setup_tokens;`)
}
