/**
 * How many imports run at once (security review M2): one per patient (409
 * `import-in-progress`), and at most MAX_STREAMED_IMPORTS Apple Health exports per process,
 * each of which holds a database connection for its whole streamed transaction (503 with
 * `Retry-After` above; the pool has 10 connections). The per-patient claim here only covers
 * this process: the import's transaction also takes `tryLockPatientImport` (an advisory
 * lock) for other nodes.
 */
import { AppError, ConflictError } from '../../app/errors.js'

/** Apple Health imports streamed at once by one process (below the pool size, 10). */
export const MAX_STREAMED_IMPORTS = 2
/** Seconds a client is asked to wait when every streamed-import slot is taken. */
export const STREAMED_IMPORT_RETRY_SECONDS = 30

const running = new Set<string>()
let streamed = 0

/** The 409 of a second import into a locker whose import is still running. */
export const importInProgress = () =>
  new ConflictError('Another import into this locker is still running; try again when it has finished.', 'import-in-progress')

/** Claims `patientId`'s import in this process; returns its release (idempotent). Throws 409 `import-in-progress`. */
export function claimPatientImport(patientId: string): () => void {
  if (running.has(patientId)) throw importInProgress()
  running.add(patientId)
  let released = false
  return () => {
    if (!released) running.delete(patientId)
    released = true
  }
}

/** Claims one of the process's streamed-import slots; returns its release (idempotent). Throws 503 with `Retry-After`. */
export function claimStreamedImportSlot(): () => void {
  if (streamed >= MAX_STREAMED_IMPORTS) {
    throw new AppError(503, 'imports-busy', 'Service unavailable', 'Too many Apple Health imports are running on this server; try again shortly.', {
      headers: { 'Retry-After': String(STREAMED_IMPORT_RETRY_SECONDS) },
    })
  }
  streamed += 1
  let released = false
  return () => {
    if (!released) streamed -= 1
    released = true
  }
}
