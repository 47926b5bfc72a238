/**
 * Organizations (SPEC §10): hospitals, clinics, pharmacies and laboratories, managed by admins;
 * a doctor or pharmacist belongs to at most one — chosen at registration or set by an admin.
 * Names are unique whatever their case (409 `organization-name-taken`).
 *
 * The `User` shape shows `doctor.organization` / `pharmacist.organization` as `{id, name}`: the
 * name is copied on the account (`users.organization`, the column of the former free-text
 * field) whenever the organization is set, and renamed on every member in the rename's
 * transaction, so every place that maps an account row shows it without a join.
 *
 * Audit (SPEC §4.7, like other admin account changes): `organization.created`,
 * `organization.updated`, `user.organization_changed`, each in its change's transaction.
 */
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError, ValidationError } from '../../app/errors.js'
import { CursorId, decodeCursor, toPage } from '../../db/keyset.js'
import type { DB, UserRow } from '../../db/schema.js'
import { authorize, type UserActor } from '../../policy/index.js'
import * as q from './organizations.queries.js'
import { toOrganizationDto, type CreateOrganizationInput, type OrganizationDto, type OrganizationListInput, type UpdateOrganizationInput } from './organizations.schema.js'

const orgTarget = (id: string) => ({ patientId: null, resource: { type: 'organization', id } })

/** `POST /admin/organizations` → 201 Organization; 409 `organization-name-taken`. */
export function createOrganization(deps: Deps, actor: UserActor, input: CreateOrganizationInput): Promise<OrganizationDto> {
  authorize(actor, 'organization.manage', { id: actor.id })
  return deps.db.transaction().execute(async (trx) => {
    const now = deps.now()
    const row = await q.insertOrganization(trx, { name: input.name, type: input.type, address: input.address ?? null, phone: input.phone ?? null, createdAt: now, updatedAt: now })
    await deps.audit.record(trx, actor, 'organization.created', orgTarget(row.id))
    return toOrganizationDto(row)
  })
}

/** `PATCH /admin/organizations/{id}` (the fields given) → 200 Organization; 404 unknown id; 409 `organization-name-taken`. */
export function updateOrganization(deps: Deps, actor: UserActor, id: string, input: UpdateOrganizationInput): Promise<OrganizationDto> {
  authorize(actor, 'organization.manage', { id })
  return deps.db.transaction().execute(async (trx) => {
    const row = await q.updateOrganization(trx, id, { ...input, updatedAt: deps.now() })
    if (!row) throw new NotFoundError('No such organization.')
    if (input.name !== undefined) await q.renameOnMembers(trx, id, row.name)
    await deps.audit.record(trx, actor, 'organization.updated', orgTarget(id))
    return toOrganizationDto(row)
  })
}

/** The list's sort key `[lower(name), id]`. */
const OrganizationCursor = z.tuple([z.string().min(1).max(400).refine((v) => !v.includes('\u0000')), CursorId])

/** `GET /organizations?q&type&limit&cursor` → `{items, nextCursor}` by name (`q`: case-insensitive substring, literal). Any verified user. */
export async function listOrganizations(deps: Deps, actor: UserActor, query: OrganizationListInput): Promise<{ items: OrganizationDto[]; nextCursor: string | null }> {
  authorize(actor, 'organization.list', { id: actor.id })
  const cursor = query.cursor ? decodeCursor(query.cursor, OrganizationCursor) : undefined
  const rows = await q.listOrganizations(deps.db, { q: query.q, type: query.type, after: cursor && { nameKey: cursor[0], id: cursor[1] }, limit: query.limit + 1 })
  return toPage(rows, query.limit, (r) => [r.nameKey, r.id], toOrganizationDto)
}

/**
 * `PUT /admin/users/{id}/organization {organizationId | null}` → 200 User. 404 unknown
 * account; 409 `not-a-professional` for a patient or admin (only doctors and pharmacists
 * belong to one); 400 at `/organizationId` for an unknown organization.
 */
export function setUserOrganization(deps: Deps, actor: UserActor, userId: string, organizationId: string | null): Promise<UserRow> {
  authorize(actor, 'user.organization', { id: userId })
  return deps.db.transaction().execute(async (trx) => {
    const org = organizationId === null ? null : await organizationOf(trx, organizationId)
    const updated = await q.setUserOrganization(trx, userId, org, deps.now())
    if (!updated) {
      if (!(await q.userRole(trx, userId))) throw new NotFoundError('No such user.')
      throw new ConflictError('Only doctors and pharmacists belong to an organization.', 'not-a-professional')
    }
    await deps.audit.record(trx, actor, 'user.organization_changed', { patientId: null, resource: { type: 'user', id: userId } })
    return updated
  })
}

/**
 * The organization `id` as `{id, name}`, for registration and admin assignment; throws
 * ValidationError (400 at `/organizationId`) when there is none.
 */
export async function organizationOf(db: Kysely<DB> | Transaction<DB>, id: string): Promise<{ id: string; name: string }> {
  const org = await q.findOrganization(db, id)
  if (!org) throw new ValidationError('No such organization.', [{ path: '/organizationId', message: 'No organization has this id.' }])
  return { id: org.id, name: org.name }
}
