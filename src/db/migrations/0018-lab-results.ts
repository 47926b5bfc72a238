import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Lab results (SPEC §4.8b): laboratory Observations kept as they came (LOINC, value or text,
 * UCUM unit, reference range, interpretation). The per-code index carries the value so a
 * trend over one code is an index-only scan; `source_ref` makes a re-import add nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TABLE lab_results (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      loinc text NOT NULL,
      display text NOT NULL,
      value double precision,
      value_text text,
      unit text,
      reference_low double precision,
      reference_high double precision,
      reference_text text,
      interpretation text CHECK (interpretation IN ('L', 'N', 'H', 'LL', 'HH', 'A')),
      effective_at timestamptz(3) NOT NULL,
      source text NOT NULL CHECK (source IN ('manual', 'import')),
      source_ref text,
      recorded_by uuid REFERENCES users (id),
      created_at timestamptz(3) NOT NULL DEFAULT now(),
      CHECK (value IS NOT NULL OR value_text IS NOT NULL)
    );
    CREATE INDEX lab_results_patient_code_time_idx ON lab_results (patient_id, loinc, effective_at DESC, id DESC) INCLUDE (value);
    CREATE INDEX lab_results_patient_time_idx ON lab_results (patient_id, effective_at DESC, id DESC);
    CREATE UNIQUE INDEX lab_results_source_ref_key ON lab_results (patient_id, source_ref) WHERE source_ref IS NOT NULL;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `DROP TABLE lab_results;`)
}
