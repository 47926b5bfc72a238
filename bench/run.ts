/**
 * `npm run bench` (SPEC §7): for each engine (PGlite; PostgreSQL when a server answers),
 * starts the real app in a child process on 127.0.0.1 and, on PostgreSQL, the bare
 * Fastify + pg yardstick in another, and measures the yardsticks, the authenticated record
 * list (large and small patient, first and second page), the emergency view, the care-team
 * and pharmacy scenarios, a large streamed upload and download, and Synthea imports.
 * Writes bench/results/bench-<time>.json and prints the tables, among them SPEC §7's. Budgets are reported, never enforced: the exit code is 0 unless the
 * bench itself could not run. Settings: see options.ts and bench/README.md.
 */
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { generateSigningKey } from '../src/app/signing-keys.js'
import { registerPatient } from './api-client.js'
import { prepareEngine, redact, type PreparedEngine } from './engines.js'
import { readOptions, type BenchOptions, type EngineName, type ScenarioGroup } from './options.js'
import { checkBudgets, formatReport, section7Table, writeReport, yardstickOf, type BenchReport, type EngineReport, type ScenarioResult } from './report.js'
import { runCareTeam } from './scenarios/care-team.js'
import { runEmergencyView } from './scenarios/emergency-view.js'
import { runPharmacy } from './scenarios/pharmacy.js'
import { IMPORT_FIXTURES, runImport } from './scenarios/fhir-import.js'
import { runJobs } from './scenarios/jobs.js'
import { runLargeFile, runLargeFileOnS3 } from './scenarios/large-file.js'
import { runAppleHealthImport } from './scenarios/apple-health.js'
import { runRecordList, seedPatients } from './scenarios/record-list.js'
import { PRODUCT_POOL_SIZE, referenceYardstick, runPageCeiling, runYardstickAgain, runYardsticks } from './scenarios/yardsticks.js'
import { startBenchServer, startYardstickServer, type BenchServer, type YardstickServer } from './server-process.js'
import { startSmtpSink, type SmtpSink } from '../test/helpers/smtp-sink.js'

