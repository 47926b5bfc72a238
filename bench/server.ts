/**
 * The child server of `npm run bench`: the real app (composeDeps + buildApp) plus the two
 * yardstick routes of SPEC §7, listening on 127.0.0.1 on a free port. Runs in its own
 * process so its memory is measured apart from the load generator. Driven over IPC by
 * server-process.ts (see protocol.ts); exits when the parent goes away.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { sql } from 'kysely'
import { z } from 'zod'
import { buildApp, type App } from '../src/app/build-app.js'
import { composeDeps, type Composed } from '../src/app/compose.js'
import { loadConfig } from '../src/app/config.js'
import type { Deps } from '../src/app/deps.js'
import { ensureAdmin } from '../src/features/accounts/accounts.service.js'
import type { MemorySample, ServerInfo, ServerReply, ServerRequest, StartedServer } from './protocol.js'
import { seedApprovedConsultation, seedRecords, seedVitals } from './seed.js'

const SAMPLE_MS = 20

/**
 * Adds the yardsticks to `app` (before `ready()`): `GET /bench/hello` (the HTTP limit) and
 * `GET /bench/select/:id` (one primary-key SELECT through deps.db: the database
 * round-trip limit). Both public, validated and serialized like any other route.
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

/** Peak-RSS tracking: 20 ms samples in this process, plus the kernel's VmHWM on Linux. */
function createMemoryTracker() {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss()
    if (rss > peak) peak = rss
  }, SAMPLE_MS)
  timer.unref()
  const kernelPeak = async (): Promise<number> => {
    try {
      const status = await readFile('/proc/self/status', 'utf8')
      const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1]
      return kb ? Number(kb) * 1024 : 0
    } catch {
      return 0
    }
  }
  return {
    async mark(): Promise<MemorySample> {
      const gc = (globalThis as { gc?: () => void }).gc
      gc?.()
      // "5" resets VmHWM to the current RSS (Linux ≥ 4.0); elsewhere the samples suffice.
      await writeFile('/proc/self/clear_refs', '5').catch(() => undefined)
      peak = process.memoryUsage.rss()
      return { rssBytes: peak, peakRssBytes: peak }
    },
    async peak(): Promise<MemorySample> {
      const rss = process.memoryUsage.rss()
      return { rssBytes: rss, peakRssBytes: Math.max(peak, rss, await kernelPeak()) }
    },
    stop: () => clearInterval(timer),
  }
}

let composed: Composed | undefined
let app: App | undefined
const memory = createMemoryTracker()

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
  return { engine: composed.deps.database.engine, databaseVersion: rows[0]?.version ?? 'unknown', pid: process.pid }
}

async function stop(): Promise<void> {
  memory.stop()
  await app?.close()
  await composed?.close()
  app = undefined
  composed = undefined
}

async function handle(req: ServerRequest): Promise<unknown> {
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
    case 'mark-memory':
      return memory.mark()
    case 'peak-memory':
      return memory.peak()
    case 'stop':
      return stop()
  }
}

process.on('message', (message: ServerRequest) => {
  handle(message).then(
    (value) => process.send?.({ id: message.id, ok: true, value: value ?? null } satisfies ServerReply),
    (err: unknown) => process.send?.({ id: message.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ServerReply),
  )
})

// The parent is gone (or done): close what is open and leave.
process.on('disconnect', () => {
  stop().finally(() => process.exit(0))
})
