import { sql, type Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Care coordination (SPEC §10): organizations, appointments (FHIR Schedule / Slot /
 * Appointment), encounters, caregivers and dependents, and in-app notifications.
 *
 * - `organizations`: admin-managed hospitals, clinics, pharmacies and laboratories; a
 *   doctor or pharmacist belongs to at most one (`users.organization_id`). The name is
 *   unique regardless of case (a second one is a 409, not a duplicate).
 * - `doctor_schedules`: a doctor's weekly availability (FHIR Schedule): an IANA time zone,
 *   the slot length, and `weekly` as `[{weekday: 1–7 (ISO 8601, Monday = 1), start: "HH:MM", end: "HH:MM"}]`
 *   in that zone's wall-clock time. `schedule_exceptions` are instants when the doctor is away.
 * - `appointments`: one row per booking. **No double booking, whatever the concurrency:** the
 *   partial unique index `appointments_one_booking_per_slot` admits one `booked` row per
 *   doctor and start instant, so of any number of concurrent bookings (or reschedules) onto one
 *   slot exactly one commits and the others fail with 23505 (a 409). Slots are the doctor's
 *   grid, so equal starts are what collide.
 * - `encounters`: a visit a doctor records (FHIR Encounter), optionally for one appointment
 *   (at most one encounter per appointment); `notes`, `vitals` and `prescriptions` may point to
 *   one (`encounter_id`, set null if it is ever deleted).
 * - `caregivers`: an invitation and the grant it becomes, in one row. `status` `invited` (the
 *   invitee has not accepted; `invitation_token_hash` is the SHA-256 of the emailed token,
 *   `invitation_expires_at` 7 days on), `active` (`caregiver_id` is the accepting account),
 *   `revoked`. `expires_at` ends an active grant (null: until revoked). At most one active
 *   grant per patient and caregiver.
 * - `users.is_dependent`: a patient made by another patient (a child, or an adult who does not
 *   use the app): no password, a synthetic `@dependents.invalid` address (RFC 2606), never signs
 *   in; its creator manages it through a `manage` caregiver row.
 * - `notifications`: per user, newest first; every insert sends
 *   `NOTIFY carelocker_notifications '{"userId":…,"id":…}'` when its transaction commits, so a
 *   user connected to any node hears of an event raised on any other (SPEC §10).
 *   `notification_stream_tickets`: the SHA-256 of each short-lived, single-use SSE ticket.
 * - `audit_events.actor_kind` admits `caregiver` (SPEC §4.7).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE organizations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
      type text NOT NULL CHECK (type IN ('hospital', 'clinic', 'pharmacy', 'laboratory')),
      address text,
      phone text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX organizations_name_key ON organizations (lower(name));
    CREATE INDEX organizations_type_idx ON organizations (type, lower(name));
    ALTER TABLE users ADD COLUMN organization_id uuid REFERENCES organizations (id) ON DELETE SET NULL;
    CREATE INDEX users_organization_idx ON users (organization_id) WHERE organization_id IS NOT NULL;
    ALTER TABLE users ADD COLUMN is_dependent boolean NOT NULL DEFAULT false;

    CREATE TABLE doctor_schedules (
      doctor_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      time_zone text NOT NULL,
      slot_minutes integer NOT NULL CHECK (slot_minutes BETWEEN 10 AND 120),
      weekly jsonb NOT NULL,
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE TABLE schedule_exceptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      starts_at timestamptz(3) NOT NULL,
      ends_at timestamptz(3) NOT NULL,
      reason text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at)
    );
    CREATE INDEX schedule_exceptions_doctor_idx ON schedule_exceptions (doctor_id, ends_at);

    CREATE TABLE appointments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      starts_at timestamptz(3) NOT NULL,
      ends_at timestamptz(3) NOT NULL,
      status text NOT NULL CHECK (status IN ('booked', 'cancelled', 'completed', 'noshow')),
      reason text,
      booked_by uuid REFERENCES users (id) ON DELETE SET NULL,
      cancelled_by uuid REFERENCES users (id) ON DELETE SET NULL,
      cancelled_at timestamptz(3),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at)
    );
    CREATE UNIQUE INDEX appointments_one_booking_per_slot ON appointments (doctor_id, starts_at) WHERE status = 'booked';
    CREATE INDEX appointments_patient_idx ON appointments (patient_id, starts_at, id);
    CREATE INDEX appointments_doctor_idx ON appointments (doctor_id, starts_at, id);

    CREATE TABLE encounters (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      appointment_id uuid UNIQUE REFERENCES appointments (id) ON DELETE SET NULL,
      starts_at timestamptz(3) NOT NULL,
      ends_at timestamptz(3),
      type text NOT NULL CHECK (type IN ('in_person', 'video', 'phone')),
      reason text,
      diagnoses jsonb NOT NULL DEFAULT '[]',
      summary text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (ends_at IS NULL OR ends_at >= starts_at)
    );
    CREATE INDEX encounters_patient_idx ON encounters (patient_id, starts_at DESC, id DESC);
    ALTER TABLE notes ADD COLUMN encounter_id uuid REFERENCES encounters (id) ON DELETE SET NULL;
    ALTER TABLE vitals ADD COLUMN encounter_id uuid REFERENCES encounters (id) ON DELETE SET NULL;
    ALTER TABLE prescriptions ADD COLUMN encounter_id uuid REFERENCES encounters (id) ON DELETE SET NULL;
    CREATE INDEX notes_encounter_idx ON notes (encounter_id) WHERE encounter_id IS NOT NULL;
    CREATE INDEX vitals_encounter_idx ON vitals (encounter_id) WHERE encounter_id IS NOT NULL;
    CREATE INDEX prescriptions_encounter_idx ON prescriptions (encounter_id) WHERE encounter_id IS NOT NULL;

    CREATE TABLE caregivers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      caregiver_id uuid REFERENCES users (id) ON DELETE CASCADE,
      email text NOT NULL,
      access text NOT NULL CHECK (access IN ('read', 'manage')),
      status text NOT NULL CHECK (status IN ('invited', 'active', 'revoked')),
      invitation_token_hash text UNIQUE,
      invitation_expires_at timestamptz(3),
      expires_at timestamptz(3),
      invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      accepted_at timestamptz(3),
      revoked_at timestamptz(3),
      CHECK (status <> 'active' OR caregiver_id IS NOT NULL),
      CHECK (caregiver_id IS NULL OR caregiver_id <> patient_id)
    );
    CREATE UNIQUE INDEX caregivers_one_active_grant ON caregivers (patient_id, caregiver_id) WHERE status = 'active';
    CREATE INDEX caregivers_patient_idx ON caregivers (patient_id, created_at DESC, id DESC);
    CREATE INDEX caregivers_caregiver_idx ON caregivers (caregiver_id) WHERE status = 'active';

    CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      type text NOT NULL,
      patient_id uuid REFERENCES users (id) ON DELETE CASCADE,
      resource_type text,
      resource_id text,
      data jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      read_at timestamptz(3)
    );
    CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
    CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
    CREATE TABLE notification_stream_tickets (
      ticket_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      session_id uuid NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      used_at timestamptz(3)
    );

    ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
    ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
      CHECK (actor_kind IN ('patient', 'doctor', 'pharmacist', 'admin', 'caregiver', 'share', 'emergency', 'system'));
  `,
  )
  // One statement per call (PGlite); the function body holds semicolons, so it is not split.
  await sql
    .raw(
      `CREATE FUNCTION carelocker_notification_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('carelocker_notifications', json_build_object('userId', NEW.user_id, 'id', NEW.id)::text);
        RETURN NULL;
      END
      $$`,
    )
    .execute(db)
  await runStatements(
    db,
    `CREATE TRIGGER notifications_notify AFTER INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION carelocker_notification_notify()`,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER notifications_notify ON notifications;
    DROP FUNCTION carelocker_notification_notify();
    ALTER TABLE audit_events DROP CONSTRAINT audit_events_actor_kind_check;
    ALTER TABLE audit_events ADD CONSTRAINT audit_events_actor_kind_check
      CHECK (actor_kind IN ('patient', 'doctor', 'pharmacist', 'admin', 'share', 'emergency', 'system'));
    DROP TABLE notification_stream_tickets;
    DROP TABLE notifications;
    DROP TABLE caregivers;
    ALTER TABLE prescriptions DROP COLUMN encounter_id;
    ALTER TABLE vitals DROP COLUMN encounter_id;
    ALTER TABLE notes DROP COLUMN encounter_id;
    DROP TABLE encounters;
    DROP TABLE appointments;
    DROP TABLE schedule_exceptions;
    DROP TABLE doctor_schedules;
    ALTER TABLE users DROP COLUMN is_dependent;
    ALTER TABLE users DROP COLUMN organization_id;
    DROP TABLE organizations;
  `,
  )
}
