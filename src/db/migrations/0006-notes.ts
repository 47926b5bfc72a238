import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Doctors' notes (SPEC §4.8): written by a doctor with an approved consultation, visible to
 * their author and — when `shared_with_patient` — to the patient. Also the care team's list
 * indexes: the doctor directory (active doctors in name order) and a patient's consultations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      author_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
      shared_with_patient boolean NOT NULL DEFAULT false,
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE INDEX notes_author_idx ON notes (patient_id, author_id, created_at DESC, id DESC);
    CREATE INDEX notes_shared_idx ON notes (patient_id, created_at DESC, id DESC) WHERE shared_with_patient;

    CREATE INDEX users_doctor_directory_idx ON users (lower(name), id) WHERE role = 'doctor' AND status = 'active';
    CREATE INDEX consultations_patient_idx ON consultations (patient_id, created_at DESC, id DESC);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP INDEX consultations_patient_idx;
    DROP INDEX users_doctor_directory_idx;
    DROP TABLE notes;
  `,
  )
}
