/**
 * Two-factor sign-in (SPEC §8): a TOTP authenticator (RFC 6238: SHA-1, 6 digits, 30-second
 * steps, through `otpauth`), ten single-use recovery codes, and the `mfaToken` step between a
 * correct password and a session.
 *
 * - The TOTP secret is stored sealed under the master key (AES-256-GCM, `src/app/sealed-secrets.ts`,
 *   bound to the user id); a secret sealed under a previous key (`MASTER_KEY_PREVIOUS`) still
 *   opens and is re-sealed under the current key the next time a code of it is accepted.
 * - A code is accepted for the current step ±1 (clock drift) and only for a step later than
 *   the last accepted one (`totp_factors.last_used_step`, one conditional UPDATE): a replay, even
 *   a concurrent one, is refused.
 * - Recovery codes (80 random bits each) are stored as SHA-256 and spent by a conditional UPDATE.
 * - Adding or removing a factor invalidates the user's cached sessions in its transaction, so
 *   the `MFA_REQUIRED_ROLES` gate (src/policy) sees it on the next request on every node.
 */
import { randomBytes } from 'node:crypto'
import type { Transaction } from 'kysely'
import QRCode from 'qrcode'
import { Secret, TOTP } from 'otpauth'
import type { Deps } from '../../app/deps.js'
import type { LimitCounter } from '../../app/rate-limits.js'
import { ConflictError, UnauthorizedError, ValidationError } from '../../app/errors.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import { cacheTags } from '../../db/node-cache.js'
import type { DB, UserRow } from '../../db/schema.js'
import type { UserActor } from '../../policy/index.js'
import type { AccountAttempt, AuditTarget } from '../../audit/audit.service.js'
import { enqueueAccountNotice } from '../accounts/account-notices.js'
import { dummyPasswordHash, verifyPassword } from '../accounts/passwords.js'
import { completeSignIn, type Session, type SignInRequest } from '../accounts/sign-in.js'
import * as q from './mfa.queries.js'
import { openTotpSecret as openSealed, sealTotpSecret as seal } from './totp-secret.js'
import type { MfaRequired, SecondFactorMethod } from './mfa.schema.js'

/** RFC 6238 parameters of SPEC §8. */
const TOTP_PARAMS = { issuer: 'CareLocker', algorithm: 'SHA1', digits: 6, period: 30 } as const
/** Steps of drift accepted either side of now. */
const TOTP_WINDOW = 1
/** SPEC §8: an `mfaToken` lives 5 minutes and dies after 5 wrong codes. */
export const MFA_TOKEN_TTL_MS = 5 * 60_000
export const MFA_MAX_FAILURES = 5
const RECOVERY_CODE_COUNT = 10
/** 32 symbols (5 bits each, so a byte's low 5 bits pick one without bias), without the look-alikes 0/o and 1/l. */
const RECOVERY_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789'

const userTarget = (u: { id: string; role: string }): AuditTarget => ({ patientId: u.role === 'patient' ? u.id : null, resource: { type: 'user', id: u.id } })

const sealTotpSecret = (deps: Deps, userId: string, base32: string) => seal(deps.config.masterKey, userId, base32)
const openTotpSecret = (deps: Deps, factor: { userId: string; secretCiphertext: string }) =>
  openSealed([deps.config.masterKey, ...deps.config.previousMasterKeys], factor.userId, factor.secretCiphertext)

const totpOf = (base32: string, label = 'account') => new TOTP({ ...TOTP_PARAMS, label, secret: Secret.fromBase32(base32) })

/**
 * The time step `code` belongs to when it is a valid code of `base32` at `now` (±1 step),
 * else null. Pure: whether the step was used before is the caller's conditional UPDATE.
 */
export function totpStepOf(base32: string, code: string, now: Date): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const totp = totpOf(base32)
  const timestamp = now.getTime()
  const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW })
  return delta === null ? null : totp.counter({ timestamp }) + delta
}

/** Ten new recovery codes (`xxxx-xxxx-xxxx-xxxx`, 80 bits from the OS CSPRNG each). */
function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = [...randomBytes(16)].map((b) => RECOVERY_ALPHABET[b & 31]).join('')
    return chars.match(/.{4}/g)!.join('-')
  })
}

