import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/** Share links (SPEC §4.5): one record per link, token stored only as a hash. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE share_links (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      record_id uuid NOT NULL REFERENCES records (id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      passcode_hash text,
      expires_at timestamptz(3) NOT NULL,
      max_views integer CHECK (max_views IS NULL OR max_views > 0),
      views integer NOT NULL DEFAULT 0,
      failed_attempts integer NOT NULL DEFAULT 0,
      last_viewed_at timestamptz(3),
      revoked_at timestamptz(3),
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX share_links_token_key ON share_links (token_hash);
    CREATE INDEX share_links_patient_idx ON share_links (patient_id, created_at DESC, id DESC);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE share_links;`)
}
