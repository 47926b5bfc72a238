/**
 * The gate of "Whose record is it?" (SPEC §4.4) inside an import's transaction: reads the
 * locker's profile locked for update, compares it with the source's patient, and refuses a
 * mismatch that was not confirmed. Shared by every importer (FHIR, C-CDA, SHL, Apple Health).
 */
import type { Transaction } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'
import type { Granted, PatientScope } from '../../policy/index.js'
import { loadProfile } from '../profile/profile.service.js'
import { identityDifferences, type SourceIdentity } from './identity-check.js'

/**
 * Compares the grant's locker with `source` (see identity-check.ts). Throws ConflictError
 * 409 `identity-mismatch` with `differences: [{field, locker, source}]` when they differ and
 * `confirmIdentity` is false; returns true when they differ and the patient confirmed.
 * Locks the profile row (FOR UPDATE): the profile compared is the one the import fills.
 */
export async function checkImportIdentity(
  trx: Transaction<DB>,
  scope: Granted<PatientScope>,
  source: SourceIdentity,
  confirmIdentity: boolean,
): Promise<boolean> {
  const profile = await loadProfile(trx, scope, true)
  const differences = identityDifferences(profile, source)
  if (differences.length > 0 && !confirmIdentity) {
    throw new ConflictError(
      'The patient in this file does not look like the owner of this locker. Nothing was imported; check the differences, then import with ?confirm=identity if it is yours.',
      'identity-mismatch',
      { differences },
    )
  }
  return differences.length > 0
}
