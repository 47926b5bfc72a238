/**
 * IPC between the bench orchestrator (run.ts) and the child server (server.ts): the parent
 * sends one request at a time with an id, the child answers with the same id.
 */

/** What the parent may ask the child server. */
export type ServerRequest =
  | { id: number; op: 'start'; env: Record<string, string> }
  | { id: number; op: 'info' }
  | { id: number; op: 'seed'; patientId: string; count: number }
  | { id: number; op: 'seed-care-team'; patientId: string; doctorId: string; vitals: number }
  | { id: number; op: 'mark-memory' }
  | { id: number; op: 'peak-memory' }
  | { id: number; op: 'stop' }

export type ServerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }

/** Answer of `start`. */
export interface StartedServer {
  port: number
}

/** Answer of `info`. */
export interface ServerInfo {
  engine: 'pglite' | 'postgres'
  /** `SELECT version()` of the database the app talks to. */
  databaseVersion: string
  pid: number
}

/** Answer of `mark-memory` (baseline after a GC when available) and `peak-memory`, in bytes. */
export interface MemorySample {
  rssBytes: number
  /** Highest RSS since the last mark: the max of 20 ms samples and, on Linux, the kernel's VmHWM. */
  peakRssBytes: number
}

/** The answer's type for each operation. */
export interface ReplyOf {
  start: StartedServer
  info: ServerInfo
  seed: number
  /** Vitals inserted. */
  'seed-care-team': number
  'mark-memory': MemorySample
  'peak-memory': MemorySample
  stop: null
}
