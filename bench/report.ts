/**
 * The bench report: result shapes, the SPEC §7 budget checks (reported, never enforced),
 * the JSON file under bench/results/ and the compact table printed to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { EMERGENCY_SCENARIO } from './scenarios/emergency-view.js'

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
  /** The host's 1-minute load average when the scenario ended: other processes skew the numbers. */
  hostLoad1m: number
}

export interface TransferResult {
  kind: 'transfer'
  name: 'upload' | 'download'
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

export type ScenarioResult = LoadResult | TransferResult | ImportResult

export interface BudgetCheck {
  name: string
  budget: string
  actual: string
  pass: boolean
}

export interface EngineReport {
  engine: 'pglite' | 'postgres'
  databaseVersion?: string
  /** Why the engine did not run (e.g. no PostgreSQL server reachable). */
  skipped?: string
  /** A failure that stopped this engine's run part-way; the scenarios before it are kept. */
  error?: string
  scenarios: ScenarioResult[]
  /** Failures of single scenarios (the run goes on with the next one). */
  scenarioErrors: { name: string; error: string }[]
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
  select: 'yardstick: SELECT by pk',
  listLarge: 'records list, large patient',
  listLargePage2: 'records list, large, page 2',
  listSmall: 'records list, small patient',
} as const

/**
 * SPEC §7 budgets for one engine. They are defined on real PostgreSQL (2 cores, 50
 * connections); on PGlite the same checks are shown for comparison only.
 */
export function checkBudgets(e: EngineReport): BudgetCheck[] {
  const checks: BudgetCheck[] = []
  const select = loadNamed(e, SCENARIO.select)
  const list = loadNamed(e, SCENARIO.listLarge)
  const small = loadNamed(e, SCENARIO.listSmall)
  const emergency = loadNamed(e, EMERGENCY_SCENARIO)
  if (select && emergency) {
    const pct = (100 * emergency.reqPerSec) / select.reqPerSec
    checks.push({ name: 'emergency view vs one-SELECT yardstick', budget: '≥ 20 %', actual: `${round(pct)} %`, pass: pct >= 20 })
    checks.push({ name: 'emergency view p99', budget: '≤ 50 ms', actual: `${emergency.latencyMs.p99} ms`, pass: emergency.latencyMs.p99 <= 50 })
  }
  if (select && list) {
    const pct = (100 * list.reqPerSec) / select.reqPerSec
    checks.push({ name: 'record list vs one-SELECT yardstick', budget: '≥ 50 %', actual: `${round(pct)} %`, pass: pct >= 50 })
  }
  if (list) checks.push({ name: 'record list p99', budget: '≤ 20 ms', actual: `${list.latencyMs.p99} ms`, pass: list.latencyMs.p99 <= 20 })
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
      if (t.status !== expected) checks.push({ name: `${t.name}: HTTP status`, budget: String(expected), actual: String(t.status), pass: false })
      checks.push({ name: `${t.name}: server RSS growth`, budget: '≤ 64 MB', actual: `${t.serverMemory.growthMb} MB`, pass: t.serverMemory.growthMb <= 64 })
      if (t.sha256Matches !== undefined) {
        checks.push({ name: 'download sha256 = upload sha256', budget: 'equal', actual: t.sha256Matches ? 'equal' : 'DIFFERENT', pass: t.sha256Matches })
      }
    }
    if (t.kind === 'import') {
      checks.push({ name: `${t.name} wall time`, budget: '≤ 3 s', actual: `${t.seconds} s`, pass: t.status === 200 && t.seconds <= 3 })
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
const padEnd = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n))

/** A compact human-readable table of the whole report. */
export function formatReport(report: BenchReport): string {
  const m = report.machine
  const lines = [`CareLocker bench — ${m.cpus} × ${m.cpuModel}, ${m.totalMemoryMb} MB RAM, Node ${m.node}, ${m.platform}/${m.arch}`]
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
  lines.push(`host load average (1/5/15 min): ${load(m.loadAverage.start)} at start, ${load(m.loadAverage.end)} at end`)
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
    const select = loadNamed(e, SCENARIO.select)
    lines.push(
      `   ${padEnd('scenario', 44)}${pad('req/s', 9)}${pad('p50', 7)}${pad('p90', 7)}${pad('p99', 7)}${pad('max', 7)}${pad('err', 6)}${pad('non2xx', 8)}${pad('%sel', 7)}${pad('RSS+MB', 8)}${pad('load', 6)}`,
    )
    for (const s of e.scenarios) {
      if (s.kind !== 'load') continue
      const pct = select ? `${round((100 * s.reqPerSec) / select.reqPerSec, 0)}%` : '-'
      lines.push(
        `   ${padEnd(s.detail ? `${s.name} (${s.detail})` : s.name, 44)}${pad(Math.round(s.reqPerSec), 9)}${pad(s.latencyMs.p50, 7)}${pad(s.latencyMs.p90, 7)}${pad(s.latencyMs.p99, 7)}${pad(s.latencyMs.max, 7)}${pad(s.errors + s.timeouts, 6)}${pad(s.non2xx, 8)}${pad(pct, 7)}${pad(s.serverMemory.growthMb, 8)}${pad(s.hostLoad1m.toFixed(1), 6)}`,
      )
    }
    for (const s of e.scenarios) {
      if (s.kind === 'transfer') {
        lines.push(
          `   ${padEnd(`${s.name} ${round(s.bytes / MIB, 0)} MB`, 44)}${pad(`${s.mbPerSec} MB/s`, 12)}  in ${s.seconds} s, HTTP ${s.status}, server RSS ${s.serverMemory.baselineMb} → peak ${s.serverMemory.peakMb} MB (+${s.serverMemory.growthMb})`,
        )
      } else if (s.kind === 'import') {
        const counts = s.imported ? Object.entries(s.imported).map(([k, v]) => `${k} ${v}`).join(', ') : '-'
        lines.push(`   ${padEnd(s.name, 44)}${pad(`${s.seconds} s`, 12)}  HTTP ${s.status}, RSS +${s.serverMemory.growthMb} MB; ${counts}`)
      }
    }
    for (const f of e.scenarioErrors) lines.push(`   ! ${f.name} failed: ${f.error.split('\n')[0]}`)
    if (e.error) lines.push(`   ! engine run stopped: ${e.error.split('\n')[0]}`)
    if (e.checks.length > 0) {
      lines.push(`   budgets (SPEC §7${e.engine === 'postgres' ? '' : '; defined for PostgreSQL, shown for comparison'}):`)
      for (const c of e.checks) lines.push(`     ${c.pass ? 'ok  ' : 'MISS'} ${padEnd(c.name, 56)} ${pad(c.actual, 10)}  (budget ${c.budget})`)
    }
  }
  return lines.join('\n')
}
