/**
 * The framework-plus-database yardstick of SPEC §7, in a process of its own: a bare
 * `fastify()` (logger off, no plugins, no hooks, no schema) whose one route
 * `GET /select/:id` runs `select id, email from users where id = $1` through a `pg.Pool`
 * and returns the row as JSON. Outside the product, so the product's hooks can neither
 * slow it down nor flatter the ratios. Driven over IPC by server-process.ts
 * (startYardstickServer, see protocol.ts); exits when the parent goes away.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import { createMemoryTracker } from './memory-tracker.js'
import type { ServerReply, StartedServer, YardstickRequest } from './protocol.js'

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
  await server.listen({ host: '127.0.0.1', port: 0 })
  const address = server.server.address()
  if (address === null || typeof address === 'string') throw new Error('The yardstick has no TCP address.')
  return { port: address.port }
}

async function stop(): Promise<void> {
  memory.stop()
  await app?.close()
  await pool?.end()
  app = undefined
  pool = undefined
}

async function handle(req: YardstickRequest): Promise<unknown> {
  switch (req.op) {
    case 'start':
      return start(req.databaseUrl, req.poolSize)
    case 'mark-memory':
      return memory.mark()
    case 'peak-memory':
      return memory.peak()
    case 'stop':
      return stop()
  }
}

process.on('message', (message: YardstickRequest) => {
  handle(message).then(
    (value) => process.send?.({ id: message.id, ok: true, value: value ?? null } satisfies ServerReply),
    (err: unknown) => process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ServerReply),
  )
})

process.on('disconnect', () => {
  stop().finally(() => process.exit(0))
})
