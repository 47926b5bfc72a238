/** One HTTP load scenario through autocannon (programmatic API), against a child process (the product or the bare yardstick). */
import os from 'node:os'
import autocannon from 'autocannon'
import type { BenchOptions } from '../options.js'
import type { LoadResult } from '../report.js'
import type { LoadTarget } from '../server-process.js'
import { withServerMemory } from './memory.js'
import { cpuUsedBetween, type CpuSample } from '../cpu.js'

/** µs of CPU per completed request, in the server process and in its database's backends. */
function cpuPerRequest(before: CpuSample, after: CpuSample, requests: number): { server: number; database: number | null } {
  const used = cpuUsedBetween(before, after)
  return { server: Math.round(used.processMicros / requests), database: used.databaseMicros === undefined ? null : Math.round(used.databaseMicros / requests) }
}

/**
 * The measured part of an autocannon run as the report keeps it: req/s = completed requests ÷
 * measured seconds (1 decimal), latencies in ms, and the count of each status code.
 */
export function autocannonStats(r: autocannon.Result, connections: number) {
  return {
    connections,
    durationSeconds: r.duration,
    requests: r.requests.total,
    reqPerSec: Math.round((r.requests.total / r.duration) * 10) / 10,
    latencyMs: { average: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, Number(s.count)])),
  }
}

/** The host's 1-minute load average (2 decimals), reported beside each run. */
export const hostLoad1m = () => Math.round((os.loadavg()[0] ?? 0) * 100) / 100

export interface LoadSpec {
  name: string
  detail?: string
  /** Path and query, e.g. `/api/v1/patients/me/records?limit=20`. */
  path: string
  headers?: Record<string, string>
}

/**
 * Checks that one request to `spec.path` answers 2xx (a misconfigured scenario fails
 * fast with the server's answer instead of measuring 10 s of 401s), then runs
 * `options.connections` connections for a warm-up and `options.durationSeconds` measured
 * seconds. req/s is completed requests ÷ measured seconds; latencies are in ms.
 */
export async function runLoad(server: LoadTarget, options: BenchOptions, spec: LoadSpec): Promise<LoadResult> {
  const url = `${server.baseUrl}${spec.path}`
  const probe = await fetch(url, { headers: spec.headers ?? {}, signal: AbortSignal.timeout(30_000) })
  const probeBody = await probe.text()
  if (!probe.ok) throw new Error(`GET ${spec.path} → ${probe.status}: ${probeBody.slice(0, 300)}`)

  const run = (duration: number) =>
    autocannon({ url, title: spec.name, connections: options.connections, duration, timeout: 30, headers: spec.headers ?? {} })
  // The warm-up is a run of its own, so the CPU read around the measured run is that run's alone.
  if (options.warmupSeconds > 0) await run(options.warmupSeconds)
  let cpuBefore: CpuSample | undefined
  const { value: r, memory } = await withServerMemory(server, async () => {
    cpuBefore = server.cpu()
    return run(options.durationSeconds)
  })
  const cpuAfter = server.cpu()
  return {
    kind: 'load',
    name: spec.name,
    ...(spec.detail ? { detail: spec.detail } : {}),
    path: spec.path.replace(/cursor=[^&]+/, 'cursor=…'),
    ...autocannonStats(r, options.connections),
    serverMemory: memory,
    ...(cpuBefore && cpuAfter && r.requests.total > 0 ? { cpuMicrosPerRequest: cpuPerRequest(cpuBefore, cpuAfter, r.requests.total) } : {}),
    hostLoad1m: hostLoad1m(),
  }
}