const log = (engine: string, message: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${engine}: ${message}`)

/** The bench's own admin (created at server start through ADMIN_EMAIL/ADMIN_PASSWORD): verifies the clinicians of the pharmacy scenarios. */
const BENCH_ADMIN = { email: 'bench-admin@example.test', password: randomBytes(18).toString('base64url') }

/** The child server's configuration: explicit secrets, silent logs, limits out of the way. */
function serverEnv(engine: PreparedEngine, options: BenchOptions): Record<string, string> {
  const high = '100000'
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PUBLIC_URL: 'http://127.0.0.1',
    MASTER_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
    PRESCRIPTION_SIGNING_KEY: JSON.stringify(generateSigningKey()),
    // Audit tree-head key (SPEC §4.7); production configs must set it. Ignored by a config that does not know it yet.
    AUDIT_SIGNING_KEY: JSON.stringify(generateSigningKey()),
    ADMIN_EMAIL: BENCH_ADMIN.email,
    ADMIN_PASSWORD: BENCH_ADMIN.password,
    LOG_LEVEL: 'silent',
    MAX_UPLOAD_MB: String(options.uploadMb + 1),
    RATE_LIMIT_LOGIN_PER_MIN: high,
    RATE_LIMIT_LOGIN_PER_HOUR_ACCOUNT: high,
    RATE_LIMIT_REGISTER_PER_HOUR: high,
    RATE_LIMIT_PASSWORD_RESET_PER_HOUR: high,
    RATE_LIMIT_PUBLIC_PER_MIN: high,
    RATE_LIMIT_PHARMACY_LOOKUP_PER_MIN: high,
    // The bench's doctor and pharmacist sign in with a password only (SPEC §8's second factor is not what is measured).
    MFA_REQUIRED_ROLES: '',
    ...engine.env,
  }
}

let cleanupCurrent: (() => Promise<void>) | undefined

/** Runs every scenario on one engine; a failing scenario is recorded and the next one runs. */
async function runEngine(name: EngineName, options: BenchOptions): Promise<EngineReport> {
  const result: EngineReport = { engine: name, loadAverage: { start: os.loadavg(), end: [] }, scenarios: [], scenarioErrors: [], section7: [], checks: [] }
  const setup = await prepareEngine(name, options)
  if (!setup.ok) {
    log(name, `skipped — ${setup.reason}`)
    return { ...result, loadAverage: undefined, skipped: setup.reason }
  }
  let server: BenchServer | undefined
  let bare: YardstickServer | undefined
  let smtp: SmtpSink | undefined
  cleanupCurrent = async () => {
    await bare?.stop()
    await server?.stop()
    await smtp?.close()
    await setup.engine.cleanup()
  }
  const step = async (label: string, fn: () => Promise<ScenarioResult[] | ScenarioResult | void>) => {
    log(name, label)
    try {
      const out = await fn()
      if (out) result.scenarios.push(...(Array.isArray(out) ? out : [out]))
    } catch (err) {
      log(name, `${label} failed: ${(err as Error).message}`)
      result.scenarioErrors.push({ name: label, error: (err as Error).stack ?? String(err) })
    }
  }
  try {
    const runs = (group: ScenarioGroup) => options.scenarios.includes(group)
    // The jobs group measures delivery to a real SMTP listener: the server's mail goes there.
    if (runs('jobs')) smtp = await startSmtpSink()
    log(name, 'starting the server')
    server = await startBenchServer({ ...serverEnv(setup.engine, options), ...(smtp ? { SMTP_URL: smtp.url } : {}) }, { cpuProfileDir: options.cpuProfileDir })
    const srv = server
    result.databaseVersion = srv.info.databaseVersion
    const [large, small, uploader] = [
      await registerPatient(srv.baseUrl, 'large'),
      await registerPatient(srv.baseUrl, 'small'),
      await registerPatient(srv.baseUrl, 'upload'),
    ]
    if (runs('yardsticks')) {
      const databaseUrl = setup.engine.env.DATABASE_URL
      // PostgreSQL: the bare yardstick process, on the same (migrated, seeded) database. PGlite has no server to reach.
      if (databaseUrl) {
        await step(`starting the bare Fastify + pg yardstick (pool ${PRODUCT_POOL_SIZE})`, async () => {
          bare = await startYardstickServer(databaseUrl, PRODUCT_POOL_SIZE)
        })
      }
      if (!databaseUrl || bare) result.yardstick = { ...referenceYardstick(bare), reqPerSec: null, p99Ms: null }
      await step('yardsticks', () => runYardsticks(srv, bare, options, large.id))
    }
    if (runs('list')) {
      await step(`seeding ${options.records} + ${options.smallRecords} records`, () => seedPatients(srv, options, large, small))
      await step('record list', () => runRecordList(srv, options, large, small))
      const ceilingFrom = bare
      if (ceilingFrom) await step('ceiling: the same page from the bare process', () => runPageCeiling(ceilingFrom, options, large.id))
    }
    if (runs('emergency')) await step('emergency view', async () => runEmergencyView(srv, options, await registerPatient(srv.baseUrl, 'emergency')))
    if (runs('care')) await step(`care team: doctor's record list, trends over ${options.vitals} vitals`, () => runCareTeam(srv, options))
    if (runs('pharmacy')) await step('pharmacy: scan, and create → scan → dispense', () => runPharmacy(srv, options, BENCH_ADMIN))
    if (runs('files')) await step(`${options.uploadMb} MB upload and download`, () => runLargeFile(srv, uploader, options.uploadMb))
    if (runs('files')) await step(`${options.uploadMb} MB upload and download on S3 (s3rver)`, () => runLargeFileOnS3(serverEnv(setup.engine, options), options.uploadMb))
    if (runs('import')) {
      for (const fixture of IMPORT_FIXTURES) {
        await step(fixture.name, async () => runImport(srv, await registerPatient(srv.baseUrl, 'import'), options.fixturesDir, fixture))
      }
    }
    // SPEC §7's 1 GB Apple Health budget is defined on PostgreSQL; PGlite runs it only when asked by name.
    if (runs('apple') && (setup.engine.env.DATABASE_URL !== undefined || options.scenariosNamed)) await step(`Apple Health export.xml, ${options.appleMb} MB, streamed import`, async () => runAppleHealthImport(srv, await registerPatient(srv.baseUrl, 'apple'), options.appleMb))
    if (runs('jobs')) {
      const databaseUrl = setup.engine.env.DATABASE_URL
      const sink = smtp
      if (databaseUrl && sink) await step(`jobs: ${options.jobs} emails through the queue to an SMTP listener`, () => runJobs(databaseUrl, sink, options.jobs))
      else log(name, 'jobs: skipped (needs PostgreSQL: the bench inserts the jobs from its own process)')
    }
    if (result.yardstick) await step('the yardstick again', () => runYardstickAgain(srv, bare, options, large.id))
  } catch (err) {
    log(name, `stopped: ${(err as Error).message}`)
    result.error = (err as Error).stack ?? String(err)
  } finally {
    await cleanupCurrent()
    cleanupCurrent = undefined
  }
  const yardstick = yardstickOf(result)
  if (result.yardstick) result.yardstick = { ...result.yardstick, reqPerSec: yardstick?.reqPerSec ?? null, p99Ms: yardstick?.latencyMs.p99 ?? null }
  result.section7 = section7Table(result)
  result.checks = checkBudgets(result)
  result.loadAverage = { start: result.loadAverage?.start ?? [], end: os.loadavg() }
  return result
}

async function main(): Promise<void> {
  const options = readOptions()
  const cpus = os.cpus()
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      platform: os.platform(),
      arch: os.arch(),
      node: process.version,
      loadAverage: { start: os.loadavg(), end: [] },
    },
    settings: { ...options, postgresAdminUrl: redact(options.postgresAdminUrl) },
    engines: [],
  }
  for (const engine of options.engines) report.engines.push(await runEngine(engine, options))
  report.finishedAt = new Date().toISOString()
  report.machine.loadAverage.end = os.loadavg()
  const file = await writeReport(report)
  console.log(formatReport(report))
  console.log(`\nreport: ${file}`)
}

// Ctrl-C: stop the child server and drop the bench database before leaving.
process.once('SIGINT', () => {
  const cleanup = cleanupCurrent ?? (async () => undefined)
  cleanup().finally(() => process.exit(130))
})

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
