/** SQL of the labs feature (SPEC §4.8b). */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { DB, LabResultsTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** Inserts lab results in batches of 500, skipping any already imported (same patient and `sourceRef`); returns how many were added. */
export async function insertLabResults(db: Db, rows: Insertable<LabResultsTable>[]): Promise<number> {
  let inserted = 0
  for (let i = 0; i < rows.length; i += 500) {
    const result = await db
      .insertInto('labResults')
      .values(rows.slice(i, i + 500))
      .onConflict((oc) => oc.columns(['patientId', 'sourceRef']).where('sourceRef', 'is not', null).doNothing())
      .executeTakeFirst()
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0)
  }
  return inserted
}
