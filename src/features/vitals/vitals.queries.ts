/** SQL of vitals. No business rules here (STYLE §2). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { DB, VitalsTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts vitals in chunks; rows whose (patient, source_ref) exists are skipped. Returns rows inserted. */
export async function insertVitals(db: Db, rows: Insertable<VitalsTable>[]): Promise<number> {
  let inserted = 0
  for (let i = 0; i < rows.length; i += 500) {
    const result = await db
      .insertInto('vitals')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['patientId', 'sourceRef']).where('sourceRef', 'is not', null).doNothing())
      .executeTakeFirst()
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return inserted
}
