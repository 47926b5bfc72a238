/**
 * The yardsticks of SPEC §7, measured in the same run as the scenarios they scale:
 * - hello world, `GET /bench/hello` in the product process: the HTTP limit (through the
 *   product's hooks);
 * - the reference, framework plus database: on PostgreSQL the bare Fastify + `pg` process
 *   (yardstick-server.ts) with `GET /select/:id`; on PGlite, which has no server that a
 *   second process could reach, `GET /bench/select/:id` inside the product;
 * - on PostgreSQL also `GET /bench/select/:id` inside the product, for comparison: the gap
 *   to the bare yardstick is what the product's hooks and Kysely cost;
 * - on PostgreSQL also the bare process's `GET /page/:patientId`: the record list's SQL and
 *   its 20-record page (~12 KB) without the product — the ceiling of the record-list rows.
 */
import type { BenchOptions } from '../options.js'
import { SCENARIO, type LoadResult, type ReferenceYardstick } from '../report.js'
import type { BenchServer, YardstickServer } from '../server-process.js'
import { runLoad } from './load.js'

/** The product's pg pool size: `openDatabase` defaults to 10 and `composeDeps` passes none (src/db/connection.ts). */
export const PRODUCT_POOL_SIZE = 10

/** Describes the reference yardstick of an engine: the bare process when there is one, else the in-product route. */
export function referenceYardstick(bare: YardstickServer | undefined): ReferenceYardstick {
  return bare
    ? {
        scenario: SCENARIO.bareSelect,
        what: `bare fastify() (logger off, no plugins, no hooks) + pg.Pool (max ${PRODUCT_POOL_SIZE}) in a process of its own: GET /select/:id → select id, email from users where id = $1`,
      }
    : {
        scenario: SCENARIO.productSelect,
        what: 'PGlite has no server for a second process to reach: GET /bench/select/:id inside the product (through its hooks) stands in. SPEC §7 budgets are defined on PostgreSQL only',
      }
}

/** Runs hello world, the in-product SELECT and, when `bare` is given, the bare yardstick. `userId` must exist. */
export async function runYardsticks(server: BenchServer, bare: YardstickServer | undefined, options: BenchOptions, userId: string): Promise<LoadResult[]> {
  const results = [await runLoad(server, options, { name: SCENARIO.hello, detail: 'in the product', path: '/bench/hello' })]
  results.push(
    await runLoad(server, options, {
      name: SCENARIO.productSelect,
      detail: bare ? 'hooks + Kysely, for comparison' : "pglite's yardstick",
      path: `/bench/select/${userId}`,
    }),
  )
  if (bare) results.push(await runLoad(bare, options, { name: SCENARIO.bareSelect, detail: `own process, pool ${PRODUCT_POOL_SIZE}`, path: `/select/${userId}` }))
  return results
}

/**
 * The record list's ceiling on this machine: the bare process serving the first 20-record
 * page of `patientId` (seeded), with the product's SQL and the same bytes.
 */
export function runPageCeiling(bare: YardstickServer, options: BenchOptions, patientId: string): Promise<LoadResult> {
  return runLoad(bare, options, { name: SCENARIO.barePage, detail: 'same SQL and page', path: `/page/${patientId}` })
}

/**
 * The reference yardstick once more, after every other scenario: how far it drifted
 * during the run shows how steady the machine was (the ratios use the first measurement).
 */
export async function runYardstickAgain(server: BenchServer, bare: YardstickServer | undefined, options: BenchOptions, userId: string): Promise<LoadResult> {
  const spec = bare ? { target: bare, path: `/select/${userId}` } : { target: server, path: `/bench/select/${userId}` }
  return runLoad(spec.target, options, { name: SCENARIO.yardstickAgain, detail: bare ? 'bare' : 'in-product', path: spec.path })
}
