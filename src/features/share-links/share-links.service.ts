/**
 * Share links (SPEC §4.5): a patient hands one record to someone with a link that expires,
 * can be revoked, may need a passcode and may allow only so many views. The link's token
 * (256 random bits) is shown once and stored only as a SHA-256 hash. Whoever presents it
 * acts as a `share` actor scoped to that one record — not as a bypass.
 */
import { addHours } from 'date-fns'
import type { Deps } from '../../app/deps.js'
import { GoneError, NotFoundError, UnauthorizedError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { ShareLinkRow } from '../../db/schema.js'
import { authorize, type RequestMeta, type ShareActor, type UserActor } from '../../policy/index.js'
import { hashPassword, verifyPassword } from '../accounts/passwords.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import { resolvePatientScope } from '../../policy/patient-scope.js'
import { openRecordContent, type ContentRequest, type RecordContent } from '../records/records-content.service.js'
import { getRecord } from '../records/records.service.js'
import type { RecordView } from '../records/records.schema.js'
import * as q from './share-links.queries.js'
import { MAX_PASSCODE_ATTEMPTS, shareStatus, toShareLinkDto, type CreateShareInput, type ShareLinkDto } from './share-links.schema.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'

/** Creates a link to one of the patient's records. 404 when the record is not the caller's to see; 403 for a treating doctor. */
export async function createShare(deps: Deps, actor: UserActor, pid: string, recordId: string, input: CreateShareInput) {
  await getRecord(deps, actor, pid, recordId)
  const scope = await resolvePatientScope(deps.db, actor, pid)
  authorize(actor, 'share.create', scope, 'record.read')
  const token = newOpaqueToken()
  const now = deps.now()
  const passcodeHash = input.passcode ? await hashPassword(input.passcode) : null
  const link = await deps.db.transaction().execute(async (trx) => {
    const row = await q.insertShareLink(trx, {
      patientId: scope.patientId,
      recordId,
      tokenHash: hashToken(token),
      passcodeHash,
      expiresAt: addHours(now, input.expiresInHours),
      maxViews: input.maxViews ?? null,
      createdAt: now,
    })
    await deps.audit.record(trx, actor, 'share.created', { patientId: scope.patientId, resource: { type: 'share', id: row.id } })
    return row
  })
  return { link, token, url: `${deps.config.publicUrl}/s/${token}` }
}

/**
 * The links of the caller's own locker, or with `patientId` those of a patient whose `manage`
 * caregiver the caller is (SPEC §10), newest first, with their status. 404 for a locker the
 * caller does not reach; 403 for a `read` caregiver. A caregiver's list is audited as `share.listed`.
 */
export async function listShares(deps: Deps, actor: UserActor, query: { limit: number; cursor?: string | undefined; patientId?: string | undefined }) {
  const scope = await resolvePatientScope(deps.db, actor, query.patientId ?? 'me')
  authorize(actor, 'share.list', scope)
  const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const rows = await q.listShareLinks(deps.db, scope.patientId, query.limit, cursor && { createdAt: cursor[0], id: cursor[1] })
  if (scope.patientId !== actor.id) {
    await deps.audit.recordRead(deps.db, actor, [{ action: 'share.listed', target: { patientId: scope.patientId, resource: { type: 'share-list', id: scope.patientId } } }])
  }
  const now = deps.now()
  return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], (r): ShareLinkDto => toShareLinkDto(r, now))
}

/**
 * Revokes a link (204), judged on the link's patient: the patient, or a `manage` caregiver of
 * theirs (SPEC §10). 404 when the caller does not reach that locker, or the link is unknown or
 * already revoked; 403 for a `read` caregiver.
 */
export async function revokeShare(deps: Deps, actor: UserActor, id: string): Promise<void> {
  const owner = await q.findShareLinkPatient(deps.db, id)
  if (!owner) throw new NotFoundError('Share link not found.')
  const scope = await resolvePatientScope(deps.db, actor, owner.patientId)
  authorize(actor, 'share.revoke', scope)
  await deps.db.transaction().execute(async (trx) => {
    const row = await q.revokeShareLink(trx, scope.patientId, id, deps.now())
    if (!row) throw new NotFoundError('Share link not found.')
    await deps.audit.record(trx, actor, 'share.revoked', { patientId: scope.patientId, resource: { type: 'share', id } })
  })
}

const GONE: Record<Exclude<ReturnType<typeof shareStatus>, 'active'>, [string, string]> = {
  expired: ['share-expired', 'This link has expired.'],
  revoked: ['share-revoked', 'This link was revoked by the patient.'],
  exhausted: ['share-exhausted', 'This link has been used as many times as the patient allowed.'],
  locked: ['share-locked', 'This link was locked after too many wrong passcodes.'],
}

type FoundLink = NonNullable<Awaited<ReturnType<typeof q.findShareLinkByTokenHash>>>

function assertUsable(link: FoundLink, now: Date): void {
  if (link.patientStatus === 'disabled') throw new GoneError('This link is not active.', 'share-inactive')
  const status = shareStatus(link, now)
  if (status !== 'active') throw new GoneError(GONE[status][1], GONE[status][0])
}

