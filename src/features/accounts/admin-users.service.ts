/** Account administration (SPEC §4.1 admin): list, verify, disable, enable. */
import type { Deps } from '../../app/deps.js'
import { ConflictError, NotFoundError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { UserRow } from '../../db/schema.js'
import { authorize, type UserActor } from '../../policy/index.js'
import * as q from './accounts.queries.js'
import { toUserDto } from './accounts.schema.js'
import { userSessionsTag, VERIFIED_ROLES } from './accounts.service.js'

export interface UserListQuery {
  role?: string | undefined
  status?: string | undefined
  q?: string | undefined
  limit: number
  cursor?: string | undefined
}

/** Users newest first, filtered by role, status and a name/email search. */
export async function listUsers(deps: Deps, actor: UserActor, query: UserListQuery) {
  authorize(actor, 'user.list', { userId: actor.id })
  const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const rows = await q.listUsers(deps.db, {
    role: query.role,
    status: query.status,
    q: query.q,
    limit: query.limit,
    after: cursor && { createdAt: cursor[0], id: cursor[1] },
  })
  return toPage(rows, query.limit, (u) => [u.createdAt.toISOString(), u.id], toUserDto)
}

/**
 * What an account change is about in the audit log (SPEC §4.7): the account; a patient's
 * account is the patient's own business, so the event is in their log too.
 */
const accountTarget = (user: UserRow) => ({ patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } })

/**
 * Verifies a pending doctor or pharmacist (→ active). 409 unless the account is pending.
 * Audited as `user.verified` in the change's transaction (SPEC §4.7).
 */
export async function verifyUser(deps: Deps, actor: UserActor, userId: string): Promise<UserRow> {
  authorize(actor, 'user.verify', { userId })
  return deps.db.transaction().execute(async (trx) => {
    const now = deps.now()
    const updated = await q.transitionUserStatus(trx, userId, ['pending'], 'active', now, { verifiedAt: now })
    if (!updated) {
      if (!(await q.findUserById(trx, userId))) throw new NotFoundError('No such user.')
      throw new ConflictError('Only a pending account can be verified.', 'invalid-status-transition')
    }
    await deps.database.cache.invalidate(trx, [userSessionsTag(userId)])
    await deps.audit.record(trx, actor, 'user.verified', accountTarget(updated))
    return updated
  })
}

/**
 * Disables an account and ends all its sessions at once. 409 when already disabled.
 * Audited as `user.disabled` in the change's transaction (SPEC §4.7).
 */
export async function disableUser(deps: Deps, actor: UserActor, userId: string): Promise<UserRow> {
  if (actor.id === userId) throw new ConflictError('You cannot disable your own account.', 'cannot-disable-self')
  authorize(actor, 'user.disable', { userId })
  return deps.db.transaction().execute(async (trx) => {
    const updated = await q.transitionUserStatus(trx, userId, ['active', 'pending'], 'disabled', deps.now())
    if (!updated) {
      if (!(await q.findUserById(trx, userId))) throw new NotFoundError('No such user.')
      throw new ConflictError('This account is already disabled.', 'invalid-status-transition')
    }
    await q.revokeUserSessions(trx, userId, 'account-disabled', deps.now())
    await deps.database.cache.invalidate(trx, [userSessionsTag(userId)])
    await deps.audit.record(trx, actor, 'user.disabled', accountTarget(updated))
    return updated
  })
}

/**
 * Re-enables a disabled account (SPEC §4.1). It gets back `active`, except a doctor or
 * pharmacist who was never verified by an admin (no `verifiedAt`), who returns to
 * `pending` — disabling and enabling is no way around verification. Sessions ended by
 * the disable stay ended: the user signs in again. 404 for an unknown id, 409 when the
 * account is not disabled. Audited as `user.enabled` in the change's transaction (SPEC §4.7).
 */
export async function enableUser(deps: Deps, actor: UserActor, userId: string): Promise<UserRow> {
  authorize(actor, 'user.enable', { userId })
  return deps.db.transaction().execute(async (trx) => {
    const updated = await q.enableDisabledUser(trx, userId, VERIFIED_ROLES, deps.now())
    if (!updated) {
      if (!(await q.findUserById(trx, userId))) throw new NotFoundError('No such user.')
      throw new ConflictError('Only a disabled account can be enabled.', 'invalid-status-transition')
    }
    await deps.database.cache.invalidate(trx, [userSessionsTag(userId)])
    await deps.audit.record(trx, actor, 'user.enabled', accountTarget(updated))
    return updated
  })
}
