/** SQL of FHIR import bookkeeping: which resources of a patient were already taken in. */
import type { Kysely, Transaction } from 'kysely'
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
