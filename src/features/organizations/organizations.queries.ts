/** SQL of organizations (SPEC §10). No business rules here (STYLE §2). */
import { sql, type Insertable, type Kysely, type Transaction, type Updateable } from 'kysely'
import { ConflictError } from '../../app/errors.js'
import { containsPattern } from '../../db/like.js'
import type { DB, OrganizationsTable, OrganizationType } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

/** A second organization of the same name, whatever the case (`organizations_name_key` on lower(name)) → 409. */
async function uniqueName<T>(write: Promise<T>): Promise<T> {
  try {
    return await write
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ConflictError('An organization of this name exists already.', 'organization-name-taken')
    throw err
  }
}

export function insertOrganization(db: Db, row: Insertable<OrganizationsTable>) {
  return uniqueName(db.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow())
}

/** Updates the given columns; undefined when no such organization. */
export function updateOrganization(db: Db, id: string, set: Updateable<OrganizationsTable>) {
  return uniqueName(db.updateTable('organizations').set(set).where('id', '=', id).returningAll().executeTakeFirst())
}

export function findOrganization(db: Db, id: string) {
  return db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Organizations in case-insensitive name order, then id, after the keyset position; `limit` rows. */
export function listOrganizations(db: Db, f: { q?: string | undefined; type?: OrganizationType | undefined; after?: { nameKey: string; id: string } | undefined; limit: number }) {
  let q = db.selectFrom('organizations').selectAll().select(sql<string>`lower(name)`.as('nameKey'))
  if (f.q) q = q.where('name', 'ilike', containsPattern(f.q))
  if (f.type) q = q.where('type', '=', f.type)
  if (f.after) q = q.where(sql<boolean>`(lower(name), id) > (${f.after.nameKey}, ${f.after.id}::uuid)`)
  return q.orderBy(sql`lower(name)`).orderBy('id').limit(f.limit).execute()
}

/**
 * Sets a doctor's or pharmacist's organization and its name (`users.organization`, the copy the
 * `User` shape shows); returns the row, or undefined when `userId` is no doctor or pharmacist.
 */
export function setUserOrganization(db: Db, userId: string, org: { id: string; name: string } | null, now: Date) {
  return db
    .updateTable('users')
    .set({ organizationId: org?.id ?? null, organization: org?.name ?? null, updatedAt: now })
    .where('id', '=', userId)
    .where('role', 'in', ['doctor', 'pharmacist'])
    .returningAll()
    .executeTakeFirst()
}

/** Keeps the organization's name copied on its members in step after a rename. */
export async function renameOnMembers(db: Db, id: string, name: string): Promise<void> {
  await db.updateTable('users').set({ organization: name }).where('organizationId', '=', id).execute()
}

export function userRole(db: Db, userId: string) {
  return db.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst()
}
