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
  await runStatements(
    db,
    `
    CREATE TRIGGER records_cache AFTER INSERT OR UPDATE OR DELETE ON records
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('records', 'patient_id');
    CREATE TRIGGER records_cache_truncate AFTER TRUNCATE ON records
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER patient_profiles_cache AFTER INSERT OR UPDATE OR DELETE ON patient_profiles
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('profile', 'patient_id');
    CREATE TRIGGER patient_profiles_cache_truncate AFTER TRUNCATE ON patient_profiles
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER emergency_access_cache AFTER INSERT OR UPDATE OR DELETE ON emergency_access
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('emergency', 'patient_id');
    CREATE TRIGGER emergency_access_cache_truncate AFTER TRUNCATE ON emergency_access
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER consultations_cache AFTER INSERT OR UPDATE OR DELETE ON consultations
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('consultations', 'patient_id');
    CREATE TRIGGER consultations_cache_truncate AFTER TRUNCATE ON consultations
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER users_cache AFTER UPDATE OF status, role, name OR DELETE ON users
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('user', 'id');
    CREATE TRIGGER users_cache_truncate AFTER TRUNCATE ON users
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER users_cache_truncate ON users;
    DROP TRIGGER users_cache ON users;
    DROP TRIGGER consultations_cache_truncate ON consultations;
    DROP TRIGGER consultations_cache ON consultations;
    DROP TRIGGER emergency_access_cache_truncate ON emergency_access;
    DROP TRIGGER emergency_access_cache ON emergency_access;
    DROP TRIGGER patient_profiles_cache_truncate ON patient_profiles;
    DROP TRIGGER patient_profiles_cache ON patient_profiles;
    DROP TRIGGER records_cache_truncate ON records;
    DROP TRIGGER records_cache ON records;
    DROP FUNCTION carelocker_cache_notify();
  `,
  )
}
