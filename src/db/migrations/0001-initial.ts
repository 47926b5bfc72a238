import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/** Accounts, sessions, profiles, records, vitals, FHIR import bookkeeping, consultations. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL,
      password_hash text NOT NULL,
      role text NOT NULL CHECK (role IN ('patient', 'doctor', 'pharmacist', 'admin')),
      status text NOT NULL CHECK (status IN ('active', 'pending', 'disabled')),
      name text NOT NULL,
      specialty text,
      license_number text,
      organization text,
      pharmacy_name text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX users_email_key ON users (lower(email));
    CREATE INDEX users_role_status_idx ON users (role, status, created_at DESC, id DESC);

    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      revoked_at timestamptz(3),
      revoked_reason text
    );
    CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

    CREATE TABLE refresh_tokens (
      token_hash text PRIMARY KEY,
      session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      used_at timestamptz(3)
    );
    CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

    CREATE TABLE patient_profiles (
      patient_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      full_name text NOT NULL,
      date_of_birth date,
      sex text CHECK (sex IN ('female', 'male', 'other', 'unknown')),
      blood_group text,
      height_cm double precision,
      organ_donor boolean,
      notes text,
      allergies jsonb NOT NULL DEFAULT '[]',
      conditions jsonb NOT NULL DEFAULT '[]',
      medications jsonb NOT NULL DEFAULT '[]',
      emergency_contacts jsonb NOT NULL DEFAULT '[]',
      updated_at timestamptz(3) NOT NULL DEFAULT now()
    );

    CREATE TABLE records (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      file_name text NOT NULL,
      original_file_name text NOT NULL,
      title text,
      category text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL,
      sha256 text NOT NULL,
      record_date date NOT NULL,
      doctor_name text,
      description text,
      uploaded_at timestamptz(3) NOT NULL DEFAULT now(),
      uploaded_by uuid NOT NULL REFERENCES users (id),
      source text NOT NULL CHECK (source IN ('upload', 'import')),
      source_ref text,
      blob_key text NOT NULL,
      wrapped_key bytea,
      deleted_at timestamptz(3)
    );
    CREATE UNIQUE INDEX records_file_name_key ON records (patient_id, file_name) WHERE deleted_at IS NULL;
    CREATE UNIQUE INDEX records_source_ref_key ON records (patient_id, source_ref) WHERE source_ref IS NOT NULL;
    CREATE INDEX records_list_idx ON records (patient_id, record_date DESC, uploaded_at DESC, id DESC)
      WHERE deleted_at IS NULL;

    CREATE TABLE vitals (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      type text NOT NULL,
      loinc text NOT NULL,
      value double precision,
      systolic double precision,
      diastolic double precision,
      unit text NOT NULL,
      context text,
      measured_at timestamptz(3) NOT NULL,
      recorded_by uuid REFERENCES users (id),
      source text NOT NULL CHECK (source IN ('manual', 'import')),
      source_ref text,
      note text,
      flag text NOT NULL CHECK (flag IN ('low', 'normal', 'high', 'critical')),
      created_at timestamptz(3) NOT NULL DEFAULT now()
    );
    CREATE INDEX vitals_patient_type_time_idx ON vitals (patient_id, type, measured_at DESC, id DESC);
    CREATE INDEX vitals_patient_time_idx ON vitals (patient_id, measured_at DESC, id DESC);
    CREATE UNIQUE INDEX vitals_source_ref_key ON vitals (patient_id, source_ref) WHERE source_ref IS NOT NULL;

    CREATE TABLE fhir_imported_resources (
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      resource_type text NOT NULL,
      fhir_id text NOT NULL,
      imported_at timestamptz(3) NOT NULL DEFAULT now(),
      PRIMARY KEY (patient_id, resource_type, fhir_id)
    );

    CREATE TABLE consultations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'ended', 'cancelled')),
      reason text,
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      decided_at timestamptz(3),
      ended_at timestamptz(3)
    );
    CREATE UNIQUE INDEX consultations_open_key ON consultations (patient_id, doctor_id)
      WHERE status IN ('pending', 'approved');
    CREATE INDEX consultations_doctor_idx ON consultations (doctor_id, status, created_at DESC);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE consultations, fhir_imported_resources, vitals, records, patient_profiles,
      refresh_tokens, sessions, users;
  `,
  )
}
