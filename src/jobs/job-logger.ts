/**
 * A logger for the job workers when no pino instance is handed in: one JSON line per
 * event in pino's shape (`level`, `time`, `pid`, `hostname`, `msg`), so it reads like the
 * HTTP log. It writes to stderr, so a CLI that composes the dependencies keeps stdout
 * for its own output. Callers log ids and counts only (SPEC §6).
 */
import os from 'node:os'
import type { JobLogger } from './job-queue.js'

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity }

/** `level` is a pino level name (`LOG_LEVEL`); `silent` writes nothing. */
export function createJobLogger(level: string, write: (line: string) => void = (l) => void process.stderr.write(l)): JobLogger {
  const min = LEVELS[level] ?? LEVELS.info ?? 30
  const hostname = os.hostname()
  const emit = (lvl: number) => (obj: object, msg: string) => {
    if (lvl < min) return
    write(`${JSON.stringify({ level: lvl, time: Date.now(), pid: process.pid, hostname, ...obj, msg })}\n`)
  }
  return { info: emit(30), warn: emit(40), error: emit(50) }
}
