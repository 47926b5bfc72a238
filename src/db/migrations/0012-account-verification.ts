import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * When an admin verified a doctor or pharmacist (SPEC §3, §4.1), so that re-enabling a
 * disabled account (`POST /admin/users/{id}/enable`) gives back `active` to one that was
 * verified and `pending` to one that never was. Null for patients and admins, who need no
 * verification. Existing rows: active doctors and pharmacists were verified (at their last
 * change at the latest); disabled ones were if the audit log holds their `user.verified`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    ALTER TABLE users ADD COLUMN verified_at timestamptz(3);
    UPDATE users SET verified_at = updated_at WHERE role IN ('doctor', 'pharmacist') AND status = 'active';
    UPDATE users u SET verified_at = (
      SELECT min(e.at) FROM audit_events e
      WHERE e.action = 'user.verified' AND e.resource_type = 'user' AND e.resource_id = u.id::text
    ) WHERE u.role IN ('doctor', 'pharmacist') AND u.status = 'disabled';
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(db, `ALTER TABLE users DROP COLUMN verified_at;`)
}
