/**
 * Email verification (SPEC §8). Registration enqueues one message, a link
 * `$PUBLIC_URL/verify-email#<token>` (the token in the fragment never reaches a server log):
 * 256 random bits, 24 hours, single use, stored as its SHA-256 with the address it went to.
 * The link is made when the job runs (`issueVerificationLink`), so no secret waits in the
 * queue. Until the address is verified no other email goes to it: notifications'
 * `EmailSender` skips the account (`email-unverified`). Verifying enqueues the welcome
 * email (SPEC §5), the first message that may carry the name the registrant typed.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ConflictError, GoneError, UnauthorizedError, ValidationError } from '../../app/errors.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import type { DB, UserRow } from '../../db/schema.js'
import type { RequestMeta, UserActor } from '../../policy/index.js'
import * as q from './email-verification.queries.js'

export const VERIFICATION_LINK_HOURS = 24

/** Enqueues the verification email of `userId` in `trx` (sent only if the caller's change commits). */
export async function enqueueEmailVerification(deps: Deps, trx: Transaction<DB> | Kysely<DB>, userId: string): Promise<void> {
  await deps.jobs.send(trx, 'notify.email-verification', { userId })
}

/**
 * Runs in the job, for the account's current `email`: stores a new link (its hash, the
 * address, 24 hours) and returns its URL. Older links stay valid until they expire.
 */
export async function issueVerificationLink(deps: Deps, userId: string, email: string): Promise<string> {
  const token = newOpaqueToken()
  const now = deps.now()
  await q.insertVerification(deps.db, {
    tokenHash: hashToken(token),
    userId,
    email: email.toLowerCase(),
    createdAt: now,
    expiresAt: new Date(now.getTime() + VERIFICATION_LINK_HOURS * 3_600_000),
  })
  return `${deps.config.publicUrl}/verify-email#${token}`
}

/**
 * `POST /auth/email/verify`: uses the link's token and marks the account's email verified
 * when the account still has the address the link went to. Public: the link may be opened
 * in a browser that is not signed in. A link of an account already verified answers the
 * account again (a second click is not an error). Returns the account.
 *
 * Errors, which change nothing: 400 `invalid-verification-link` (unknown token), 410
 * `verification-link-used`, 410 `verification-link-expired`, 410
 * `verification-link-outdated` (the account's address changed since).
 * Audit: `auth.email_verified` (resource: the user), attributed to the account, with `meta`.
 */
export async function verifyEmail(deps: Deps, token: string, meta: RequestMeta): Promise<UserRow> {
  const tokenHash = hashToken(token)
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const link = await q.useVerification(trx, tokenHash, now)
    if (!link) {
      const known = await q.findVerification(trx, tokenHash)
      if (!known) throw new ValidationError('This verification link is not valid.', [{ path: '/token', message: 'Unknown link.' }], 'invalid-verification-link')
      if (known.usedAt) throw new GoneError('This verification link was already used.', 'verification-link-used')
      throw new GoneError('This verification link has expired. Sign in and ask for a new one.', 'verification-link-expired')
    }
    const verified = await q.markEmailVerified(trx, link.userId, link.email, now)
    if (verified) {
      await deps.jobs.send(trx, 'notify.email', { template: 'welcome', to: { userId: verified.id } })
      const account = { id: verified.id, role: verified.role, name: verified.name }
      await deps.audit.record(trx, { kind: 'attempt', account, meta }, 'auth.email_verified', {
        patientId: verified.role === 'patient' ? verified.id : null,
        resource: { type: 'user', id: verified.id },
      })
      return verified
    }
    const current = await q.findUser(trx, link.userId)
    if (current?.emailVerifiedAt && current.email.toLowerCase() === link.email) return current
    throw new GoneError('This link was sent to an address the account no longer has.', 'verification-link-outdated')
  })
}

/**
 * `POST /auth/email/resend`: enqueues a new verification email for the signed-in account
 * (pending clinicians too). Throws ConflictError 409 `email-already-verified` when there is
 * nothing to verify (no email is sent). The route limits it per account
 * (`EMAIL_VERIFICATION_RESENDS_PER_HOUR`, 429).
 */
export async function resendEmailVerification(deps: Deps, actor: UserActor): Promise<void> {
  const user = await q.findUser(deps.db, actor.id)
  if (!user) throw new UnauthorizedError()
  if (user.emailVerifiedAt) throw new ConflictError('This email address is already verified.', 'email-already-verified')
  await enqueueEmailVerification(deps, deps.db, user.id)
}
