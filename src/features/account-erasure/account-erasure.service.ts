/**
 * Erasing the locker (SPEC §9 "Take your data and go": `DELETE /patients/me {password}` → 204).
 *
 * What happens, in one transaction, as a list of steps (`ERASURE_STEPS`) so that another
 * feature's step is one line (the SMART Health Links feature's `eraseSmartHealthLinks`):
 * - files crypto-shredded: every record's wrapped data key is forgotten and its row kept as a
 *   tombstone without metadata; the blobs are removed after the commit (a rollback leaves
 *   every row with its blob; a removal that fails leaves an orphan the orphan sweeper takes);
 * - clinical rows deleted: profile (allergies, conditions, medications, contacts), vitals, lab
 *   results, doctors' notes about the patient, visits (encounters), import bookkeeping, emergency alert history,
 *   exports (their zips removed after the commit like records);
 * - every link dead: share links revoked (410), SMART Health Links deleted with their files, the emergency link inactive (410: the account
 *   is disabled), consultations ended (doctors lose access at once) with their reasons
 *   forgotten, every session revoked on every node (the account's cache tag);
 * - appointments (SPEC §10): future booked ones cancelled (their doctors' calendars free and
 *   each doctor is told), every reason forgotten; the rows stay as the doctors' history;
 * - prescriptions and dispensations are KEPT — they are the prescriber's and the pharmacy's
 *   legal record (who prescribed and dispensed which medicine when), which the law makes them
 *   keep for years; those that could still be dispensed are cancelled, since the allergy list
 *   the pharmacy's safety check reads is gone;
 * - the account disabled, with no way to sign in left (password, second factors, passkeys,
 *   OpenID Connect links removed) and `erased_at` set;
 * - in-app notifications (SPEC §10) deleted: the patient's own, their stream tickets, and those
 *   about them held by others;
 * - caregiver invitations and grants deleted both ways (SPEC §10); each dependent the patient
 *   manages and no one else manages (no other active `manage` grant) is erased too, with the
 *   same steps in the same transaction (its blobs removed after the commit with the patient's),
 *   its audit events kept plus its own `locker.erased` (actor kind `caregiver`); no goodbye
 *   email (its address is synthetic). A dependent someone else also manages keeps its locker;
 * - audit events stay (they hold no clinical content), plus `locker.erased`; the patient is
 *   emailed through the queue (`notify.locker-erased`).
 *
 * An account without a password (made by OpenID Connect sign-in) cannot confirm with one: it is
 * refused with 409 `password-not-set` — the patient sets a password first (Forgot password)
 * and erases with it. A stolen access token alone never erases a locker.
 */
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ConflictError, UnauthorizedError } from '../../app/errors.js'
import { withPatientData } from '../../audit/patient-data.js'
import { cacheTags } from '../../db/node-cache.js'
import type { DB } from '../../db/schema.js'
import type { Actor } from '../../policy/index.js'
import { dummyPasswordHash, verifyPassword } from '../accounts/passwords.js'
import { eraseAppointments } from '../appointments/appointments.service.js'
import { eraseExports } from '../data-export/data-export.service.js'
import { eraseNotifications } from '../in-app-notifications/in-app-notifications.service.js'
import { eraseEncounters } from '../encounters/encounters.service.js'
import { eraseSmartHealthLinks } from '../shl/shl.service.js'
import { dependentsToErase, eraseCaregivers } from '../caregivers/caregivers.service.js'
import * as q from './account-erasure.queries.js'

/** One step of the erasure: runs in the erasure's transaction; returns blob keys to remove after the commit. */
export type ErasureStep = (trx: Transaction<DB>, deps: Deps, patientId: string) => Promise<readonly string[] | void>

/** The steps, in order. A feature that keeps data about a patient adds its step here. */
export const ERASURE_STEPS: readonly ErasureStep[] = [
  (trx, _deps, pid) => q.lockAccount(trx, pid),
  (trx, deps, pid) => q.shredRecords(trx, pid, deps.now()),
  (trx, deps, pid) => q.revokeShareLinks(trx, pid, deps.now()),
  (trx, deps, pid) => eraseExports(trx, pid),
  (trx, _deps, pid) => q.deleteClinicalRows(trx, pid),
  (trx, _deps, pid) => eraseEncounters(trx, pid),
  (trx, deps, pid) => q.closeConsultations(trx, pid, deps.now()),
  (trx, deps, pid) => q.cancelOpenPrescriptions(trx, pid, deps.now()),
  eraseSmartHealthLinks,
  eraseAppointments,
  eraseNotifications,
  eraseCaregivers,
  (trx, deps, pid) => q.closeAccount(trx, pid, deps.now()),
]

/**
 * `DELETE /patients/{pid}` (`me`): checks the password, then erases the locker as described
 * above and enqueues the goodbye email, in one transaction; removes the blobs after it.
 * Throws NotFoundError when the caller is not the patient, UnauthorizedError 401
 * `invalid-credentials` for a wrong password (failures count as failed logins of that account
 * and IP, SPEC §6), ConflictError 409 `password-not-set` for an account without a password —
 * in each case changing nothing.
 */
export async function eraseLocker(deps: Deps, actor: Actor, pid: string, password: string): Promise<void> {
  const erased = () => [{ action: 'locker.erased', resource: { type: 'user', id: actor.kind === 'user' ? actor.id : pid } }] as const
  const access = { action: 'locker.erase', kind: 'write', resource: (patientId: string) => ({ type: 'user', id: patientId }), audited: erased, prepare: () => checkPassword(deps, actor, password) } as const
  const blobKeys = await withPatientData(deps, actor, pid, access, async ({ scope, db: trx }) => {
    const orphans = await dependentsToErase(trx, deps, scope.patientId)
    const keys: string[] = []
    for (const pid of [scope.patientId, ...orphans]) {
      for (const step of ERASURE_STEPS) keys.push(...((await step(trx, deps, pid)) ?? []))
    }
    for (const pid of orphans) await deps.audit.record(trx, actor, 'locker.erased', { patientId: pid, resource: { type: 'user', id: pid } })
    await deps.database.cache.invalidate(trx, [scope.patientId, ...orphans].map((pid) => cacheTags.user(pid)))
    await deps.jobs.send(trx, 'notify.locker-erased', { userId: scope.patientId, at: deps.now().toISOString() })
    return keys
  })
  for (const key of blobKeys) await deps.blobs.remove(key).catch(() => undefined)
}

/** The password check before anything is touched (outside the transaction: argon2 is slow). */
async function checkPassword(deps: Deps, actor: Actor, password: string): Promise<void> {
  if (actor.kind !== 'user') throw new UnauthorizedError()
  const account = await q.findCredentials(deps.db, actor.id)
  if (account && account.passwordHash === null) {
    throw new ConflictError(
      'This account has no password (it signs in through another provider). Set a password first with "Forgot password", then erase your locker with it.',
      'password-not-set',
    )
  }
  const key = `${account?.email ?? actor.id}|${actor.meta.ip}`
  await deps.rateLimits.limitFailures([{ name: 'loginFailures', key }], async () => {
    if (!(await verifyPassword(account?.passwordHash ?? (await dummyPasswordHash()), password))) {
      throw new UnauthorizedError('The password is wrong. Nothing was erased.', 'invalid-credentials')
    }
  }, { isFailure: (err) => err instanceof UnauthorizedError })
}
