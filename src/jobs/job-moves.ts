/**
 * Jobs that changed queues between releases: a job the previous release enqueued under one
 * name is moved, still waiting, to the queue that handles it now — so an upgrade delivers
 * what was queued before it (SPEC §5: nothing is silently dropped).
 */
import { sql, type Kysely } from 'kysely'
import type { DB } from '../db/schema.js'

/** Which waiting jobs to move, and how their payload reads in the new queue. */
export interface QueuedJobMove {
  /** pg-boss's schema. */
  schema: string
  /** The queue the previous release put them in. */
  from: string
  /** Payload fields that single them out (JSON containment, `data @> match`). */
  match: Record<string, unknown>
  /** The queue they belong to now; it must exist. */
  to: string
  /** The payload in the new queue's shape; a job whose payload it throws on stays where it is. */
  payload: (legacy: unknown) => object
}

/**
 * Moves the jobs of `move.from` still waiting (created or retrying; not running, done or
 * failed for good) whose payload contains `move.match` to `move.to`, with the payload
 * `move.payload` makes, keeping their id, tries and start time. One transaction, rows
 * locked with SKIP LOCKED: a worker of the old queue on another process never gets a job
 * that is being moved, and two processes starting at once move each job once. Returns how
 * many moved and how many were left (their payload did not map).
 */
export async function moveQueuedJobs(db: Kysely<DB>, move: QueuedJobMove): Promise<{ moved: number; left: number }> {
  const job = sql.table(`${move.schema}.job`)
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ id: string; data: unknown }>`
      SELECT id, data FROM ${job}
      WHERE name = ${move.from} AND state < 'active' AND data @> ${JSON.stringify(move.match)}::jsonb
      FOR UPDATE SKIP LOCKED`.execute(trx)
    let moved = 0
    for (const row of rows) {
      let payload: object
      try {
        payload = move.payload(row.data)
      } catch {
        continue
      }
      // The job table is partitioned by queue name: the UPDATE moves the row to the new partition.
      await sql`UPDATE ${job} SET name = ${move.to}, data = ${JSON.stringify(payload)}::jsonb WHERE name = ${move.from} AND id = ${row.id}`.execute(trx)
      moved++
    }
    return { moved, left: rows.length - moved }
  })
}
