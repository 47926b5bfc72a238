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
