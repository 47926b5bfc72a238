import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * No two `booked` appointments of one doctor overlap in time (SPEC §10 "no double booking",
 * security review M4). The unique index `appointments_one_booking_per_slot` of 0021 only
 * refuses equal starts, so after a doctor changes their grid (30-minute slots booked at 10:00,
 * then 20-minute slots and 10:20 booked) two bookings could overlap. This exclusion constraint
 * refuses any second `booked` row whose `[starts_at, ends_at)` overlaps another of the same
 * doctor (SQLSTATE 23P01 → 409 `slot-taken`), whatever the concurrency.
 *
 * Needs `btree_gist` (uuid equality in a GiST index): a trusted extension on PostgreSQL; on
 * PGlite it is loaded when the instance is created (`pgliteOptions` in src/db/connection.ts).
 * The unique index stays (equal starts still fail with 23505, also mapped to `slot-taken`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
      EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status = 'booked');
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE appointments DROP CONSTRAINT appointments_no_overlap;`)
}
