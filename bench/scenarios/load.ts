/** One HTTP load scenario through autocannon (programmatic API), against a child process (the product or the bare yardstick). */
import os from 'node:os'
import autocannon from 'autocannon'
import type { BenchOptions } from '../options.js'
import type { LoadResult } from '../report.js'
import type { LoadTarget } from '../server-process.js'
import { withServerMemory } from './memory.js'

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

  const { value: r, memory } = await withServerMemory(server, async () =>
    autocannon({
      url,
      title: spec.name,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 30,
      headers: spec.headers ?? {},
      ...(options.warmupSeconds > 0 ? { warmup: { connections: options.connections, duration: options.warmupSeconds } } : {}),
    }),
  )
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, Number(s.count)]))
  return {
    kind: 'load',
    name: spec.name,
    ...(spec.detail ? { detail: spec.detail } : {}),
    path: spec.path.replace(/cursor=[^&]+/, 'cursor=…'),
    connections: options.connections,
    durationSeconds: r.duration,
    requests: r.requests.total,
    reqPerSec: Math.round((r.requests.total / r.duration) * 10) / 10,
    latencyMs: { average: r.latency.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
    serverMemory: memory,
    hostLoad1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  }
}
