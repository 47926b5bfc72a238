/**
 * Caregivers and dependents (SPEC §10 "Caregivers", §3 the caregiver rule, §4.7).
 *
 * - A patient invites someone by email (`read` or `manage`, optionally until `expiresAt`): one
 *   `caregivers` row in state `invited` holding the SHA-256 of a random token; the token
 *   reaches the invitee only in the emailed link (job `notify.caregiver-invitation`, sealed in
 *   the payload). The invitation can be accepted for 7 days.
 * - Accepting (`POST /caregiver-invitations/{token}/accept`) is one conditional UPDATE: the row
 *   becomes `active` with `caregiver_id`. Only a patient account may accept (the patient routes
 *   a caregiver uses serve the patient role; other roles get 403 `caregiver-requires-patient-account`).
 *   Unknown token 404; accepted already, revoked or expired 410; one's own invitation 409; a
 *   second active grant on the same patient 409.
 * - Revoking sets `revoked` at once: the scope (`resolvePatientScope`) asks for an active grant
 *   on every request, so the caregiver's next request is refused (404, as a stranger).
 * - A dependent is a patient account with no login (`is_dependent`, no password, a synthetic
 *   `dependent-<uuid>@dependents.invalid` address, RFC 2606) managed by its creator through a
 *   `manage` grant with no token.
 *
 * Audit (SPEC §4.7): `caregiver.invited`, `caregiver.revoked` (the patient), `caregiver.accepted`
 * and `dependent.created` (the caregiver on the patient's locker: actor kind `caregiver`).
 * In-app notifications: `caregiver.invited` to an account that has the invited address,
 * `caregiver.accepted` to the patient.
 */
import { randomUUID } from 'node:crypto'
import { addDays } from 'date-fns'
import type { Transaction } from 'kysely'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import { ConflictError, ForbiddenError, GoneError, NotFoundError, ValidationError } from '../../app/errors.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { DB } from '../../db/schema.js'
import { sealJobSecret } from '../../jobs/job-secrets.js'
import { authorize, can, type UserActor } from '../../policy/index.js'
import { resolvePatientScope } from '../../policy/patient-scope.js'
import { notifyUsers } from '../in-app-notifications/notify.js'
import * as q from './caregivers.queries.js'
import {
  INVITATION_DAYS,
  toCaregiverDto,
  toManagedPatientDto,
  type CaregiverDto,
  type CreateDependentInput,
  type InviteCaregiverInput,
  type ManagedPatientDto,
} from './caregivers.schema.js'

/** The signed-in patient's own scope, authorized for `caregiver.manage` (404 for anyone else). */
async function ownScope(deps: Deps, actor: UserActor, action: 'caregiver.manage' | 'dependent.create') {
  const scope = await resolvePatientScope(deps.db, actor, 'me')
  authorize(actor, action, scope)
  return scope
}

/**
 * `POST /patients/me/caregivers`: invites `email` at `access` (SPEC §10). 403
 * `email-not-verified` while the inviter's own address is unverified (SPEC §8: an invitation
 * emails someone, so only a verified sender may send one); 409 `cannot-invite-yourself` for
 * one's own address; 400 when `expiresAt` is not in the future. The route limits a patient to
 * `CAREGIVER_INVITATIONS_PER_HOUR` invitations (429).
 * Returns the new invitation (status `invited`).
 */
export async function inviteCaregiver(deps: Deps, actor: UserActor, input: InviteCaregiverInput): Promise<CaregiverDto> {
  const scope = await ownScope(deps, actor, 'caregiver.manage')
  if (!(await q.isEmailVerified(deps.db, actor.id))) {
    throw new ForbiddenError('Verify your email address before inviting a caregiver.', 'email-not-verified')
  }
  const now = deps.now()
  const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt)
  if (expiresAt && expiresAt <= now) throw new ValidationError('The end of the access must be in the future.', [{ path: '/expiresAt', message: 'Must be in the future.' }])
  const self = await q.findAccountIdByEmail(deps.db, input.email)
  if (self === actor.id) throw new ConflictError('You cannot invite yourself: your locker is already yours.', 'cannot-invite-yourself')
  const token = newOpaqueToken()
  const row = await deps.db.transaction().execute(async (trx) => {
    const created = await q.insertCaregiver(trx, {
      patientId: scope.patientId,
      email: input.email,
      access: input.access,
      status: 'invited',
      invitationTokenHash: hashToken(token),
      invitationExpiresAt: addDays(now, INVITATION_DAYS),
      expiresAt,
      invitedBy: actor.id,
      createdAt: now,
    })
    await deps.audit.record(trx, actor, 'caregiver.invited', { patientId: scope.patientId, resource: { type: 'caregiver', id: created.id } })
    await deps.jobs.send(trx, 'notify.caregiver-invitation', { invitationId: created.id, sealedToken: sealJobSecret(deps.config.masterKey, token) })
    if (self !== undefined) {
      await notifyUsers(trx, [{ userId: self, type: 'caregiver.invited', resource: { type: 'caregiver', id: created.id }, data: { patientName: actor.name, access: input.access } }])
    }
    return created
  })
  return toCaregiverDto(row, now)
}

/** `GET /patients/me/caregivers`: the patient's invitations and grants, newest first (SPEC §2 list shape). 400 for a bad cursor. */
export async function listCaregivers(deps: Deps, actor: UserActor, query: { limit: number; cursor?: string | undefined }) {
  const scope = await ownScope(deps, actor, 'caregiver.manage')
  const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const rows = await q.listCaregivers(deps.db, scope.patientId, query.limit, cursor && { createdAt: cursor[0], id: cursor[1] })
  const now = deps.now()
  return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], (r) => toCaregiverDto(r, now))
}

