/**
 * The bench report: result shapes, the SPEC §7 table (each scenario's req/s as a share of
 * the framework-plus-database yardstick's, and its p99, against the budgets), the other
 * checks (all reported, never enforced), the JSON file under bench/results/ and the
 * compact tables printed to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EmergencyWrites } from './protocol.js'
import { CARE_SCENARIO } from './scenarios/care-team.js'
import { EMERGENCY_SCENARIO } from './scenarios/emergency-view.js'
import { PHARMACY_SCENARIO } from './scenarios/pharmacy.js'
import type { JobsResult } from './scenarios/jobs.js'

export const MIB = 1024 * 1024

/** Server RSS around a scenario, in MiB: baseline after a GC, peak during, growth = peak − baseline. */
export interface MemoryUse {
  baselineMb: number
  peakMb: number
  growthMb: number
}

export interface LoadResult {
  kind: 'load'
  /** Stable scenario name (see SCENARIO). */
  name: string
  /** What varies with the settings, e.g. "10000 records". */
  detail?: string
  path: string
  connections: number
  durationSeconds: number
  requests: number
  reqPerSec: number
  latencyMs: { average: number; p50: number; p90: number; p99: number; max: number }
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  serverMemory: MemoryUse
  /**
   * CPU µs per completed request in the server process and in its PostgreSQL backends
   * (null on PGlite, where the database runs inside the server). Hardly moved by other work
   * on the host, unlike req/s (bench/cpu.ts). Absent off Linux.
   */
  cpuMicrosPerRequest?: { server: number; database: number | null }
  /** The host's 1-minute load average when the scenario ended: other processes skew the numbers. */
  hostLoad1m: number
  /** Emergency view only: what the views wrote during the scenario (probe and warm-up included). */
  writes?: EmergencyWrites & { alertCooldownMinutes: number }
}

export interface TransferResult {
  kind: 'transfer'
  name: 'upload' | 'download'
  /** Where the server stored the file: local disk unless `s3` (SPEC §11). */
  storage?: 's3'
  bytes: number
  seconds: number
  mbPerSec: number
  status: number
  /** sha256 (hex) of the bytes sent or received; the download's must equal the upload's. */
  sha256: string
  sha256Matches?: boolean
  serverMemory: MemoryUse
}

export interface ImportResult {
  kind: 'import'
  name: string
  fixture: string
  seconds: number
  status: number
  imported: Record<string, number> | undefined
  serverMemory: MemoryUse
}

/** A generated Apple Health export.xml imported streamed (SPEC §9; SPEC §7: memory growth ≤ 128 MB at 1 GB). */
export interface AppleImportResult {
  kind: 'apple-import'
  name: string
  /** Size of the export.xml sent. */
  bytes: number
  seconds: number
  mbPerSec: number
  status: number
  imported: Record<string, number> | undefined
  /** Elements skipped (steps, energy, sleep, workouts, lone systolic/diastolic, …). */
  skipped: number | undefined
  serverMemory: MemoryUse
}

export type ScenarioResult = LoadResult | TransferResult | ImportResult | JobsResult | AppleImportResult

export interface BudgetCheck {
  name: string
  budget: string
  actual: string
  pass: boolean
}

/** The framework-plus-database yardstick an engine's ratios are taken against. */
export interface ReferenceYardstick {
  /** The load scenario that measured it (SCENARIO.bareSelect or, on PGlite, SCENARIO.productSelect). */
  scenario: string
  what: string
}

/** One row of the SPEC §7 table. */
export interface Section7Row {
  /** The scenario in SPEC §7's words. */
  scenario: string
  /** The bench scenario that measures it; null when the feature does not exist yet. */
  measuredBy: string | null
  status: 'measured' | 'not built yet' | 'not run' | 'no yardstick'
  reqPerSec: number | null
  /** req/s as a percentage of the reference yardstick's req/s in the same run. */
  pctOfYardstick: number | null
  budgetPct: number
  p99Ms: number | null
  budgetP99Ms: number
  /** Both budgets met and no errors or non-2xx answers; null when not measured. */
  met: boolean | null
  /** Why a measured row is not met although its numbers are, e.g. non-2xx answers. */
  note?: string
}

