import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Limits of the emergency alert (SPEC §4.6): the rounds sent per patient (at most 3 per
 * 24 hours, one per cooldown) and the alert SMS sent per destination number (at most 10 per
 * 24 hours, whichever patients list it). A destination is kept as the SHA-256 of its E.164
 * number, never the number itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE emergency_alert_rounds (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      sent_at timestamptz(3) NOT NULL
    );
    CREATE INDEX emergency_alert_rounds_patient_idx ON emergency_alert_rounds (patient_id, sent_at);

    CREATE TABLE alert_sms_sends (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      destination_hash text NOT NULL,
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      sent_at timestamptz(3) NOT NULL
    );
    CREATE INDEX alert_sms_sends_destination_idx ON alert_sms_sends (destination_hash, sent_at);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE alert_sms_sends, emergency_alert_rounds;`)
}