/** A recovery code as stored: spaces and dashes dropped, lower case, SHA-256 hex. */
const recoveryHash = (code: string) => hashToken(code.replace(/[\s-]/g, '').toLowerCase())

/**
 * Starts TOTP enrolment (SPEC §8 `POST /auth/mfa/totp/setup`): a new 160-bit secret, stored
 * sealed and unconfirmed (replacing an earlier unconfirmed one), its `otpauth://` key URI
 * (issuer CareLocker, label the account's email) and that URI as an SVG QR code.
 * Throws ConflictError 409 `totp-already-enabled` when a confirmed TOTP exists.
 */
export async function setUpTotp(deps: Deps, actor: UserActor): Promise<{ secret: string; otpauthUrl: string; qrSvg: string }> {
  const account = await q.findAccount(deps.db, actor.id)
  if (!account) throw new UnauthorizedError()
  const secret = new Secret({ size: 20 }).base32
  const stored = await q.upsertUnconfirmedTotp(deps.db, actor.id, sealTotpSecret(deps, actor.id, secret), deps.now())
  if (!stored) throw new ConflictError('Two-factor sign-in is already on. Turn it off first to set up another authenticator.', 'totp-already-enabled')
  const otpauthUrl = totpOf(secret, account.email).toString()
  const qrSvg = await QRCode.toString(otpauthUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 })
  return { secret, otpauthUrl, qrSvg }
}

/** The caller's TOTP state for the Security page: on since when (null: off), recovery codes unused. */
export async function getTotpStatus(deps: Deps, actor: UserActor): Promise<{ enabledAt: Date | null; recoveryCodesLeft: number }> {
  const row = await q.findTotpStatus(deps.db, actor.id)
  return { enabledAt: row.confirmedAt ?? null, recoveryCodesLeft: Number(row.recoveryCodesLeft ?? 0) }
}

/**
 * Confirms the enrolment with a current code (SPEC §8 `POST /auth/mfa/totp/confirm`): the
 * factor becomes active (its step counts as used), ten recovery codes replace any old ones
 * and are returned once; the `totp-enabled` notice and `auth.totp_enabled` are written in the
 * same transaction. Throws ValidationError 400 `invalid-code` for a wrong code and
 * ConflictError 409 (`totp-not-set-up`, `totp-already-enabled`) — changing nothing.
 */
export async function confirmTotp(deps: Deps, actor: UserActor, code: string): Promise<string[]> {
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const factor = await q.findTotpFactor(trx, actor.id)
    if (!factor) throw new ConflictError('Start the set-up first: no authenticator is waiting for confirmation.', 'totp-not-set-up')
    if (factor.confirmedAt) throw new ConflictError('Two-factor sign-in is already on.', 'totp-already-enabled')
    const step = totpStepOf(openTotpSecret(deps, factor).base32, code, now)
    if (step === null) throw invalidCode()
    if (!(await q.confirmTotpFactor(trx, actor.id, factor.secretCiphertext, step, now))) {
      throw new ConflictError('The set-up changed meanwhile; start it again.', 'totp-not-set-up')
    }
    const codes = newRecoveryCodes()
    await q.replaceRecoveryCodes(trx, actor.id, codes.map(recoveryHash), now)
    await factorChanged(deps, trx, actor, 'totp-enabled', 'auth.totp_enabled')
    return codes
  })
}

/**
 * Turns TOTP off (SPEC §8 `DELETE /auth/mfa/totp`) after checking the password and a code
 * (a TOTP code or a recovery code): removes the factor and every recovery code, enqueues
 * `totp-disabled`, writes `auth.totp_disabled`. A role in `MFA_REQUIRED_ROLES` may do it;
 * the gate then applies again until it enrols another factor. Throws UnauthorizedError 401
 * `invalid-credentials` (password), ValidationError 400 `invalid-code`, ConflictError 409
 * `totp-not-enabled` — changing nothing.
 */
export async function disableTotp(deps: Deps, actor: UserActor, input: { password: string; code: string }): Promise<void> {
  await assertPassword(deps, actor, input.password)
  const now = deps.now()
  await deps.db.transaction().execute(async (trx) => {
    await recoveryCodeNotice(deps, trx, actor, actor, await spendSecondFactor(deps, trx, actor.id, input.code, now, { orThrow: true }))
    await q.deleteTotpFactor(trx, actor.id)
    await q.replaceRecoveryCodes(trx, actor.id, [], now)
    await factorChanged(deps, trx, actor, 'totp-disabled', 'auth.totp_disabled')
  })
}