export interface EngineReport {
  engine: 'pglite' | 'postgres'
  databaseVersion?: string
  /** os.loadavg() (1, 5, 15 min) when this engine's run started and when it ended. */
  loadAverage?: { start: number[]; end: number[] }
  /** The reference of the ratios, with its req/s and p99 in this run. */
  yardstick?: ReferenceYardstick & { reqPerSec: number | null; p99Ms: number | null }
  /** SPEC §7: scenario | req/s | % of yardstick | budget % | p99 ms | budget p99 | met? */
  section7: Section7Row[]
  /** Why the engine did not run (e.g. no PostgreSQL server reachable). */
  skipped?: string
  /** A failure that stopped this engine's run part-way; the scenarios before it are kept. */
  error?: string
  scenarios: ScenarioResult[]
  /** Failures of single scenarios (the run goes on with the next one). */
  scenarioErrors: { name: string; error: string }[]
  /** Checks outside the §7 table: flat list, memory, hashes, imports, errors. */
  checks: BudgetCheck[]
}

export interface BenchReport {
  startedAt: string
  finishedAt: string
  machine: {
    cpus: number
    cpuModel: string
    totalMemoryMb: number
    platform: string
    arch: string
    node: string
    /** 1, 5 and 15-minute load averages before the first engine and after the last one. */
    loadAverage: { start: number[]; end: number[] }
  }
  settings: Record<string, unknown>
  engines: EngineReport[]
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits
const loadNamed = (e: EngineReport, name: string) => e.scenarios.find((s): s is LoadResult => s.kind === 'load' && s.name === name)

/** Scenario names shared by the scenarios and the budget checks. */
export const SCENARIO = {
  hello: 'yardstick: hello world',
  bareSelect: 'yardstick: bare Fastify + pg, SELECT by pk',
  barePage: 'ceiling: bare Fastify + pg, the 20-record page',
  productSelect: 'SELECT by pk inside the product',
  yardstickAgain: 'yardstick again, after all scenarios',
  listLarge: 'records list, large patient',
  listLargePage2: 'records list, large, page 2',
  listSmall: 'records list, small patient',
} as const

/** The rows of SPEC §7, in its order, with the bench scenario that measures each. */
const SECTION7: { scenario: string; measuredBy: string | null; budgetPct: number; budgetP99Ms: number }[] = [
  { scenario: 'authenticated record list (patient)', measuredBy: SCENARIO.listLarge, budgetPct: 40, budgetP99Ms: 20 },
  { scenario: 'record list by a consenting doctor', measuredBy: CARE_SCENARIO.doctorList, budgetPct: 25, budgetP99Ms: 30 },
  { scenario: 'emergency view', measuredBy: EMERGENCY_SCENARIO, budgetPct: 15, budgetP99Ms: 50 },
  { scenario: 'pharmacy scan', measuredBy: PHARMACY_SCENARIO.scan, budgetPct: 12, budgetP99Ms: 60 },
  // The FHIR API does not exist yet: its row stays, without a number.
  { scenario: 'FHIR search, Observation by code, 20/page', measuredBy: CARE_SCENARIO.fhirObservation, budgetPct: 25, budgetP99Ms: 30 },
]

/** The reference yardstick's measurement in this engine's run, if it ran. */
export const yardstickOf = (e: EngineReport): LoadResult | undefined => (e.yardstick ? loadNamed(e, e.yardstick.scenario) : undefined)

/**
 * The SPEC §7 table for one engine: each row's req/s as a share of the reference
 * yardstick's req/s in the same run, and its p99, against the budgets. The budgets are
 * defined on real PostgreSQL (2 cores, 50 connections); on PGlite the table is for
 * comparison only.
 */
export function section7Table(e: EngineReport): Section7Row[] {
  const yardstick = yardstickOf(e)
  return SECTION7.map((row): Section7Row => {
    const empty = { ...row, reqPerSec: null, pctOfYardstick: null, p99Ms: null, met: null }
    if (row.measuredBy === null) return { ...empty, status: 'not built yet' }
    const s = loadNamed(e, row.measuredBy)
    if (!s) return { ...empty, status: 'not run' }
    const pct = yardstick && yardstick.reqPerSec > 0 ? round((100 * s.reqPerSec) / yardstick.reqPerSec) : null
    const bad = s.errors + s.timeouts + s.non2xx
    const numbersMet = pct !== null && pct >= row.budgetPct && s.latencyMs.p99 <= row.budgetP99Ms
    return {
      ...row,
      status: pct === null ? 'no yardstick' : 'measured',
      reqPerSec: s.reqPerSec,
      pctOfYardstick: pct,
      p99Ms: s.latencyMs.p99,
      met: pct === null ? null : numbersMet && bad === 0,
      ...(bad > 0 ? { note: `${bad} errors or non-2xx answers` } : {}),
    }
  })
}

/**
 * The checks outside the §7 table: the record list flat in patient size, upload and
 * download memory and hashes, import times, the emergency view's writes, and any errors.
 */
export function checkBudgets(e: EngineReport): BudgetCheck[] {
  const checks: BudgetCheck[] = []
  const list = loadNamed(e, SCENARIO.listLarge)
  const small = loadNamed(e, SCENARIO.listSmall)
  const emergency = loadNamed(e, EMERGENCY_SCENARIO)
  if (emergency?.writes) {
    const ok2xx = Object.entries(emergency.statusCodes).reduce((n, [code, count]) => (code.startsWith('2') ? n + count : n), 0)
    const w = emergency.writes
    checks.push({ name: 'emergency view: one audit event per 2xx answer', budget: `≥ ${ok2xx}`, actual: String(w.auditEvents), pass: w.auditEvents >= ok2xx })
    checks.push({ name: `emergency view: alert rounds (cooldown ${w.alertCooldownMinutes} min)`, budget: '1', actual: String(w.alertRounds), pass: w.alertRounds === 1 })
  }
  const first = yardstickOf(e)
  const again = loadNamed(e, SCENARIO.yardstickAgain)
  if (first && again && first.reqPerSec > 0) {
    // Our tolerance, not SPEC's: a yardstick that moved more than this means the machine was not steady.
    const ratio = again.reqPerSec / first.reqPerSec
    checks.push({ name: 'yardstick steady during the run (req/s end ÷ start)', budget: '0.80–1.25', actual: round(ratio, 2).toFixed(2), pass: ratio >= 0.8 && ratio <= 1.25 })
  }
  if (list && small) {
    const ratio = list.reqPerSec / small.reqPerSec
    checks.push({
      name: 'record list flat in patient size (req/s large ÷ small)',
      budget: '≥ 0.80',
      actual: round(ratio, 2).toFixed(2),
      pass: ratio >= 0.8,
    })
  }
  for (const t of e.scenarios) {
    if (t.kind === 'transfer') {
      const expected = t.name === 'upload' ? 201 : 200
      const label = t.storage === 's3' ? `${t.name} on S3` : t.name
      if (t.status !== expected) checks.push({ name: `${label}: HTTP status`, budget: String(expected), actual: String(t.status), pass: false })
      checks.push({ name: `${label}: server RSS growth`, budget: '≤ 64 MB', actual: `${t.serverMemory.growthMb} MB`, pass: t.serverMemory.growthMb <= 64 })
      if (t.sha256Matches !== undefined) {
        checks.push({ name: 'download sha256 = upload sha256', budget: 'equal', actual: t.sha256Matches ? 'equal' : 'DIFFERENT', pass: t.sha256Matches })
      }
    }
    if (t.kind === 'import') {
      checks.push({ name: `${t.name} wall time`, budget: '≤ 3 s', actual: `${t.seconds} s`, pass: t.status === 200 && t.seconds <= 3 })
    }
    if (t.kind === 'apple-import') {
      checks.push({ name: `${t.name}: server RSS growth`, budget: '≤ 128 MB', actual: `${t.serverMemory.growthMb} MB`, pass: t.status === 200 && t.serverMemory.growthMb <= 128 })
    }
    if (t.kind === 'jobs') {
      // SPEC §5: a queued message starts within 2 s; ≥ 50 messages/s per queue to a local SMTP server.
      checks.push({ name: 'queued email: enqueue → delivered (worst of idle samples)', budget: '≤ 2000 ms', actual: `${t.startLatencyMs.max} ms`, pass: t.startLatencyMs.max <= 2000 })
      checks.push({ name: `email burst drained (${t.messages} messages)`, budget: '≥ 50 msg/s', actual: `${t.messagesPerSec} msg/s`, pass: t.messagesPerSec >= 50 })
      checks.push({ name: 'email burst: each message delivered once', budget: '0 duplicates', actual: String(t.duplicates), pass: t.duplicates === 0 })
    }
    if (t.kind === 'load') {
      const bad = t.errors + t.non2xx
      if (bad > 0) checks.push({ name: `${t.name}: errors + non-2xx`, budget: '0', actual: String(bad), pass: false })
    }
  }
  return checks
}

/** Writes the report as `bench/results/bench-<ISO timestamp, ':' and '.' as '-'>.json`; returns the path. */
export async function writeReport(report: BenchReport): Promise<string> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url))
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`)
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`)
  return file
}

