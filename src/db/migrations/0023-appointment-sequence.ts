import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Appointments (SPEC §10), on top of 0021:
 *
 * - `appointments.sequence`: the iCalendar `SEQUENCE` of the appointment's `.ics` (RFC 5545
 *   §3.8.7.4): 0 when booked, one more on every reschedule or cancellation, so a calendar
 *   that got the earlier invitation (same `UID`) replaces it rather than adding another.
 * - `patient_profiles.phone`: the patient's own mobile number (E.164), where appointment
 *   reminders go by SMS when it is set (SPEC §10 "SMS to the profile's `phone`").
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE appointments ADD COLUMN sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0);
    ALTER TABLE patient_profiles ADD COLUMN phone text;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE patient_profiles DROP COLUMN phone;
    ALTER TABLE appointments DROP COLUMN sequence;
  `,
  )
}
