/** SQL of the doctor directory. No business rules here (STYLE §2). */
import { sql, type Kysely, type Transaction } from 'kysely'
import { containsPattern } from '../../db/like.js'
import type { DB } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export interface DirectoryFilter {
  /** Case-insensitive substring of name or specialty (matched literally). */
  q?: string | undefined
  /** Case-insensitive substring of the specialty (matched literally): `cardio` finds "Cardiology". */
  specialty?: string | undefined
  /** Only members of this organization (SPEC §10). */
  organizationId?: string | undefined
  /** Keyset: rows after this `(lower(name), id)`. */
  after?: { nameKey: string; id: string } | undefined
  /** Rows to fetch (the caller asks for one more than a page). */
  limit: number
}

/** Verified (active) doctors in case-insensitive name order, then id; never email or licence number. */
export function listActiveDoctors(db: Db, f: DirectoryFilter) {
  let q = db
    .selectFrom('users')
    .select(['id', 'name', 'specialty', 'organizationId', 'organization', sql<string>`lower(name)`.as('nameKey')])
    .where('role', '=', 'doctor')
    .where('status', '=', 'active')
  if (f.q) {
    const pattern = containsPattern(f.q)
    q = q.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('specialty', 'ilike', pattern)]))
  }
  if (f.specialty) q = q.where('specialty', 'ilike', containsPattern(f.specialty))
  if (f.organizationId) q = q.where('organizationId', '=', f.organizationId)
  if (f.after) q = q.where(sql<boolean>`(lower(name), id) > (${f.after.nameKey}, ${f.after.id}::uuid)`)
  return q.orderBy(sql`lower(name)`).orderBy('id').limit(f.limit).execute()
}

/** A verified (active) doctor by id, with the fields a consultation shows. */
export function findActiveDoctor(db: Db, id: string) {
  return db
    .selectFrom('users')
    .select(['id', 'name', 'specialty', 'organizationId', 'organization'])
    .where('id', '=', id)
    .where('role', '=', 'doctor')
    .where('status', '=', 'active')
    .executeTakeFirst()
}
