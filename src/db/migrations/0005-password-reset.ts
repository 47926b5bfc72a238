import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/** One-time password-reset codes (SPEC §4.1, §6): stored as keyed hashes, 10-minute life, 5 tries. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE password_reset_codes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      code_hash text NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      used_at timestamptz(3),
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE INDEX password_reset_codes_user_idx ON password_reset_codes (user_id, created_at DESC);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE password_reset_codes;`)
}