/**
 * New recovery codes for a code (TOTP or recovery): the old ones stop working. Writes
 * `auth.recovery_codes_replaced`. Throws ValidationError 400 `invalid-code`, ConflictError
 * 409 `totp-not-enabled`.
 */
export async function replaceRecoveryCodes(deps: Deps, actor: UserActor, code: string): Promise<string[]> {
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    await recoveryCodeNotice(deps, trx, actor, actor, await spendSecondFactor(deps, trx, actor.id, code, now, { orThrow: true }))
    const codes = newRecoveryCodes()
    await q.replaceRecoveryCodes(trx, actor.id, codes.map(recoveryHash), now)
    await deps.audit.record(trx, actor, 'auth.recovery_codes_replaced', userTarget(actor))
    return codes
  })
}

/**
 * The second step a password sign-in needs (SPEC §8): when the account has a confirmed
 * TOTP or a passkey, a new `mfaToken` (random, stored hashed, 5 minutes, single use) and the
 * methods it may use; null when it has neither and the password is enough.
 */
export async function startSecondFactor(deps: Deps, user: UserRow): Promise<MfaRequired | null> {
  const has = await q.findSecondFactors(deps.db, user.id)
  if (!has.totp && !has.passkey) return null
  const methods: SecondFactorMethod[] = []
  if (has.totp) methods.push('totp')
  if (has.totp && has.recovery) methods.push('recovery')
  if (has.passkey) methods.push('passkey')
  const mfaToken = newOpaqueToken()
  const now = deps.now()
  await q.insertMfaChallenge(deps.db, { tokenHash: hashToken(mfaToken), userId: user.id, createdAt: now, expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_MS) })
  return { mfaRequired: true, mfaToken, methods }
}

/**
 * Completes a sign-in with its `mfaToken` and a TOTP or recovery code (SPEC §8
 * `POST /auth/login/mfa`) and opens the session (`completeSignIn`, method `totp` or
 * `recovery`). A wrong or replayed code counts against the token (`auth.login_failed`); the
 * fifth ends it, and a sixth attempt is refused even with a right code. A recovery code
 * enqueues `recovery-code-used` and writes `auth.recovery_code_used`. Wrong codes also count
 * as failed logins of the IP (SPEC §6, 429 when spent). Throws UnauthorizedError 401
 * `invalid-mfa-token` (unknown, expired, used, ended, disabled account) or `invalid-mfa-code`
 * (with `remainingAttempts`).
 */
export async function completeSecondFactor(deps: Deps, mfaToken: string, code: string, from: SignInRequest): Promise<Session> {
  const counters: LimitCounter[] = [{ name: 'loginFailuresPerIp', key: from.meta.ip }]
  // Per account too, whatever the IP (`RATE_LIMIT_LOGIN_FAILURES_PER_15_MIN`): a right password
  // gives a new mfaToken and 5 more guesses, so the token's own count alone would not bound
  // guessing from many addresses by someone who has the password.
  const owner = await q.findMfaChallengeUserId(deps.db, hashToken(mfaToken))
  if (owner) counters.push({ name: 'loginFailures', key: `second-factor|${owner.userId}` })
  return deps.rateLimits.limitFailures(counters, () => checkSecondFactor(deps, mfaToken, code, from), {
    isFailure: (err) => err instanceof UnauthorizedError && err.code === 'invalid-mfa-code',
  })
}

