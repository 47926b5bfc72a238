/**
 * The `encounterId` that notes, vitals and prescriptions may carry (SPEC §10): a check other
 * features call inside their write's transaction. Kept apart from encounters.service.ts, which
 * reads those features for a visit's detail, so the imports stay one-way.
 */
import type { Kysely, Transaction } from 'kysely'
import { ConflictError, NotFoundError } from '../../app/errors.js'
import type { DB } from '../../db/schema.js'
import type { Granted, PatientScope } from '../../policy/index.js'
import { findEncounterParties } from './encounters.queries.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Returns `encounterId` (or null when none is given) after checking it names a visit of the
 * granted patient — and, with `doctorId`, one that doctor recorded (notes and prescriptions
 * are the doctor's own acts). Throws NotFoundError (404) for an unknown id or another
 * patient's visit (not yours: absent, SPEC §2), ConflictError 409 `encounter-mismatch` for a
 * visit of this patient recorded by another doctor.
 */
export async function checkEncounterLink(db: Db, patient: Granted<PatientScope>, encounterId: string | undefined, doctorId?: string): Promise<string | null> {
  if (encounterId === undefined) return null
  const e = await findEncounterParties(db, encounterId)
  if (!e || e.patientId !== patient.patientId) throw new NotFoundError('No such visit of this patient.')
  if (doctorId !== undefined && e.doctorId !== doctorId) {
    throw new ConflictError('This visit was recorded by another doctor: link your own visit, or none.', 'encounter-mismatch')
  }
  return e.id
}
