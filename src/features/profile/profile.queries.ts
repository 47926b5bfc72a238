/** SQL of the patient profile. No business rules here (STYLE §2). */
import type { Kysely, Transaction } from 'kysely'
import { allColumns } from '../../db/columns.js'
import { precompiled } from '../../db/connection.js'
import { cacheTags, forgetLocally, readThrough } from '../../db/node-cache.js'
import type { DB, PatientProfilesTable, ProfileRow } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** The profile's read, compiled once: the emergency view and the pharmacy check run it on every request (SPEC §7). */
const PROFILE_COLUMNS = allColumns<PatientProfilesTable>()([
  'patientId', 'fullName', 'dateOfBirth', 'sex', 'bloodGroup', 'heightCm', 'organDonor', 'notes',
  'allergies', 'conditions', 'medications', 'emergencyContacts', 'emergencyCard', 'phone', 'updatedAt',
])
const profileQuery = precompiled((db, p: { patientId: string }) => db.selectFrom('patientProfiles').select(PROFILE_COLUMNS).where('patientId', '=', p.patientId))

/** The stored profile, locked for update when `forUpdate`. */
export async function findProfile(db: Db, patientId: string, forUpdate = false) {
  if (forUpdate) return db.selectFrom('patientProfiles').selectAll().where('patientId', '=', patientId).forUpdate().executeTakeFirst()
  // Node-cached (src/db/node-cache.ts): the emergency view and the prescriber's checks read it on every request.
  return readThrough(db, `profile:${patientId}`, async () => (await profileQuery(db, { patientId }))[0], () => [cacheTags.profile(patientId)])
}

/** The patient's account (name, creation time) if `patientId` is a patient. */
export function findPatientAccount(db: Db, patientId: string) {
  return db.selectFrom('users').select(['id', 'name', 'createdAt']).where('id', '=', patientId).where('role', '=', 'patient').executeTakeFirst()
}

/** Inserts or replaces the whole profile. */
export async function upsertProfile(db: Db, row: ProfileRow): Promise<ProfileRow> {
  const values = {
    ...row,
    allergies: JSON.stringify(row.allergies),
    conditions: JSON.stringify(row.conditions),
    medications: JSON.stringify(row.medications),
    emergencyContacts: JSON.stringify(row.emergencyContacts),
    emergencyCard: JSON.stringify(row.emergencyCard),
  }
  const { patientId: _pk, ...update } = values
  const saved = await db
    .insertInto('patientProfiles')
    .values(values)
    .onConflict((oc) => oc.column('patientId').doUpdateSet(update))
    .returningAll()
    .executeTakeFirstOrThrow()
  forgetLocally([cacheTags.profile(row.patientId)])
  return saved
}
