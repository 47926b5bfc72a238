/**
 * Apple Health export (`export.xml` or the export's `.zip`) → vitals and empty profile
 * fields (SPEC §9), streamed with a SAX parser so memory stays flat on a gigabyte file
 * (SPEC §7).
 */
import { UnsupportedMediaTypeError } from '../../../app/errors.js'
import type { Granted, PatientScope, UserActor } from '../../../policy/index.js'
import type { Transaction } from 'kysely'
import type { DB } from '../../../db/schema.js'
import type { SpooledImport } from '../import-upload.js'
import type { ImportResult } from '../import-result.js'

/** One run of an Apple Health import, inside the import's transaction (see `runImport`). */
export interface AppleHealthRun {
  actor: UserActor
  scope: Granted<PatientScope>
  db: Transaction<DB>
  file: SpooledImport
  now: Date
  confirmIdentity: boolean
}

/**
 * Streams `run.file` into the patient's locker inside `run.db`; returns the §4.4 counts.
 * Throws ConflictError `identity-mismatch` (409) as the FHIR import does, ValidationError
 * (400) for a malformed file (nothing imported: the caller's transaction rolls back).
 */
export async function importAppleHealthFile(run: AppleHealthRun): Promise<{ result: ImportResult; confirmed: boolean }> {
  void run
  throw new UnsupportedMediaTypeError('Apple Health import is not available yet.')
}