async function checkSecondFactor(deps: Deps, mfaToken: string, code: string, from: SignInRequest): Promise<Session> {
  const tokenHash = hashToken(mfaToken)
  const now = deps.now()
  const outcome = await deps.db.transaction().execute(async (trx) => {
    const challenge = await q.lockLiveMfaChallenge(trx, tokenHash, now, MFA_MAX_FAILURES)
    if (!challenge || challenge.status === 'disabled') return { ok: false, remaining: null } as const
    const user = challenge
    const method = await spendSecondFactor(deps, trx, user.id, code, now, { orThrow: false })
    if (!method) {
      const count = await q.addMfaFailure(trx, tokenHash)
      const attempt: AccountAttempt = { kind: 'attempt', account: { id: user.id, role: user.role, name: user.name }, meta: from.meta }
      await deps.audit.record(trx, attempt, 'auth.login_failed', userTarget(user))
      return { ok: false, remaining: Math.max(0, MFA_MAX_FAILURES - count) } as const
    }
    await q.markMfaChallengeUsed(trx, tokenHash, now)
    const actor: AccountAttempt = { kind: 'attempt', account: { id: user.id, role: user.role, name: user.name }, meta: from.meta }
    await recoveryCodeNotice(deps, trx, actor, user, method)
    return { ok: true, user, method } as const
  })
  if (outcome.ok) return completeSignIn(deps, outcome.user, outcome.method, from)
  if (outcome.remaining === null) {
    throw new UnauthorizedError('This sign-in step has expired or was already used. Sign in again with your password.', 'invalid-mfa-token')
  }
  throw new UnauthorizedError(
    outcome.remaining > 0 ? 'The code is wrong or was already used.' : 'The code is wrong. Too many wrong codes: sign in again with your password.',
    'invalid-mfa-code',
    { remainingAttempts: outcome.remaining },
  )
}

/**
 * When `method` is `recovery` (a recovery code was just spent), the `recovery-code-used`
 * notice and `auth.recovery_code_used` (SPEC §8: the owner hears of every use).
 */
async function recoveryCodeNotice(
  deps: Deps,
  trx: Transaction<DB>,
  actor: UserActor | AccountAttempt,
  user: { id: string; role: string },
  method: 'totp' | 'recovery' | null,
): Promise<void> {
  if (method !== 'recovery') return
  await enqueueAccountNotice(deps, trx, user.id, 'recovery-code-used')
  await deps.audit.record(trx, actor, 'auth.recovery_code_used', userTarget(user))
}

/**
 * Checks and spends a second-factor code of `userId` inside `trx`: a 6-digit TOTP code
 * (claiming its time step) or a recovery code (spending it). Returns the method, or null
 * for a wrong, replayed or spent code — or throws ValidationError 400 `invalid-code` /
 * ConflictError 409 `totp-not-enabled` when `orThrow`.
 */
async function spendSecondFactor(
  deps: Deps,
  trx: Transaction<DB>,
  userId: string,
  code: string,
  now: Date,
  { orThrow }: { orThrow: boolean },
): Promise<'totp' | 'recovery' | null> {
  const factor = await q.findTotpFactor(trx, userId)
  if (!factor?.confirmedAt) {
    if (orThrow) throw new ConflictError('Two-factor sign-in is not on.', 'totp-not-enabled')
    return null
  }
  let method: 'totp' | 'recovery' | null = null
  if (/^\d{6}$/.test(code)) {
    const { base32, current } = openTotpSecret(deps, factor)
    const step = totpStepOf(base32, code, now)
    const reseal = current ? undefined : sealTotpSecret(deps, userId, base32)
    if (step !== null && (await q.claimTotpStep(trx, userId, factor.secretCiphertext, step, reseal))) method = 'totp'
  } else if (await q.useRecoveryCode(trx, userId, recoveryHash(code), now)) {
    method = 'recovery'
  }
  if (!method && orThrow) throw invalidCode()
  return method
}

const invalidCode = () =>
  new ValidationError('The code is wrong or was already used.', [{ path: '/code', message: 'Wrong or already used code.' }], 'invalid-code')

async function assertPassword(deps: Deps, actor: UserActor, password: string): Promise<void> {
  const account = await q.findAccount(deps.db, actor.id)
  if (!(await verifyPassword(account?.passwordHash ?? (await dummyPasswordHash()), password))) {
    throw new UnauthorizedError('The password is wrong.', 'invalid-credentials')
  }
}

/** A factor was added or removed: the gate's cached view of the user's sessions is dropped, the owner told, the act audited. */
async function factorChanged(deps: Deps, trx: Transaction<DB>, actor: UserActor, notice: 'totp-enabled' | 'totp-disabled', action: 'auth.totp_enabled' | 'auth.totp_disabled') {
  await deps.database.cache.invalidate(trx, [cacheTags.user(actor.id)])
  await enqueueAccountNotice(deps, trx, actor.id, notice)
  await deps.audit.record(trx, actor, action, userTarget(actor))
}
