import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * What the emergency view shows (SPEC §4.2 `emergencyCard`, §4.6): the ids of the profile's
 * conditions and medications the patient chose, each list null for the default (the active
 * ones, without findings or social history). Existing profiles start on the default.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `ALTER TABLE patient_profiles ADD COLUMN emergency_card jsonb NOT NULL DEFAULT '{"conditionIds":null,"medicationIds":null}'::jsonb;`,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE patient_profiles DROP COLUMN emergency_card;`)
}
