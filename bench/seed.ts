/**
 * Fast seeding for the record-list scenarios: rows go straight into `records` with one
 * INSERT … SELECT over generate_series (no blobs: listing never reads them). Runs inside
 * the child server, which owns the database connection (PGlite allows one process).
 */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../src/db/schema.js'

/** Upper bound on rows per seed call, so a typo in BENCH_RECORDS cannot run away. */
export const MAX_SEED_ROWS = 1_000_000

/**
 * Inserts `count` live records for `patientId`, uploaded by the patient, with distinct
 * dates (going back one day per 3 rows from 2026-01-01), categories and file names in the
 * SPEC §4.3 form (`LabReport_2025-12-31_<n>.pdf`), then ANALYZEs the table so the planner
 * has statistics as a production database would. Returns the number of rows inserted.
 */
export async function seedRecords(db: Kysely<DB>, patientId: string, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 0 || count > MAX_SEED_ROWS) throw new RangeError(`count must be 0–${MAX_SEED_ROWS}`)
  const categories = sql.raw(
    `(ARRAY['lab_report','prescription','imaging','discharge_summary','vaccination','insurance','clinical_note','other'])`,
  )
  const stems = sql.raw(
    `(ARRAY['LabReport','Prescription','Imaging','DischargeSummary','Vaccination','Insurance','ClinicalNote','Other'])`,
  )
  const result = await sql`
    INSERT INTO records (patient_id, file_name, original_file_name, title, category, content_type, size_bytes, sha256,
                         record_date, doctor_name, description, uploaded_at, uploaded_by, source, blob_key)
    SELECT ${patientId}::uuid,
           ${stems}[1 + i % 8] || '_' || to_char(date '2026-01-01' - (i / 3), 'YYYY-MM-DD') || '_' || i || '.pdf',
           'scan-' || i || '.pdf',
           'Bench record ' || i,
           ${categories}[1 + i % 8],
           'application/pdf',
           1024 + i,
           encode(sha256(convert_to('bench-' || i, 'UTF8')), 'hex'),
           date '2026-01-01' - (i / 3),
           CASE WHEN i % 4 = 0 THEN 'Dr. Bench ' || (i % 50) END,
           CASE WHEN i % 5 = 0 THEN 'Seeded by npm run bench' END,
           timestamptz '2026-01-01T00:00:00Z' - make_interval(mins => i),
           ${patientId}::uuid,
           'upload',
           'bench/unreadable/' || i
    FROM generate_series(1, ${count}::int) AS i`.execute(db)
  await sql`ANALYZE records`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/**
 * The care-team scenarios' consent: makes `doctorId` an active (verified) doctor and gives
 * them an approved consultation with `patientId`, straight in the tables (the consultation
 * flow itself is not what is measured).
 */
export async function seedApprovedConsultation(db: Kysely<DB>, patientId: string, doctorId: string): Promise<void> {
  await sql`UPDATE users SET status = 'active' WHERE id = ${doctorId}::uuid AND role = 'doctor'`.execute(db)
  await sql`
    INSERT INTO consultations (patient_id, doctor_id, status, reason, created_at, decided_at)
    VALUES (${patientId}::uuid, ${doctorId}::uuid, 'approved', 'bench', now(), now())`.execute(db)
}

/**
 * Inserts `count` vitals for `patientId` with one INSERT … SELECT over generate_series: the
 * eight SPEC §4.8 types in turn, one reading every 5 minutes going back from now (100,000
 * readings span about 347 days, 12,500 per type), plausible canonical values; then VACUUM ANALYZE.
 * Returns the number of rows inserted.
 */
export async function seedVitals(db: Kysely<DB>, patientId: string, count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 0 || count > MAX_SEED_ROWS) throw new RangeError(`count must be 0–${MAX_SEED_ROWS}`)
  const result = await sql`
    INSERT INTO vitals (patient_id, type, loinc, value, systolic, diastolic, unit, measured_at, recorded_by, source, flag)
    SELECT ${patientId}::uuid, t.type, t.loinc,
           CASE WHEN t.type <> 'blood_pressure' THEN round(t.base + (i::bigint * 7919 % 1000) / 1000.0 * t.spread, 2) END,
           CASE WHEN t.type = 'blood_pressure' THEN 105 + i::bigint * 7919 % 60 END,
           CASE WHEN t.type = 'blood_pressure' THEN 60 + i::bigint * 104729 % 40 END,
           t.unit,
           now() - make_interval(mins => 5 * i),
           ${patientId}::uuid,
           'manual',
           'normal'
    FROM generate_series(1, ${count}::int) AS i
    JOIN (VALUES (0, 'blood_pressure', '85354-9', 'mmHg', 0, 0),
                 (1, 'heart_rate', '8867-4', '/min', 50, 70),
                 (2, 'blood_glucose', '2339-0', 'mg/dL', 70, 150),
                 (3, 'body_weight', '29463-7', 'kg', 60, 40),
                 (4, 'body_height', '8302-2', 'cm', 150, 40),
                 (5, 'body_temperature', '8310-5', 'Cel', 35.5, 3),
                 (6, 'oxygen_saturation', '59408-5', '%', 90, 10),
                 (7, 'respiratory_rate', '9279-1', '/min', 10, 14))
         AS t(k, type, loinc, unit, base, spread) ON t.k = i % 8`.execute(db)
  // VACUUM sets the visibility map, as autovacuum would on a live server, so trends run as index-only scans.
  await sql`VACUUM ANALYZE vitals`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}
