import type { Kysely } from 'kysely'
import { runStatements } from './statements.js'

/**
 * The node cache of a prescription's view (items, dispensations, QR string; SPEC §7's
 * pharmacy scan) is dropped on every node when the prescription changes: triggers send
 * `prescription:<id>` through `carelocker_cache_notify` (migration 0015). A scan's counter
 * (`scan_count`, `last_scanned_at`) is not in the trigger's column list: the scan answers
 * the counter its own statement returns, so counting a scan need not empty the cache.
 * Lines of a dispensation are written in the transaction that inserts the dispensation,
 * whose notification covers them.
 */
const PRESCRIPTION_COLUMNS = [
  'prescription_number', 'reference_code', 'qr_nonce', 'patient_id', 'doctor_id', 'diagnosis', 'notes', 'status',
  'issued_at', 'expires_at', 'cancelled_at', 'rejected_at', 'rejected_by', 'rejection_reason', 'prescriber_warnings',
].join(', ')

export async function up(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    CREATE TRIGGER prescriptions_cache AFTER INSERT OR UPDATE OF ${PRESCRIPTION_COLUMNS} OR DELETE ON prescriptions
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('prescription', 'id');
    CREATE TRIGGER prescriptions_cache_truncate AFTER TRUNCATE ON prescriptions
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER prescription_items_cache AFTER INSERT OR UPDATE OR DELETE ON prescription_items
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('prescription', 'prescription_id');
    CREATE TRIGGER prescription_items_cache_truncate AFTER TRUNCATE ON prescription_items
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
    CREATE TRIGGER dispensations_cache AFTER INSERT OR UPDATE OR DELETE ON dispensations
      FOR EACH ROW EXECUTE FUNCTION carelocker_cache_notify('prescription', 'prescription_id');
    CREATE TRIGGER dispensations_cache_truncate AFTER TRUNCATE ON dispensations
      FOR EACH STATEMENT EXECUTE FUNCTION carelocker_cache_notify();
  `,
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await runStatements(
    db,
    `
    DROP TRIGGER dispensations_cache_truncate ON dispensations;
    DROP TRIGGER dispensations_cache ON dispensations;
    DROP TRIGGER prescription_items_cache_truncate ON prescription_items;
    DROP TRIGGER prescription_items_cache ON prescription_items;
    DROP TRIGGER prescriptions_cache_truncate ON prescriptions;
    DROP TRIGGER prescriptions_cache ON prescriptions;
  `,
  )
}