const pad = (s: string | number, n: number) => String(s).padStart(n)
const cpuCell = (s: LoadResult) => {
  const c = s.cpuMicrosPerRequest
  return c ? `${c.server}${c.database === null ? '' : ` + ${c.database}`}` : '-'
}
const padEnd = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n))

const loadAvg = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')

/** The SPEC §7 table of one engine, with the engine's load average at its start and end. */
function formatSection7(e: EngineReport): string[] {
  const lines: string[] = []
  const y = e.yardstick
  const yardstick = y ? `${y.reqPerSec === null ? 'not measured' : `${Math.round(y.reqPerSec)} req/s`} (${y.scenario})` : 'none'
  lines.push(`   SPEC §7 (${e.engine === 'postgres' ? 'budgets defined on PostgreSQL' : 'budgets defined on PostgreSQL; PGlite shown for comparison only'}), yardstick ${yardstick}`)
  if (e.loadAverage) {
    lines.push(`   load average (1/5/15 min): ${loadAvg(e.loadAverage.start)} at start, ${loadAvg(e.loadAverage.end)} at end of the ${e.engine} run`)
  }
  const ceiling = loadNamed(e, SCENARIO.barePage)
  const yardstickRate = yardstickOf(e)?.reqPerSec
  if (ceiling && yardstickRate) {
    lines.push(
      `   ceiling: a bare Fastify + pg process serving the same 20-record page answers ${Math.round(ceiling.reqPerSec)} req/s (${round((100 * ceiling.reqPerSec) / yardstickRate).toFixed(1)} % of the yardstick, p99 ${ceiling.latencyMs.p99} ms): no server returning that page can do better here`,
    )
  }
  lines.push(`   ${padEnd('scenario', 44)}${pad('req/s', 8)}${pad('% of yardstick', 16)}${pad('budget %', 10)}${pad('p99 ms', 8)}${pad('budget p99', 12)}  met?`)
  for (const r of e.section7) {
    const met = r.status === 'measured' ? (r.met ? 'yes' : 'NO') : r.status
    lines.push(
      `   ${padEnd(r.scenario, 44)}${pad(r.reqPerSec === null ? '—' : Math.round(r.reqPerSec), 8)}${pad(r.pctOfYardstick === null ? '—' : `${r.pctOfYardstick.toFixed(1)} %`, 16)}${pad(`≥ ${r.budgetPct} %`, 10)}${pad(r.p99Ms ?? '—', 8)}${pad(`≤ ${r.budgetP99Ms} ms`, 12)}  ${met}${r.note ? ` (${r.note})` : ''}`,
    )
  }
  return lines
}

