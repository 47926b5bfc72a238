/**
 * Apple Health export (`export.xml` or the export's `.zip`) → vitals and empty profile
 * fields (SPEC §9), streamed with a SAX parser so memory stays flat on a gigabyte file
 * (SPEC §7). Modules: apple-health-records.ts (what an element means), apple-health-xml.ts
 * (the streamed walk), apple-health-zip.ts (the entry inside the zip).
 */
import type { Readable } from 'node:stream'
import type { Transaction } from 'kysely'
import type { Granted, PatientScope, UserActor } from '../../../policy/index.js'
import type { DB } from '../../../db/schema.js'
import { applyImportedProfile } from '../../profile/profile.service.js'
import { addImportedVitals } from '../../vitals/vitals.service.js'
import { checkImportIdentity } from '../identity-gate.js'
import { readSpooled, type SpooledImport } from '../import-upload.js'
import type { ImportResult } from '../import-result.js'
import { walkAppleExport } from './apple-health-xml.js'
import { openExportXmlInZip } from './apple-health-zip.js'

/** One run of an Apple Health import, inside the import's transaction (see `runImport`). */
export interface AppleHealthRun {
  actor: UserActor
  scope: Granted<PatientScope>
  db: Transaction<DB>
  file: SpooledImport
  now: Date
  confirmIdentity: boolean
  /** The inflated size allowed for a zip's export.xml (MAX_IMPORT_ARCHIVE_MB, in bytes). */
  maxArchiveBytes: number
}

/** Vitals inserted per statement (and the most held in memory at once, plus one chunk's worth). */
export const APPLE_BATCH_SIZE = 500

/**
 * Streams `run.file` into the patient's locker inside `run.db`; returns the §4.4 counts
 * (vitals: readings added, a re-import adds 0; every other count 0) and `skipped` grouped by
 * Apple type and reason. `Me` is checked against the profile (SPEC §4.4: date of birth and
 * sex; Apple has no name) before anything is written, then fills the empty profile fields.
 * Throws ConflictError `identity-mismatch` (409) as the FHIR import does, ValidationError
 * (400) for a malformed file, PayloadTooLargeError (413) for a zip entry over
 * `maxArchiveBytes`; the caller's transaction then rolls back, so nothing is half-imported.
 */
export async function importAppleHealthFile(run: AppleHealthRun): Promise<{ result: ImportResult; confirmed: boolean }> {
  const { db: trx, scope } = run
  const patientId = scope.patientId
  let source: { stream: Readable; close(): void }
  if (run.file.kind === 'apple-health-zip') source = await openExportXmlInZip(run.file.path, run.maxArchiveBytes)
  else {
    const stream = readSpooled(run.file)
    source = { stream, close: () => stream.destroy() }
  }
  let confirmed = false
  let vitals = 0
  try {
    const skipped = await walkAppleExport(source.stream, {
      async me(demographics) {
        confirmed = await checkImportIdentity(trx, scope, demographics, run.confirmIdentity)
        await applyImportedProfile(trx, patientId, { demographics, allergies: [], conditions: [], medications: [] }, run.now)
      },
      async vitals(batch) {
        vitals += await addImportedVitals(trx, patientId, run.actor.id, batch, run.now)
      },
    }, { batchSize: APPLE_BATCH_SIZE })
    const result = { imported: { allergies: 0, conditions: 0, medications: 0, vitals, labs: 0, records: 0 }, skipped }
    return { result, confirmed }
  } finally {
    source.close()
  }
}
