import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Vitals lists and trends (SPEC §4.8): the per-type index also carries the measured values, so
 * a trend (`date_trunc` + GROUP BY over one type and time range) is an index-only scan once
 * the table is vacuumed, and the keyset list by type still walks the same index. It replaces
 * `vitals_patient_type_time_idx` (same key), so writes maintain one index, not two.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX vitals_patient_type_time_values_idx ON vitals (patient_id, type, measured_at DESC, id DESC)
      INCLUDE (value, systolic, diastolic);
    DROP INDEX vitals_patient_type_time_idx;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE INDEX vitals_patient_type_time_idx ON vitals (patient_id, type, measured_at DESC, id DESC);
    DROP INDEX vitals_patient_type_time_values_idx;
  `,
  )
}
