/**
 * `npm run worker` — a worker node (SPEC §11): the job workers, the audit sealer and the
 * periodic tasks (the orphan sweeper) that `composeDeps` starts, and no HTTP server. Run API nodes with
 * `JOB_WORKERS=false` and one or more of these beside them on the same database; any mix
 * is safe (each job runs once, one sealer at a time). Same environment variables as the
 * server; `JOB_WORKERS` is ignored here (a worker always works).
 *
 * Logs one JSON line per event on stderr (ids and counts only). Stops gracefully on
 * SIGTERM/SIGINT: no new jobs are fetched, running ones finish (up to 10 s, then they are
 * failed and retried later), the database is closed; exit 0. Exits 1 when the
 * configuration is invalid or the database cannot be opened.
 */
import { composeDeps } from '../app/compose.js'
import { exitOnConfigError, loadConfig } from '../app/config.js'
import { createJobLogger } from '../jobs/job-logger.js'

/** Printed on stdout once the workers run. */
const WORKER_READY_LINE = 'CareLocker worker running (job workers, audit sealer, orphan sweeper); no HTTP'

/** Past this, a stop that is still waiting exits anyway (the jobs it left are retried). */
const STOP_DEADLINE_MS = 15_000

async function main(): Promise<void> {
  const config = await exitOnConfigError(() => loadConfig(process.env))
  const log = createJobLogger(config.logLevel)
  const composed = await exitOnConfigError(() => composeDeps(config, { log, workers: true }))

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ component: 'worker', signal }, 'worker shutting down')
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref()
    await composed.close()
    log.info({ component: 'worker' }, 'worker stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  log.info({ component: 'worker', engine: composed.deps.database.engine }, 'CareLocker worker running')
  // Whatever LOG_LEVEL says, the operator (and a supervisor or test) sees that it started.
  process.stdout.write(`${WORKER_READY_LINE}\n`)
}

main().catch((err: unknown) => {
  console.error('CareLocker worker failed to start:', err instanceof Error ? err.message : err)
  process.exit(1)
})
