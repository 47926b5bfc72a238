import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Take your data and go (SPEC §9): a patient's export jobs and account erasure.
 *
 * - `patient_exports`: one row per requested export zip. The zip is stored like a record
 *   (encrypted at rest under a fresh data key wrapped by the master key): `blob_key` and
 *   `wrapped_key` are set once it is `ready`, and cleared when it expires (24 h) or the
 *   locker is erased, so a row never names a blob nobody may read. At most one `pending`
 *   export per patient (a partial unique index: a second request is a 409, not a race).
 * - `users.erased_at`: when the patient erased their locker (`DELETE /patients/me`); the
 *   account is disabled at the same time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE patient_exports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
      blob_key text,
      wrapped_key bytea,
      size_bytes bigint,
      sha256 text,
      error text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      ready_at timestamptz(3),
      expires_at timestamptz(3) NOT NULL,
      CHECK ((blob_key IS NULL) = (wrapped_key IS NULL))
    );
    CREATE UNIQUE INDEX patient_exports_one_pending_key ON patient_exports (patient_id) WHERE status = 'pending';
    CREATE INDEX patient_exports_patient_idx ON patient_exports (patient_id, created_at DESC, id DESC);
    CREATE INDEX patient_exports_expiry_idx ON patient_exports (expires_at) WHERE blob_key IS NOT NULL;
    ALTER TABLE users ADD COLUMN erased_at timestamptz(3);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE users DROP COLUMN erased_at;\n DROP TABLE patient_exports;`)
}
