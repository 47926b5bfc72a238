/**
 * pg-boss's `db` option, two ways (see job-queue.ts for why): over the caller's Kysely
 * transaction, so an enqueued job commits with the business write; and on PGlite, every
 * statement behind Kysely's connection mutex.
 */
import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from '../db/connection.js'
import type { DB } from '../db/schema.js'

interface SqlResult {
  rows: unknown[]
}
type Executor = { executeSql(text: string, values?: unknown[]): Promise<SqlResult> }

/** pg-boss's `db` option over a Kysely transaction: its INSERT joins the caller's work. */
export function transactionAdapter(trx: Kysely<DB>): Executor {
  const raw = trx.withoutPlugins()
  return {
    executeSql: async (text, values = []) => ({ rows: (await raw.executeQuery(CompiledQuery.raw(text, values))).rows }),
  }
}

/**
 * pg-boss's `db` option on PGlite: every statement behind Kysely's connection mutex.
 * After `close()` it answers `undefined`, as pg-boss's own pool does once closed, so a
 * late completion of pg-boss's never fails against a closed database.
 */
export function pgliteAdapter(database: Database) {
  const pglite = database.pglite
  if (!pglite) throw new Error('The PGlite adapter needs the PGlite instance.')
  const raw = database.db.withoutPlugins()
  const inFlight = new Set<Promise<unknown>>()
  let closed = false

  const run = (text: string, values: unknown[] | undefined): Promise<SqlResult> =>
    raw.connection().execute(async (conn) => {
      if (values !== undefined && values.length > 0) {
        return { rows: (await conn.executeQuery(CompiledQuery.raw(text, values))).rows }
      }
      // Parameter-less text may hold several statements (schema install, maintenance).
      try {
        const results = await pglite.exec(text)
        return { rows: results.at(-1)?.rows ?? [] }
      } catch (err) {
        // A failed `BEGIN; …` script leaves an aborted transaction on our only session.
        if (pglite.isInTransaction()) await pglite.exec('ROLLBACK')
        throw err
      }
    })

  return {
    executeSql(text: string, values?: unknown[]): Promise<SqlResult> {
      if (closed) return Promise.resolve(undefined as unknown as SqlResult)
      const p = run(text, values)
      inFlight.add(p)
      const forget = () => inFlight.delete(p)
      p.then(forget, forget)
      return p
    },
    /** Refuses new statements and waits for those running. */
    async close(): Promise<void> {
      closed = true
      while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    },
  }
}
