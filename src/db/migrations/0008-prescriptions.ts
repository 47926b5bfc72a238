import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * E-prescriptions and the pharmacy counter (SPEC §4.9): prescriptions and their items, who
 * scanned what (validate/dispense/reject need a scan by the same pharmacist in the last hour),
 * dispensations with their per-item batches.
 *
 * - `prescription_number_seq` numbers prescriptions without a daily cap (`RX-YYYYMMDD-NNNN`,
 *   NNNN grows past 4 digits when it must).
 * - `reference_code` is the 13-symbol Crockford base32 reference number (12 random symbols +
 *   check symbol) without its hyphens; lookups are by this unique index.
 * - `status` holds the stored state; `expired` is computed from `expires_at` when read.
 * - `dispensed_quantity <= quantity` is also a CHECK, the last line behind the conditional
 *   UPDATE that dispenses.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE SEQUENCE prescription_number_seq AS bigint START 1;

    CREATE TABLE prescriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      prescription_number text NOT NULL,
      reference_code text NOT NULL CHECK (reference_code ~ '^[0-9A-HJKMNP-TV-Z]{12}[0-9A-HJKMNP-TV-Z*~$=U]$'),
      qr_nonce text NOT NULL,
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      doctor_id uuid NOT NULL REFERENCES users (id),
      diagnosis text NOT NULL,
      notes text,
      status text NOT NULL CHECK (status IN ('active', 'partially_dispensed', 'dispensed', 'rejected', 'cancelled')),
      issued_at timestamptz(3) NOT NULL,
      expires_at timestamptz(3) NOT NULL,
      scan_count integer NOT NULL DEFAULT 0,
      last_scanned_at timestamptz(3),
      cancelled_at timestamptz(3),
      rejected_at timestamptz(3),
      rejected_by uuid REFERENCES users (id),
      rejection_reason text,
      updated_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (expires_at > issued_at)
    );
    CREATE UNIQUE INDEX prescriptions_number_key ON prescriptions (prescription_number);
    CREATE UNIQUE INDEX prescriptions_reference_key ON prescriptions (reference_code);
    CREATE INDEX prescriptions_patient_idx ON prescriptions (patient_id, issued_at DESC, id DESC);
    CREATE INDEX prescriptions_doctor_idx ON prescriptions (doctor_id, issued_at DESC, id DESC);
    CREATE INDEX prescriptions_rejected_by_idx ON prescriptions (rejected_by, rejected_at DESC, id DESC)
      WHERE rejected_by IS NOT NULL;

    CREATE TABLE prescription_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      prescription_id uuid NOT NULL REFERENCES prescriptions (id) ON DELETE CASCADE,
      position smallint NOT NULL,
      medicine_name text NOT NULL,
      dosage text NOT NULL,
      frequency text NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      duration_days integer CHECK (duration_days > 0),
      instructions text,
      dispensed_quantity integer NOT NULL DEFAULT 0 CHECK (dispensed_quantity >= 0 AND dispensed_quantity <= quantity),
      UNIQUE (prescription_id, position)
    );

    CREATE TABLE prescription_scans (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      prescription_id uuid NOT NULL REFERENCES prescriptions (id) ON DELETE CASCADE,
      pharmacist_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      method text NOT NULL CHECK (method IN ('qr', 'reference')),
      scanned_at timestamptz(3) NOT NULL
    );
    CREATE INDEX prescription_scans_recent_idx ON prescription_scans (prescription_id, pharmacist_id, scanned_at DESC);

    CREATE TABLE dispensations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      prescription_id uuid NOT NULL REFERENCES prescriptions (id) ON DELETE CASCADE,
      pharmacist_id uuid NOT NULL REFERENCES users (id),
      dispensed_at timestamptz(3) NOT NULL,
      notes text
    );
    CREATE INDEX dispensations_prescription_idx ON dispensations (prescription_id, dispensed_at, id);
    CREATE INDEX dispensations_pharmacist_idx ON dispensations (pharmacist_id, dispensed_at DESC, id DESC);

    CREATE TABLE dispensation_items (
      dispensation_id uuid NOT NULL REFERENCES dispensations (id) ON DELETE CASCADE,
      item_id uuid NOT NULL REFERENCES prescription_items (id) ON DELETE CASCADE,
      quantity integer NOT NULL CHECK (quantity > 0),
      batch_number text NOT NULL,
      expiry_date date,
      unit_price numeric(12, 2) CHECK (unit_price >= 0),
      PRIMARY KEY (dispensation_id, item_id)
    );
    CREATE INDEX dispensation_items_item_idx ON dispensation_items (item_id);
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TABLE dispensation_items, dispensations, prescription_scans, prescription_items, prescriptions;
    DROP SEQUENCE prescription_number_seq;
  `,
  )
}
