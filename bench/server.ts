/**
 * The child server of `npm run bench`: the real app (composeDeps + buildApp) plus two
 * bench routes (hello world, and a SELECT by pk through the product's hooks; the SPEC §7
 * reference yardstick is yardstick-server.ts, a process of its own), listening on 127.0.0.1 on a free port. Runs in its own
 * process so its memory is measured apart from the load generator. Driven over IPC by
 * server-process.ts (see protocol.ts); exits when the parent goes away.
 */
import { sql } from 'kysely'
import { z } from 'zod'
import { buildApp } from '../src/app/build-app.js'
import type { App } from '../src/app/app-types.js'
import { composeDeps, type Composed } from '../src/app/compose.js'
import { loadConfig } from '../src/app/config.js'
import type { Deps } from '../src/app/deps.js'
import { ensureAdmin } from '../src/features/accounts/accounts.service.js'
import { createMemoryTracker } from './memory-tracker.js'
import type { EmergencyWrites, ServerInfo, ServerRequest, StartedServer } from './protocol.js'
import { seedApprovedConsultation, seedRecords, seedVitals } from './seed.js'
import { serveIpc } from './child-ipc.js'

const SAMPLE_MS = 20

/**
 * Adds the bench routes to `app` (before `ready()`): `GET /bench/hello` (the HTTP limit
 * through the product's hooks) and `GET /bench/select/:id` (one primary-key SELECT through
 * deps.db and the product's hooks). Both public, validated and serialized like any other
 * route. On PostgreSQL the SELECT route is for comparison with the bare yardstick (the gap
 * is what the product's hooks and Kysely cost); on PGlite, which has no server for a second
 * process to reach, it is that engine's yardstick.
 */
export function addYardstickRoutes(app: App, deps: Deps): void {
  app.get('/bench/hello', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ hello: 'world' }))
  app.get(
    '/bench/select/:id',
    { config: { access: 'public' }, schema: { hide: true, params: z.object({ id: z.uuid() }).strict() } },
    async (req, reply) => {
      const row = await deps.db.selectFrom('users').select(['id', 'email']).where('id', '=', req.params.id).executeTakeFirst()
      return row ?? reply.code(404).send({ status: 404 })
    },
  )
}

let composed: Composed | undefined
let app: App | undefined
const memory = createMemoryTracker(SAMPLE_MS)

async function start(env: Record<string, string>): Promise<StartedServer> {
  const config = loadConfig(env)
  composed = await composeDeps(config)
  // Like main.ts: ADMIN_EMAIL/ADMIN_PASSWORD create an admin (the pharmacy scenarios verify clinicians with it).
  if (config.admin) await ensureAdmin(composed.deps, config.admin.email, config.admin.password)
  app = await buildApp(composed.deps, { logLevel: 'silent' })
  addYardstickRoutes(app, composed.deps)
  await app.ready()
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('The server has no TCP address.')
  return { port: address.port }
}

async function info(): Promise<ServerInfo> {
  if (!composed) throw new Error('Not started.')
  const { rows } = await sql<{ version: string }>`SELECT version() AS version`.execute(composed.deps.db)
  return {
    engine: composed.deps.database.engine,
    databaseVersion: rows[0]?.version ?? 'unknown',
    pid: process.pid,
    emergencyAlertCooldownMinutes: composed.deps.config.emergencyAlertCooldownMinutes,
  }
}

/** Counts what the emergency views of `patientId` wrote: `emergency.accessed` audit events and alert rounds. */
async function emergencyWrites(patientId: string): Promise<EmergencyWrites> {
  if (!composed) throw new Error('Not started.')
  const db = composed.deps.db
  const audit = await db
    .selectFrom('auditEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('patientId', '=', patientId)
    .where('action', '=', 'emergency.accessed')
    .executeTakeFirstOrThrow()
  const rounds = await db
    .selectFrom('emergencyAlertRounds')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('patientId', '=', patientId)
    .executeTakeFirstOrThrow()
  return { auditEvents: Number(audit.n), alertRounds: Number(rounds.n) }
}

/** Closes the app and its dependencies (the memory tracker is stopped by serveIpc). */
async function stop(): Promise<void> {
  await app?.close()
  await composed?.close()
  app = undefined
  composed = undefined
}

async function handle(req: Exclude<ServerRequest, { op: 'mark-memory' | 'peak-memory' | 'stop' }>): Promise<unknown> {
  switch (req.op) {
    case 'start':
      return start(req.env)
    case 'info':
      return info()
    case 'seed':
      if (!composed) throw new Error('Not started.')
      return seedRecords(composed.deps.db, req.patientId, req.count)
    case 'seed-care-team':
      if (!composed) throw new Error('Not started.')
      await seedApprovedConsultation(composed.deps.db, req.patientId, req.doctorId)
      return seedVitals(composed.deps.db, req.patientId, req.vitals)
    case 'emergency-writes':
      return emergencyWrites(req.patientId)
  }
}

serveIpc<ServerRequest>(handle, memory, stop)
