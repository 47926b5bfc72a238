/**
 * The authenticated record list of SPEC §4.3 under load: a patient with many records
 * (first and second page) and one with few, to show the list's cost does not grow with
 * the patient's record count (keyset pagination on `records_list_idx`).
 */
import { authHeaders, requestJson, type BenchPatient } from '../api-client.js'
import type { BenchOptions } from '../options.js'
import { SCENARIO, type LoadResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { runLoad } from './load.js'

const LIST = '/api/v1/patients/me/records?limit=20'

/** Seeds `options.records` rows for `large` and `options.smallRecords` for `small` (seed.ts, in the server). */
export async function seedPatients(server: BenchServer, options: BenchOptions, large: BenchPatient, small: BenchPatient): Promise<void> {
  const inserted = await server.seed(large.id, options.records)
  const insertedSmall = await server.seed(small.id, options.smallRecords)
  if (inserted !== options.records || insertedSmall !== options.smallRecords) {
    throw new Error(`seeding inserted ${inserted} + ${insertedSmall} rows, expected ${options.records} + ${options.smallRecords}`)
  }
}

/**
 * Runs three list scenarios: large patient page 1, large patient page 2 (the cursor of
 * page 1), small patient page 1. Each signs in first for a fresh access token.
 */
export async function runRecordList(server: BenchServer, options: BenchOptions, large: BenchPatient, small: BenchPatient): Promise<LoadResult[]> {
  const largeHeaders = await authHeaders(server.baseUrl, large)
  const first = await requestJson<{ items: unknown[]; nextCursor: string | null }>(`${server.baseUrl}${LIST}`, { headers: largeHeaders })
  if (first.items.length !== Math.min(20, options.records)) throw new Error(`page 1 has ${first.items.length} items`)

  const results: LoadResult[] = []
  results.push(await runLoad(server, options, { name: SCENARIO.listLarge, detail: `${options.records} records`, path: LIST, headers: largeHeaders }))
  if (first.nextCursor) {
    const page2 = `${LIST}&cursor=${encodeURIComponent(first.nextCursor)}`
    results.push(await runLoad(server, options, { name: SCENARIO.listLargePage2, detail: `${options.records} records`, path: page2, headers: await authHeaders(server.baseUrl, large) }))
  }
  results.push(await runLoad(server, options, { name: SCENARIO.listSmall, detail: `${options.smallRecords} records`, path: LIST, headers: await authHeaders(server.baseUrl, small) }))
  return results
}
