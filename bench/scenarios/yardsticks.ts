/** The two yardsticks of SPEC §7, run in the same server and the same run as the scenarios they scale. */
import type { BenchOptions } from '../options.js'
import { SCENARIO, type LoadResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { runLoad } from './load.js'

/**
 * `GET /bench/hello` (the HTTP limit) and `GET /bench/select/<userId>` (one primary-key
 * SELECT: the database round-trip limit). `userId` must exist so the SELECT finds a row.
 */
export async function runYardsticks(server: BenchServer, options: BenchOptions, userId: string): Promise<LoadResult[]> {
  const hello = await runLoad(server, options, { name: SCENARIO.hello, path: '/bench/hello' })
  const select = await runLoad(server, options, { name: SCENARIO.select, path: `/bench/select/${userId}` })
  return [hello, select]
}