/** Writes `share.refused` for a refused attempt on a known link (SPEC §4.7), then rethrows. */
async function auditRefusal(deps: Deps, actor: ShareActor, err: unknown): Promise<never> {
  const refused = err instanceof GoneError || (err instanceof UnauthorizedError && err.code === 'wrong-passcode')
  if (refused) {
    await deps.db.transaction().execute((trx) =>
      deps.audit.record(trx, actor, 'share.refused', { patientId: actor.patientId, resource: { type: 'share', id: actor.shareId } }),
    )
  }
  throw err
}

/**
 * Opens a link as a `share` actor: 404 for an unknown token; 410 when expired, revoked,
 * exhausted, locked, or while the patient's account is disabled; with a passcode set, 401
 * `passcode-required` when none is given (not a failed try) and 401 `wrong-passcode` with
 * `remainingAttempts` when wrong. Each try is reserved atomically before it is checked, so
 * parallel guesses cannot exceed five; the fifth wrong one locks the link for good (SPEC
 * §4.5). Refusals on a known link are audited as `share.refused`.
 */
export async function openShare(deps: Deps, token: string, passcode: string | undefined, meta: RequestMeta): Promise<{ actor: ShareActor; link: ShareLinkRow }> {
  const link = await q.findShareLinkByTokenHash(deps.db, hashToken(token))
  if (!link) throw new NotFoundError('This share link does not exist.')
  const actor: ShareActor = { kind: 'share', shareId: link.id, recordId: link.recordId, patientId: link.patientId, meta }
  try {
    assertUsable(link, deps.now())
    if (link.passcodeHash !== null) await checkPasscode(deps, link.id, link.passcodeHash, passcode)
  } catch (err) {
    return auditRefusal(deps, actor, err)
  }
  return { actor, link }
}

async function checkPasscode(deps: Deps, linkId: string, passcodeHash: string, passcode: string | undefined): Promise<void> {
  if (!passcode) throw new UnauthorizedError('This link needs a passcode (header X-Share-Passcode).', 'passcode-required')
  const reserved = await q.reservePasscodeAttempt(deps.db, linkId, MAX_PASSCODE_ATTEMPTS)
  if (!reserved) throw new GoneError(GONE.locked[1], GONE.locked[0])
  if (await verifyPassword(passcodeHash, passcode)) {
    await q.releasePasscodeAttempt(deps.db, linkId)
    return
  }
  const remainingAttempts = Math.max(0, MAX_PASSCODE_ATTEMPTS - reserved.failedAttempts)
  throw new UnauthorizedError(
    remainingAttempts > 0 ? `Wrong passcode. ${remainingAttempts} tries left.` : 'Wrong passcode. The link is now locked.',
    'wrong-passcode',
    { remainingAttempts },
  )
}

/**
 * `GET /shared/{token}` → the record's metadata and the link's expiry. Audited as
 * `record.viewed` (by the records service) and `share.accessed`. Also what a `HEAD` of the
 * content gets: metadata for headers, no view counted, nothing decrypted (SPEC §4.5).
 */
export async function getSharedRecord(deps: Deps, token: string, passcode: string | undefined, meta: RequestMeta): Promise<{ record: RecordView; expiresAt: Date }> {
  const { actor, link } = await openShare(deps, token, passcode, meta)
  const record = await getRecord(deps, actor, actor.patientId, actor.recordId)
  await deps.db.transaction().execute((trx) =>
    deps.audit.record(trx, actor, 'share.accessed', { patientId: actor.patientId, resource: { type: 'share', id: link.id } }),
  )
  return { record, expiresAt: link.expiresAt }
}

/**
 * `GET /shared/{token}/content` → the bytes; a successful call is a view (SPEC §4.5). The
 * view is counted first, atomically (so `maxViews` can never be exceeded), and given back
 * when the download then fails; a link used up in the meantime is refused (410, audited as
 * `share.refused`) before anything is read. Audited as `record.downloaded` (by the records
 * service) and `share.accessed`; the patient's locker gets a `share.opened` notification.
 */
export async function openSharedContent(deps: Deps, token: string, passcode: string | undefined, meta: RequestMeta, req: ContentRequest): Promise<RecordContent> {
  const { actor, link } = await openShare(deps, token, passcode, meta)
  const counted = await q.countShareView(deps.db, link.id, deps.now(), MAX_PASSCODE_ATTEMPTS)
  if (!counted) {
    const fresh = await q.findShareLinkByTokenHash(deps.db, hashToken(token))
    return auditRefusal(deps, actor, new GoneError(fresh ? describeGone(fresh, deps.now()) : 'This link can no longer be used.', 'share-gone'))
  }
  try {
    const content = await openRecordContent(deps, actor, actor.patientId, actor.recordId, { range: req.range })
    await deps.db.transaction().execute(async (trx) => {
      await deps.audit.record(trx, actor, 'share.accessed', { patientId: actor.patientId, resource: { type: 'share', id: link.id } })
      // SPEC §10: each counted view tells the patient's locker (the metadata and HEAD requests do not).
      const recipients = await lockerRecipients(trx, actor.patientId)
      const data = { recordId: actor.recordId, openedAt: deps.now().toISOString() }
      await notifyUsers(trx, recipients.map((userId) => ({ userId, type: 'share.opened', patientId: actor.patientId, resource: { type: 'share', id: link.id }, data })))
    })
    return content
  } catch (err) {
    await q.uncountShareView(deps.db, link.id)
    throw err
  }
}

function describeGone(link: FoundLink, now: Date): string {
  const status = shareStatus(link, now)
  return status === 'active' ? 'This link can no longer be used.' : GONE[status][1]
}
