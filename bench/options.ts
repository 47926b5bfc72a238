/**
 * Bench settings from BENCH_* environment variables (the bench's only reader of
 * process.env). `BENCH_QUICK=1` shrinks every default for a smoke run; an explicit
 * variable still wins. A bad value stops the run with a message naming it.
 */
import { fileURLToPath } from 'node:url'
import { FIXTURES_DIR } from '../test/helpers/fixtures.js'

export type EngineName = 'pglite' | 'postgres'
export const SCENARIO_GROUPS = ['yardsticks', 'list', 'emergency', 'files', 'import', 'care', 'pharmacy', 'jobs', 'apple'] as const
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number]
/** The groups of a plain `npm run bench`: all of them (`apple`, a 1 GB import of some minutes, runs on PostgreSQL only unless named in BENCH_SCENARIOS; see run.ts). */
export const DEFAULT_GROUPS: readonly ScenarioGroup[] = SCENARIO_GROUPS

export interface BenchOptions {
  quick: boolean
  engines: EngineName[]
  /** Which scenario groups run (BENCH_SCENARIOS, default all). */
  scenarios: ScenarioGroup[]
  /** True when BENCH_SCENARIOS named the groups (then `apple` runs on every engine). */
  scenariosNamed: boolean
  /** Seconds of measured load per HTTP scenario, after `warmupSeconds` unmeasured. */
  durationSeconds: number
  warmupSeconds: number
  connections: number
  /** Records of the "large" patient (the small one always has `smallRecords`). */
  records: number
  smallRecords: number
  /** Vitals of the care-team patient (trends scenarios). */
  vitals: number
  uploadMb: number
  /** Size of the generated Apple Health export.xml (BENCH_APPLE_MB, MiB; SPEC §7's row is 1 GB). */
  appleMb: number
  /** Emails in the job-throughput burst (the `jobs` group). */
  jobs: number
  /** Admin URL of a PostgreSQL server; a fresh database is created on it and dropped after. */
  postgresAdminUrl: string
  fixturesDir: string
  /** When set, the child server runs with `--cpu-prof` and writes its profile into this directory. */
  cpuProfileDir: string | undefined
}

const DEFAULT_PG = 'postgres://postgres@127.0.0.1:5432/postgres'

/** Reads and validates the options; throws an Error naming each bad variable. */
export function readOptions(env: Record<string, string | undefined> = process.env): BenchOptions {
  const problems: string[] = []
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true'
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = env[name]
    if (raw === undefined || raw === '') return def
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: expected an integer ${min}–${max}, got "${raw}"`)
      return def
    }
    return n
  }
  const engines = (env.BENCH_ENGINES ?? 'pglite,postgres').split(',').map((e) => e.trim()).filter(Boolean)
  for (const e of engines) if (e !== 'pglite' && e !== 'postgres') problems.push(`BENCH_ENGINES: unknown engine "${e}"`)
  const groups = (env.BENCH_SCENARIOS ?? DEFAULT_GROUPS.join(',')).split(',').map((g) => g.trim()).filter(Boolean)
  for (const g of groups) if (!(SCENARIO_GROUPS as readonly string[]).includes(g)) problems.push(`BENCH_SCENARIOS: unknown group "${g}"`)
  const options: BenchOptions = {
    quick,
    engines: engines as EngineName[],
    scenarios: groups as ScenarioGroup[],
    scenariosNamed: env.BENCH_SCENARIOS !== undefined,
    durationSeconds: int('BENCH_DURATION', quick ? 2 : 10, 1, 300),
    warmupSeconds: int('BENCH_WARMUP', quick ? 1 : 2, 0, 60),
    connections: int('BENCH_CONNECTIONS', 50, 1, 1000),
    records: int('BENCH_RECORDS', quick ? 2_000 : 10_000, 1, 1_000_000),
    smallRecords: int('BENCH_SMALL_RECORDS', 100, 1, 1_000_000),
    vitals: int('BENCH_VITALS', 100_000, 1, 1_000_000),
    uploadMb: int('BENCH_UPLOAD_MB', quick ? 20 : 200, 1, 10_240),
    appleMb: int('BENCH_APPLE_MB', quick ? 64 : 1024, 1, 4096),
    jobs: int('BENCH_JOBS', quick ? 200 : 500, 1, 100_000),
    postgresAdminUrl: env.BENCH_DATABASE_URL || DEFAULT_PG,
    fixturesDir: env.BENCH_FIXTURES_DIR || FIXTURES_DIR,
    cpuProfileDir: env.BENCH_CPU_PROFILE === '1' ? fileURLToPath(new URL('./results/profiles/', import.meta.url)) : undefined,
  }
  if (!/^postgres(ql)?:\/\//.test(options.postgresAdminUrl)) problems.push('BENCH_DATABASE_URL: must be a postgres:// URL')
  if (problems.length > 0) throw new Error(`Invalid bench settings:\n  - ${problems.join('\n  - ')}`)
  return options
}
