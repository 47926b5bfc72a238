/**
 * The framework-plus-database yardstick of SPEC §7, in a process of its own: a bare
 * `fastify()` (logger off, no plugins, no hooks, no schema) whose one route
 * `GET /select/:id` runs `select id, email from users where id = $1` through a `pg.Pool`
 * and returns the row as JSON. Outside the product, so the product's hooks can neither
 * slow it down nor flatter the ratios. A second route, `GET /page/:patientId`, runs the
 * record list's SQL (the same columns, join, filter, order and 21 rows) and returns the
 * same 20-record page shape with Fastify's default serialiser: what any server answering
 * that page from the database costs on this machine (the query and the parsing of its rows; a constant ~12 KB answer alone runs faster than the yardstick). Driven over IPC by server-process.ts
 * (startYardstickServer, see protocol.ts); exits when the parent goes away.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import { createMemoryTracker } from './memory-tracker.js'
import type { StartedServer, YardstickRequest } from './protocol.js'
import { serveIpc } from './child-ipc.js'

/** The record list's page query (src/features/records/records.queries.ts, first page, no filters). */
const PAGE_SQL = `
  select r.id, r.patient_id as "patientId", r.file_name as "fileName", r.original_file_name as "originalFileName", r.title,
         r.category, r.content_type as "contentType", r.size_bytes as "sizeBytes", r.sha256, r.record_date::text as "recordDate",
         r.doctor_name as "doctorName", r.description, r.uploaded_at as "uploadedAt", r.uploaded_by as "uploadedBy", r.source,
         u.name as "uploaderName", u.role as "uploaderRole"
  from records r join users u on u.id = r.uploaded_by
  where r.deleted_at is null and r.patient_id = $1
  order by r.record_date desc, r.uploaded_at desc, r.id desc limit 21`

let app: FastifyInstance | undefined
let pool: pg.Pool | undefined
// No sampling timer: nothing but the route runs here (VmHWM gives the peak on Linux).
const memory = createMemoryTracker(0)

async function start(databaseUrl: string, poolSize: number): Promise<StartedServer> {
  const db = new pg.Pool({ connectionString: databaseUrl, max: poolSize })
  pool = db
  // An idle client losing its connection must not crash the process (as in src/db/connection.ts).
  db.on('error', () => undefined)
  const server = Fastify({ logger: false })
  app = server
  server.get<{ Params: { id: string } }>('/select/:id', async (req, reply) => {
    const { rows } = await db.query<{ id: string; email: string }>('select id, email from users where id = $1', [req.params.id])
    return rows[0] ?? reply.code(404).send({ status: 404 })
  })
  server.get<{ Params: { patientId: string } }>('/page/:patientId', async (req) => {
    const { rows } = await db.query(PAGE_SQL, [req.params.patientId])
    const items = rows.slice(0, 20).map((r) => ({ ...r, contentUrl: `/api/v1/patients/${r.patientId}/records/${r.id}/content` }))
    return { items, nextCursor: rows.length > 20 ? Buffer.from(JSON.stringify([items[19]?.recordDate, items[19]?.id])).toString('base64url') : null }
  })
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('The yardstick has no TCP address.')
  return { port: address.port }
}

/** Closes the server and ends the pool (the memory tracker is stopped by serveIpc). */
async function stop(): Promise<void> {
  await app?.close()
  await pool?.end()
  app = undefined
  pool = undefined
}

serveIpc<YardstickRequest>((req) => start(req.databaseUrl, req.poolSize), memory, stop)
