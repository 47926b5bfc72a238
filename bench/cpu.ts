/**
 * CPU time spent serving a scenario, read from Linux `/proc` (elsewhere: unknown). Unlike
 * req/s, CPU time per request hardly moves when other work shares the machine, so it tells
 * whether a change made a path cheaper even on a busy host (issue 11).
 *
 * `/proc/<pid>/stat` fields 14 and 15 are user and system time in clock ticks
 * (proc(5)); a PostgreSQL backend's command line is `postgres: … <user> <database> <client> …`.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** CPU time in µs of the process and of each PostgreSQL backend (by pid) of its database (undefined: not measurable here). */
export interface CpuSample {
  processMicros: number
  backendMicros: Map<number, number> | undefined
}

/**
 * CPU µs used between two samples: the process's, and the backends' (a backend that appeared
 * counts from zero; one that exited meanwhile is lost, which pooled connections rarely do).
 */
export function cpuUsedBetween(before: CpuSample, after: CpuSample): { processMicros: number; databaseMicros: number | undefined } {
  let databaseMicros: number | undefined
  if (before.backendMicros && after.backendMicros) {
    databaseMicros = 0
    for (const [pid, micros] of after.backendMicros) databaseMicros += Math.max(0, micros - (before.backendMicros.get(pid) ?? 0))
  }
  return { processMicros: after.processMicros - before.processMicros, databaseMicros }
}

let ticksPerSecond: number | undefined
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/** User + system CPU of `pid` in µs, or undefined when /proc cannot tell. */
function pidCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? (ticks / clockTicks()) * 1e6 : undefined
  } catch {
    return undefined
  }
}

/** CPU µs of each live PostgreSQL backend connected to `database` (a server on this host), by pid. */
function backendsCpuMicros(database: string): Map<number, number> | undefined {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return undefined
  }
  const byPid = new Map<number, number>()
  for (const pid of pids) {
    let cmdline: string
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (!cmdline.startsWith('postgres:') || !cmdline.split(' ').includes(database)) continue
    const micros = pidCpuMicros(Number(pid))
    if (micros !== undefined) byPid.set(Number(pid), micros)
  }
  return byPid
}

/**
 * A reader of the CPU used so far by process `pid` and, when `databaseUrl` names a
 * PostgreSQL database, by that database's backends on this host. Returns undefined
 * where /proc is missing.
 */
export function cpuReader(pid: number | undefined, databaseUrl?: string): () => CpuSample | undefined {
  const database = databaseUrl?.startsWith('postgres') ? decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) : undefined
  return () => {
    const processMicros = pid === undefined ? undefined : pidCpuMicros(pid)
    if (processMicros === undefined) return undefined
    return { processMicros, backendMicros: database === undefined ? undefined : backendsCpuMicros(database) }
  }
}