/** `DELETE /patients/me/caregivers/{id}`: revokes an invitation or grant, effective at once. 404 when not the patient's or already revoked. */
export async function revokeCaregiver(deps: Deps, actor: UserActor, id: string): Promise<void> {
  const scope = await ownScope(deps, actor, 'caregiver.manage')
  await deps.db.transaction().execute(async (trx) => {
    const row = await q.revokeCaregiver(trx, scope.patientId, id, deps.now())
    if (!row) throw new NotFoundError('Caregiver not found.')
    await deps.audit.record(trx, actor, 'caregiver.revoked', { patientId: scope.patientId, resource: { type: 'caregiver', id } })
  })
}

/**
 * `POST /caregiver-invitations/{token}/accept` (see the module comment for the errors).
 * Returns the grant as the patient's list shows it.
 */
export async function acceptInvitation(deps: Deps, actor: UserActor, token: string): Promise<CaregiverDto> {
  if (actor.role !== 'patient') {
    throw new ForbiddenError('Only a patient account can be a caregiver: sign in with (or create) a patient account to accept this invitation.', 'caregiver-requires-patient-account')
  }
  const invitation = await q.findInvitationByTokenHash(deps.db, hashToken(token))
  if (!invitation) throw new NotFoundError('This invitation does not exist.')
  if (invitation.patientId === actor.id) throw new ConflictError('This is your own invitation: someone else must accept it.', 'own-invitation')
  if (!can(actor, 'caregiver.accept', invitation)) throw new ForbiddenError()
  const now = deps.now()
  const gone = () => new GoneError('This invitation was already used, revoked or has expired. Ask the patient for a new one.', 'invitation-gone')
  if (invitation.status !== 'invited' || (invitation.invitationExpiresAt !== null && invitation.invitationExpiresAt <= now)) throw gone()
  const row = await deps.db.transaction().execute(async (trx) => {
    const accepted = await q.acceptInvitation(trx, invitation.id, actor.id, now)
    if (accepted === 'already-caregiver') throw new ConflictError("You are already a caregiver of this patient.", 'already-caregiver')
    if (!accepted) throw gone()
    await deps.audit.record(trx, actor, 'caregiver.accepted', { patientId: accepted.patientId, resource: { type: 'caregiver', id: accepted.id } })
    await notifyUsers(trx, [
      { userId: accepted.patientId, type: 'caregiver.accepted', patientId: accepted.patientId, resource: { type: 'caregiver', id: accepted.id }, data: { caregiverName: actor.name, access: accepted.access } },
    ])
    return accepted
  })
  return toCaregiverDto({ ...row, caregiverName: actor.name }, now)
}

/** `GET /me/patients`: the lockers the signed-in patient acts on as a caregiver now (active, unexpired grants). */
export async function listManagedPatients(deps: Deps, actor: UserActor): Promise<{ items: ManagedPatientDto[] }> {
  const rows = await q.listManagedPatients(deps.db, actor.id)
  return { items: rows.map(toManagedPatientDto) }
}

/**
 * `POST /patients/me/dependents`: a patient with no login of its own, managed by the caller
 * (SPEC §10). 400 for a birth date in the future. Audited `dependent.created` on the new
 * locker (actor kind `caregiver`).
 */
export async function createDependent(deps: Deps, actor: UserActor, input: CreateDependentInput) {
  await ownScope(deps, actor, 'dependent.create')
  const now = deps.now()
  if (input.dateOfBirth > utcDate(now)) throw new ValidationError('The date of birth is in the future.', [{ path: '/dateOfBirth', message: 'Must not be in the future.' }])
  const creator = await q.findUserEmail(deps.db, actor.id)
  return deps.db.transaction().execute(async (trx) => {
    const dependent = await q.insertDependent(trx, { email: `dependent-${randomUUID()}@dependents.invalid`, fullName: input.fullName, dateOfBirth: input.dateOfBirth, now })
    const grant = await q.insertCaregiver(trx, {
      patientId: dependent.id,
      caregiverId: actor.id,
      email: creator ?? '',
      access: 'manage',
      status: 'active',
      invitationTokenHash: null,
      invitationExpiresAt: null,
      expiresAt: null,
      invitedBy: actor.id,
      createdAt: now,
      acceptedAt: now,
    })
    await deps.audit.record(trx, actor, 'dependent.created', { patientId: dependent.id, resource: { type: 'patient', id: dependent.id } })
    return { ...toManagedPatientDto({ patientId: dependent.id, name: dependent.name, access: grant.access, isDependent: true, expiresAt: null }), dateOfBirth: input.dateOfBirth }
  })
}

/**
 * The erasure step of caregivers (SPEC §9, §10): the erased patient's invitations and grants
 * go, both directions — nobody acts on the erased locker any more, and the erased account acts
 * on nobody's. The dependents only this patient managed are erased by the erasure itself
 * (`dependentsToErase`, run before this step).
 */
/**
 * The dependents erased with `patientId`'s locker (SPEC §9, §10): those the patient manages
 * and no other account manages (no other active `manage` grant in force). A dependent someone
 * else also manages keeps its locker. Read inside the erasure's transaction, before
 * `eraseCaregivers` deletes the grants.
 */
export function dependentsToErase(trx: Transaction<DB>, deps: Deps, patientId: string): Promise<string[]> {
  return q.findDependentsManagedOnlyBy(trx, patientId, deps.now())
}

export async function eraseCaregivers(trx: Transaction<DB>, _deps: Deps, patientId: string): Promise<void> {
  await q.deleteCaregiverRowsOf(trx, patientId)
}
