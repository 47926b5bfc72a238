/**
 * IPC between the bench orchestrator (run.ts) and its two kinds of child process: the
 * product server (server.ts) and the bare yardstick (yardstick-server.ts). The parent sends
 * one request at a time with an id, the child answers with the same id.
 */

/** What the parent may ask the child server. */
export type ServerRequest =
  | { id: number; op: 'start'; env: Record<string, string> }
  | { id: number; op: 'info' }
  | { id: number; op: 'seed'; patientId: string; count: number }
  | { id: number; op: 'seed-care-team'; patientId: string; doctorId: string; vitals: number }
  | { id: number; op: 'emergency-writes'; patientId: string }
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
  /** The product's EMERGENCY_ALERT_COOLDOWN_MIN as loaded (the bench leaves it at its default). */
  emergencyAlertCooldownMinutes: number
}

/** Answer of `emergency-writes`: what the emergency views of one patient wrote so far. */
export interface EmergencyWrites {
  /** `emergency.accessed` audit events of the patient. */
  auditEvents: number
  /** Alert rounds claimed (each enqueues the patient's email and the contacts' SMS). */
  alertRounds: number
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
  'emergency-writes': EmergencyWrites
  'mark-memory': MemorySample
  'peak-memory': MemorySample
  stop: null
}

/** What the parent may ask the bare yardstick process (yardstick-server.ts). */
export type YardstickRequest =
  | { id: number; op: 'start'; databaseUrl: string; poolSize: number }
  | { id: number; op: 'mark-memory' }
  | { id: number; op: 'peak-memory' }
  | { id: number; op: 'stop' }

/** The yardstick's answer for each operation. */
export interface YardstickReplyOf {
  start: StartedServer
  'mark-memory': MemorySample
  'peak-memory': MemorySample
  stop: null
}
