/**
 * Parent side of the bench's child processes: the product server (server.ts) and the bare
 * yardstick (yardstick-server.ts). Forks each under tsx, starts it, and exposes its IPC
 * operations as promises.
 */
import { cpuReader, type CpuSample } from './cpu.js'
import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EmergencyWrites, MemorySample, ReplyOf, ServerInfo, ServerReply, ServerRequest, YardstickReplyOf, YardstickRequest } from './protocol.js'

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
const ROOT_DIR = path.dirname(BENCH_DIR)

/** What a load scenario needs of the process it loads: its URL and its memory marks. */
export interface LoadTarget {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  /** Runs a GC in the process and resets its peak-RSS tracking; returns the baseline. */
  markMemory(): Promise<MemorySample>
  /** Current and peak RSS of the process since the last mark. */
  peakMemory(): Promise<MemorySample>
  /** CPU used so far by the process and its database's backends (bench/cpu.ts); undefined off Linux. */
  cpu(): CpuSample | undefined
}

export interface BenchServer extends LoadTarget {
  info: ServerInfo
  /** Inserts `count` records for the patient straight into the database (seed.ts). */
  seed(patientId: string, count: number): Promise<number>
  /** Verifies the doctor, approves a consultation with the patient, and inserts `vitals` vitals for the patient (seed.ts). */
  seedCareTeam(patientId: string, doctorId: string, vitals: number): Promise<number>
  /** `emergency.accessed` audit events and alert rounds of the patient so far. */
  emergencyWrites(patientId: string): Promise<EmergencyWrites>
  /** Closes the app and its database, then waits for the process to exit (kills it after 15 s). */
  stop(): Promise<void>
}

/**
 * Forks bench/server.ts (with `--expose-gc` so memory baselines are taken after a GC, and
 * `--cpu-prof` when `cpuProfileDir` is given), starts the app with `env` given to
 * loadConfig, and resolves once it listens. Rejects (and kills the child) if the start
 * fails or takes longer than `startTimeoutMs` (default 120 s).
 */
export async function startBenchServer(
  env: Record<string, string>,
  opts: { cpuProfileDir?: string | undefined; startTimeoutMs?: number } = {},
): Promise<BenchServer> {
  const profile = opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []
  const child = fork(path.join(BENCH_DIR, 'server.ts'), [], {
    cwd: ROOT_DIR,
    execArgv: ['--import', 'tsx', '--expose-gc', ...profile],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const call = createCaller<ServerRequest, ReplyOf>(child)
  try {
    const started = await withTimeout(call('start', { env }), opts.startTimeoutMs ?? 120_000, 'the bench server did not start')
    const info = await call('info', {})
    return {
      baseUrl: `http://127.0.0.1:${started.port}`,
      info,
      seed: (patientId, count) => call('seed', { patientId, count }),
      seedCareTeam: (patientId, doctorId, vitals) => call('seed-care-team', { patientId, doctorId, vitals }),
      emergencyWrites: (patientId) => call('emergency-writes', { patientId }),
      ...childControls(child, (op) => call(op, {}), env.DATABASE_URL),
    }
  } catch (err) {
    await stopProcess(child)
    throw err
  }
}

export interface YardstickServer extends LoadTarget {
  /** Ends the pool and the server, then waits for the process to exit (kills it after 15 s). */
  stop(): Promise<void>
}

/**
 * Forks bench/yardstick-server.ts (the bare Fastify + pg yardstick of SPEC §7, a process of
 * its own) and starts it on `databaseUrl` with a pool of `poolSize` connections; resolves
 * once it listens. Rejects (and kills the child) if the start fails or takes over 60 s.
 */
export async function startYardstickServer(databaseUrl: string, poolSize: number): Promise<YardstickServer> {
  const child = fork(path.join(BENCH_DIR, 'yardstick-server.ts'), [], {
    cwd: ROOT_DIR,
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const call = createCaller<YardstickRequest, YardstickReplyOf>(child)
  try {
    const started = await withTimeout(call('start', { databaseUrl, poolSize }), 60_000, 'the yardstick server did not start')
    return {
      baseUrl: `http://127.0.0.1:${started.port}`,
      ...childControls(child, (op) => call(op, {}), databaseUrl),
    }
  } catch (err) {
    await stopProcess(child)
    throw err
  }
}

/** An IPC call of an operation every bench child answers alike (protocol.ts: a MemorySample, or null for `stop`). */
type CommonCall = (op: 'mark-memory' | 'peak-memory' | 'stop') => Promise<MemorySample | null>

/**
 * What the parent does with any bench child: memory marks, CPU readings (of the process and
 * of `databaseUrl`'s backends) and the stop: ask it to close, then disconnect (killed after 15 s).
 */
function childControls(child: ChildProcess, call: CommonCall, databaseUrl: string | undefined): Omit<LoadTarget, 'baseUrl'> & { stop(): Promise<void> } {
  return {
    markMemory: () => call('mark-memory') as Promise<MemorySample>,
    peakMemory: () => call('peak-memory') as Promise<MemorySample>,
    cpu: cpuReader(child.pid, databaseUrl),
    stop: async () => {
      await withTimeout(call('stop'), 15_000, 'stop').catch(() => undefined)
      await stopProcess(child)
    },
  }
}

/** IPC calls to `child`: one id per request, the reply with the same id settles it. */
function createCaller<Req extends { id: number; op: string }, Replies extends { [O in Req['op']]: unknown }>(child: ChildProcess) {
  type Op = Req['op']
  type ArgsOf<O extends Op> = Omit<Extract<Req, { op: O }>, 'id' | 'op'>
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  child.on('message', (reply: ServerReply) => {
    const waiter = pending.get(reply.id)
    if (!waiter) return
    pending.delete(reply.id)
    if (reply.ok) waiter.resolve(reply.value)
    else waiter.reject(new Error(`bench server: ${reply.error}`))
  })
  child.on('exit', (code, signal) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`bench server exited (code ${code}, signal ${signal})`))
    pending.clear()
  })
  return <O extends Op>(op: O, args: ArgsOf<O>): Promise<Replies[O]> =>
    new Promise<Replies[O]>((resolve, reject) => {
      if (!child.connected) return reject(new Error('bench server is not running'))
      const id = nextId++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      child.send({ id, op, ...args } as unknown as Req)
    })
}

/** Disconnects IPC (the child then exits by itself) and kills it by pid if it lingers. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  if (child.connected) child.disconnect()
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  await exited
  clearTimeout(timer)
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (timeout after ${ms} ms)`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