/** The human-readable tables of the whole report: per engine, every scenario, the SPEC §7 table, the other checks. */
export function formatReport(report: BenchReport): string {
  const m = report.machine
  const lines = [`CareLocker bench — ${m.cpus} × ${m.cpuModel}, ${m.totalMemoryMb} MB RAM, Node ${m.node}, ${m.platform}/${m.arch}`]
  lines.push(`host load average (1/5/15 min): ${loadAvg(m.loadAverage.start)} at start, ${loadAvg(m.loadAverage.end)} at end`)
  const loads = report.engines.flatMap((e) => e.scenarios.flatMap((s) => (s.kind === 'load' ? [s.hostLoad1m] : [])))
  if (loads.some((l) => l > m.cpus)) {
    lines.push(`warning: the host was busy with other work (1-min load up to ${Math.max(...loads).toFixed(1)} on ${m.cpus} CPUs); numbers are noisy`)
  }
  for (const e of report.engines) {
    lines.push('', `== ${e.engine}${e.databaseVersion ? ` (${e.databaseVersion.split(' on ')[0]})` : ''}`)
    if (e.skipped) {
      lines.push(`   skipped: ${e.skipped}`)
      continue
    }
    if (e.yardstick) lines.push(`   yardstick: ${e.yardstick.what}`)
    const yardstick = yardstickOf(e)
    lines.push(
      `   ${padEnd('scenario', 44)}${pad('req/s', 9)}${pad('p50', 7)}${pad('p90', 7)}${pad('p99', 7)}${pad('max', 7)}${pad('err', 6)}${pad('non2xx', 8)}${pad('%yard', 7)}${pad('RSS+MB', 8)}${pad('load', 6)}${pad('cpu µs/req srv+db', 19)}`,
    )
    for (const s of e.scenarios) {
      if (s.kind !== 'load') continue
      const pct = yardstick ? `${round((100 * s.reqPerSec) / yardstick.reqPerSec, 0)}%` : '-'
      lines.push(
        `   ${padEnd(s.detail ? `${s.name} (${s.detail})` : s.name, 44)}${pad(Math.round(s.reqPerSec), 9)}${pad(s.latencyMs.p50, 7)}${pad(s.latencyMs.p90, 7)}${pad(s.latencyMs.p99, 7)}${pad(s.latencyMs.max, 7)}${pad(s.errors + s.timeouts, 6)}${pad(s.non2xx, 8)}${pad(pct, 7)}${pad(s.serverMemory.growthMb, 8)}${pad(s.hostLoad1m.toFixed(1), 6)}${pad(cpuCell(s), 19)}`,
      )
    }
    for (const s of e.scenarios) {
      if (s.kind === 'transfer') {
        lines.push(
          `   ${padEnd(`${s.name} ${round(s.bytes / MIB, 0)} MB${s.storage === 's3' ? ' on S3' : ''}`, 44)}${pad(`${s.mbPerSec} MB/s`, 12)}  in ${s.seconds} s, HTTP ${s.status}, server RSS ${s.serverMemory.baselineMb} → peak ${s.serverMemory.peakMb} MB (+${s.serverMemory.growthMb})`,
        )
      } else if (s.kind === 'jobs') {
        lines.push(`   ${padEnd(`${s.name} (${s.messages} emails)`, 44)}${pad(`${s.messagesPerSec} msg/s`, 12)}  in ${s.seconds} s; start latency ${s.startLatencyMs.samples.join(', ')} ms`)
      } else if (s.kind === 'apple-import') {
        const counts = s.imported ? `vitals ${s.imported.vitals}, skipped ${s.skipped}` : '-'
        lines.push(`   ${padEnd(s.name, 44)}${pad(`${s.seconds} s`, 12)}  ${s.mbPerSec} MiB/s, HTTP ${s.status}, RSS ${s.serverMemory.baselineMb} → ${s.serverMemory.peakMb} MB (+${s.serverMemory.growthMb}); ${counts}`)
      } else if (s.kind === 'import') {
        const counts = s.imported ? Object.entries(s.imported).map(([k, v]) => `${k} ${v}`).join(', ') : '-'
        lines.push(`   ${padEnd(s.name, 44)}${pad(`${s.seconds} s`, 12)}  HTTP ${s.status}, RSS +${s.serverMemory.growthMb} MB; ${counts}`)
      }
    }
    for (const f of e.scenarioErrors) lines.push(`   ! ${f.name} failed: ${f.error.split('\n')[0]}`)
    if (e.error) lines.push(`   ! engine run stopped: ${e.error.split('\n')[0]}`)
    lines.push('', ...formatSection7(e))
    if (e.checks.length > 0) {
      lines.push('', `   other checks${e.engine === 'postgres' ? '' : ' (comparison only)'}:`)
      for (const c of e.checks) lines.push(`     ${c.pass ? 'ok  ' : 'MISS'} ${padEnd(c.name, 56)} ${pad(c.actual, 10)}  (budget ${c.budget})`)
    }
  }
  return lines.join('\n')
}
