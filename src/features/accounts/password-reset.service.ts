/**
 * Password reset by emailed one-time code (SPEC §4.1, §6). The code is 8 digits from the OS
 * CSPRNG (`crypto.randomInt`), lives 10 minutes, allows 5 tries, and is stored as
 * HMAC-SHA256 under the master key (a bare hash of 10^8 codes would fall to an offline
 * search). A request only enqueues a job (`accounts.password-reset-code`) and answers 202:
 * the same work whether or not the email has an account, so neither the answer nor its
 * time tells (SPEC §6); the job looks the account up, stores the code and enqueues the
 * email. A successful reset revokes every session of the user and sends the
 * `password-changed` notice (SPEC §8).
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import type { Deps } from '../../app/deps.js'
import { ValidationError } from '../../app/errors.js'
import { sealJobSecret } from '../../jobs/job-secrets.js'
import { systemActor } from '../../policy/index.js'
import { enqueueEmail } from '../notifications/notifications.service.js'
import { enqueueEmailVerification } from '../email-verification/email-verification.service.js'
import { enqueueAccountNotice } from './account-notices.js'
import * as accounts from './accounts.queries.js'
import { userSessionsTag } from './accounts.service.js'
import { assertPasswordAllowed } from './password-policy.js'
import { hashPassword } from './passwords.js'
import * as q from './password-reset.queries.js'

export const RESET_CODE_DIGITS = 8
export const RESET_CODE_MINUTES = 10
export const RESET_CODE_MAX_ATTEMPTS = 5

const codeHash = (masterKey: Buffer, userId: string, code: string) =>
  createHmac('sha256', masterKey).update(`carelocker/password-reset/v1|${userId}|${code}`).digest('hex')

/** A fresh code: `RESET_CODE_DIGITS` uniformly random digits. */
export function newResetCode(): string {
  return String(randomInt(0, 10 ** RESET_CODE_DIGITS)).padStart(RESET_CODE_DIGITS, '0')
}

/**
 * Queues the issue of a code for `email` (the address sealed with the master key: job rows
 * outlive the request). Does the same whatever the email, so the caller learns nothing.
 */
export async function requestPasswordReset(deps: Deps, email: string): Promise<void> {
  await deps.jobs.send(deps.db, 'accounts.password-reset-code', { sealedEmail: sealJobSecret(deps.config.masterKey, email) })
}

/**
 * Runs in the job: emails a new code to the account of `email`, replacing older codes, in
 * one transaction (code, email job, audit event). Does nothing for an unknown or disabled
 * account. An account whose address is not verified gets no code (no mail but the
 * verification link goes to an unverified address, SPEC §8): a new verification link is
 * sent instead, after which the owner can ask for the code. Returns the account's id when
 * a code was issued.
 */
export async function issuePasswordResetCode(deps: Deps, email: string): Promise<string | undefined> {
  const user = await accounts.findUserByEmail(deps.db, email)
  // A dependent (SPEC §10) has no login to recover: like an unknown address.
  if (!user || user.status === 'disabled' || user.isDependent) return undefined
  if (!user.emailVerifiedAt) {
    await enqueueEmailVerification(deps, deps.db, user.id)
    return undefined
  }
  const code = newResetCode()
  const now = deps.now()
  await deps.db.transaction().execute(async (trx) => {
    await q.voidResetCodes(trx, user.id, now)
    await q.insertResetCode(trx, {
      userId: user.id,
      codeHash: codeHash(deps.config.masterKey, user.id, code),
      expiresAt: new Date(now.getTime() + RESET_CODE_MINUTES * 60_000),
      createdAt: now,
    })
    await enqueueEmail(deps, trx, { template: 'password-reset-code', to: { userId: user.id }, data: { code, expiresInMinutes: RESET_CODE_MINUTES } })
    await deps.audit.record(trx, systemActor, 'auth.password_reset_requested', { patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } })
  })
  return user.id
}

const invalidCode = () =>
  new ValidationError('The code is wrong or has expired. Request a new one.', [{ path: '/code', message: 'Wrong or expired code.' }], 'invalid-reset-code')

/**
 * Sets a new password with a valid code: every session of the user is revoked and the
 * user is emailed. Throws ValidationError `invalid-reset-code` (400) for an unknown email,
 * a wrong, expired, used or exhausted code — all alike. A new password that breaks the
 * policy is 400 `password-too-common` before anything is looked up, so it neither uses
 * up a try of the code nor tells whether the email has an account.
 */
export async function confirmPasswordReset(deps: Deps, email: string, code: string, newPassword: string): Promise<void> {
  assertPasswordAllowed(newPassword, email, '/newPassword')
  const user = await accounts.findUserByEmail(deps.db, email)
  if (!user || user.status === 'disabled' || user.isDependent) throw invalidCode()
  const now = deps.now()
  const attempt = await q.takeResetAttempt(deps.db, user.id, now, RESET_CODE_MAX_ATTEMPTS)
  if (!attempt) throw invalidCode()
  const expected = Buffer.from(attempt.codeHash, 'hex')
  const given = Buffer.from(codeHash(deps.config.masterKey, user.id, code), 'hex')
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalidCode()
  const passwordHash = await hashPassword(newPassword)
  await deps.db.transaction().execute(async (trx) => {
    if (!(await q.useResetCode(trx, attempt.id, now))) throw invalidCode()
    await accounts.updatePasswordHash(trx, user.id, passwordHash, now)
    await accounts.revokeUserSessions(trx, user.id, 'password-reset', now)
    await deps.database.cache.invalidate(trx, [userSessionsTag(user.id)])
    await enqueueAccountNotice(deps, trx, user.id, 'password-changed')
    await deps.audit.record(trx, systemActor, 'auth.password_reset', { patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } })
  })
}
