import { sql, type Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * Cache invalidation that no write path can forget (src/db/node-cache.ts, SPEC §7): every
 * change to a table behind a node-cached read sends `NOTIFY carelocker_cache` with the tag
 * of the patient (or account) whose rows changed, delivered to every node when the writing
 * transaction commits. A TRUNCATE clears every node's cache. Tags: `records:<patient>`,
 * `profile:<patient>`, `emergency:<patient>`, `consultations:<patient>`, `user:<id>`
 * (node-cache.ts `cacheTags` builds the same strings).
 */
/** [table, tag prefix, column holding the tag's id]; `users` fires only on the columns cached reads show. */
const CACHED_TABLES = [
  ['records', 'records', 'patient_id'],
  ['patient_profiles', 'profile', 'patient_id'],
  ['emergency_access', 'emergency', 'patient_id'],
  ['consultations', 'consultations', 'patient_id'],
  ['users', 'user', 'id'],
] as const

/** The account columns cached reads show: sessions (status, role, name), uploaders, prescribers and pharmacists. */
const USER_COLUMNS = 'status, role, name, specialty, license_number, pharmacy_name'

export async function up(db: Kysely<unknown>): Promise<void> {
  // One statement per call (PGlite); the function body holds semicolons, so it is not split.
  await sql
    .raw(
      `CREATE FUNCTION carelocker_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        key text;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('carelocker_cache', '{"all":true}');
          RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN
          key := to_jsonb(OLD) ->> TG_ARGV[1];
        ELSE
          key := to_jsonb(NEW) ->> TG_ARGV[1];
        END IF;
        PERFORM pg_notify('carelocker_cache', json_build_object('tags', json_build_array(TG_ARGV[0] || ':' || key))::text);
        RETURN NULL;
      END
      $$`,
    )
    .execute(db)
  for (const [table, tag, key] of CACHED_TABLES) {
    await runStatements(
      db,
      `
      CREATE TRIGGER ${table}_cache AFTER ${table === 'users' ? `UPDATE OF ${USER_COLUMNS} OR DELETE` : 'INSERT OR UPDATE OR DELETE'} ON ${table}
        FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('${tag}', '${key}');
      CREATE TRIGGER ${table}_cache_truncate AFTER TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    `,
    )
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [table] of CACHED_TABLES) {
    await runStatements(db, `DROP TRIGGER ${table}_cache_truncate ON ${table};\n DROP TRIGGER ${table}_cache ON ${table};`)
  }
  await runStatements(db, `DROP FUNCTION carelocker_cache_notify();`)
}
