import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Allergy safety of prescriptions (SPEC §4.9).
 *
 * - `prescriptions.prescriber_warnings`: the allergy warnings the prescriber was shown and
 *   overrode, with the reason — `{"reason": text, "warnings": [{"code": "allergy", "message",
 *   "itemIndex", "substance"}]}` — or NULL when the prescription was issued without any.
 * - `dispensations.acknowledged_warnings`: the warnings the pharmacist acknowledged when
 *   dispensing — `[{"code", "message"}]` — or NULL when there were none to acknowledge.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE prescriptions ADD COLUMN prescriber_warnings jsonb;
    ALTER TABLE dispensations ADD COLUMN acknowledged_warnings jsonb;
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE dispensations DROP COLUMN acknowledged_warnings;
    ALTER TABLE prescriptions DROP COLUMN prescriber_warnings;
  `,
  )
}
