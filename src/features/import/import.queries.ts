/** SQL of FHIR import bookkeeping: which resources of a patient were already taken in. */
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Keys `<resourceType>/<fhirId>` already imported for the patient, among `keys`. */
export async function findImportedKeys(db: Db, patientId: string, keys: { resourceType: string; fhirId: string }[]): Promise<Set<string>> {
  const seen = new Set<string>()
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000)
    if (chunk.length === 0) continue
    const rows = await db
      .selectFrom('fhirImportedResources')
      .select(['resourceType', 'fhirId'])
      .where('patientId', '=', patientId)
      .where('fhirId', 'in', chunk.map((k) => k.fhirId))
      .execute()
    for (const r of rows) seen.add(`${r.resourceType}/${r.fhirId}`)
  }
  return seen
}

/** Marks resources as imported (idempotent). */
export async function markImported(db: Db, patientId: string, keys: { resourceType: string; fhirId: string }[], now: Date): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const chunk = keys.slice(i, i + 1000)
    if (chunk.length === 0) continue
    await db
      .insertInto('fhirImportedResources')
      .values(chunk.map((k) => ({ patientId, resourceType: k.resourceType, fhirId: k.fhirId, importedAt: now })))
      .onConflict((oc) => oc.doNothing())
      .execute()
  }
}

/** Namespace (first key) of the per-patient import advisory lock: 'impt' in ASCII. */
const IMPORT_LOCK_NAMESPACE = 0x696d7074

/**
 * Takes the transaction-level advisory lock of `patientId`'s imports, without waiting; false
 * when another transaction (on any node) holds it. Released when `trx` ends.
 */
export async function tryLockPatientImport(trx: Transaction<DB>, patientId: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(${sql.lit(IMPORT_LOCK_NAMESPACE)}, hashtext(${patientId})) AS locked`.execute(trx)
  return rows[0]?.locked === true
}
