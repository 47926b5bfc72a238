import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Emergency access (SPEC §4.6): one live token per patient (its hash, and the random salt
 * it is derived from with the master key), and the hashes of rotated tokens so they
 * answer 410 rather than 404.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE emergency_access (
      patient_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      salt text NOT NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      last_alert_at timestamptz(3)
    );
    CREATE UNIQUE INDEX emergency_access_token_key ON emergency_access (token_hash);

    CREATE TABLE emergency_rotated_tokens (
      token_hash text PRIMARY KEY,
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      rotated_at timestamptz(3) NOT NULL DEFAULT now()
    );
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE emergency_rotated_tokens, emergency_access;`)
}
