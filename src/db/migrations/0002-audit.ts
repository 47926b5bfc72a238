import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * The tamper-evident audit log (SPEC §4.7). One row per event, chained by `prev_hash` →
 * `hash`. `seq` is the event's position in the chain, assigned by the writer as head + 1
 * while it holds the chain lock (see src/audit) rather than drawn from a sequence:
 * a sequence leaves gaps when a transaction rolls back, and in this table a gap must
 * mean that an event was deleted. No foreign keys: events outlive the rows they name.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE audit_events (
      seq bigint PRIMARY KEY CHECK (seq > 0),
      at timestamptz(3) NOT NULL,
      action text NOT NULL,
      actor_kind text NOT NULL CHECK (actor_kind IN ('patient', 'doctor', 'pharmacist', 'admin', 'share', 'emergency', 'system')),
      actor_id text,
      actor_name text,
      patient_id uuid,
      resource_type text NOT NULL,
      resource_id text NOT NULL,
      ip text,
      user_agent text,
      prev_hash text NOT NULL,
      hash text NOT NULL
    );
    CREATE INDEX audit_events_patient_idx ON audit_events (patient_id, seq DESC) WHERE patient_id IS NOT NULL;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE audit_events;`)
}
