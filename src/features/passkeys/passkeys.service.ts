/**
 * Passkeys (SPEC §8; W3C WebAuthn Level 2 through `@simplewebauthn/server`): register, list,
 * rename and remove the signed-in user's passkeys, and sign in with one without a password.
 *
 * - Relying party: id = the hostname of `PUBLIC_URL`, origin = its origin, name "CareLocker".
 *   A browser on any other address is refused (the origin and the RP id hash are checked).
 * - Challenges: 32 random bytes from the library, stored in `webauthn_challenges` for 5
 *   minutes and consumed with one conditional UPDATE (single use). The answer names its
 *   challenge in `clientDataJSON`; a registration's must have been issued to the same user.
 *   A failed answer rolls the consumption back with everything else: bad input changes nothing.
 * - User handle: the 16 bytes of the user's uuid (opaque, stable, WebAuthn L2 §14.6.1: no
 *   personal data in it). `user.name` and `displayName` are the account's email — what the
 *   person signs in with and needs to tell accounts apart in the authenticator's chooser;
 *   their real name is never put on the authenticator.
 * - Attestation `none`; user verification `preferred` (not required: a security key
 *   without a PIN still works; the UV flag is not checked).
 * - A passkey sign-in is a full sign-in (both factors: SPEC §8 "a passkey satisfies the
 *   second factor") opened by `completeSignIn` with method `passkey`.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers'
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { AppError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../app/errors.js'
import type { DB, UserRow } from '../../db/schema.js'
import type { UserActor } from '../../policy/index.js'
import type { AuditTarget } from '../../audit/audit.service.js'
import { enqueueAccountNotice, type AccountNotice } from '../accounts/account-notices.js'
import { getMe, userSessionsTag } from '../accounts/accounts.service.js'
import { completeSignIn, type Session, type SignInRequest } from '../accounts/sign-in.js'
import * as q from './passkeys.queries.js'

/** Life of a WebAuthn challenge, and the `timeout` the browser is given (SPEC §8: 5 minutes). */
export const CHALLENGE_TTL_MS = 5 * 60_000
export const RP_NAME = 'CareLocker'

type PasskeyRow = Awaited<ReturnType<typeof q.listPasskeys>>[number]

/** The relying party of this deployment: `{rpID, origin}` from `PUBLIC_URL` (SPEC §8). */
export function relyingParty(deps: Deps): { rpID: string; origin: string } {
  const url = new URL(deps.config.publicUrl)
  return { rpID: url.hostname, origin: url.origin }
}

/** The WebAuthn user handle of a user: their uuid's 16 bytes. */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replace(/-/g, ''), 'hex'))
}

/**
 * The challenge an answer was made for (`clientDataJSON.challenge`), or undefined when
 * `clientDataJSON` is not base64url JSON carrying a plausible challenge.
 */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const { challenge } = decodeClientDataJSON(clientDataJSON)
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : undefined
  } catch {
    return undefined
  }
}

async function issueChallenge(deps: Deps, challenge: string, purpose: 'registration' | 'authentication', userId: string | null): Promise<void> {
  const now = deps.now()
  await deps.db.transaction().execute(async (trx) => {
    await q.deleteExpiredChallenges(trx, now)
    await q.insertChallenge(trx, { challenge, userId, purpose, createdAt: now, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_MS) })
  })
}

const targetOf = (actor: { id: string; role: string }, resource: { type: string; id: string }): AuditTarget => ({
  patientId: actor.role === 'patient' ? actor.id : null,
  resource,
})

/** Audit event, notice and session-cache invalidation of a change to the actor's passkeys. */
async function passkeysChanged(deps: Deps, trx: Transaction<DB>, actor: UserActor, action: `passkey.${string}`, passkeyId: string, notice?: AccountNotice) {
  await deps.audit.record(trx, actor, action, targetOf(actor, { type: 'passkey', id: passkeyId }))
  if (notice) {
    await enqueueAccountNotice(deps, trx, actor.id, notice)
    // Whether an account has a passkey is read from its cached session rows (the MFA gate).
    await deps.database.cache.invalidate(trx, [userSessionsTag(actor.id)])
  }
}

/**
 * Creation options for a new passkey of the signed-in user (WebAuthn L2 §5.4): resident
 * key required, user verification preferred, attestation none, the user's passkeys
 * excluded; the challenge is stored for 5 minutes.
 */
export async function registrationOptions(deps: Deps, actor: UserActor): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await getMe(deps, actor)
  const existing = await q.listCredentialDescriptors(deps.db, actor.id)
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: relyingParty(deps).rpID,
    userID: userHandleOf(user.id),
    userName: user.email,
    userDisplayName: user.email,
    timeout: CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: c.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
  })
  await issueChallenge(deps, options.challenge, 'registration', actor.id)
  return options
}

const refusedRegistration = (detail: string) => new ValidationError(detail, [{ path: '/response', message: detail }], 'passkey-invalid')

/**
 * Verifies a new passkey against a registration challenge issued to the actor and stores
 * it; its name defaults to "Passkey YYYY-MM-DD". Audit `passkey.added`, notice
 * `passkey-added`. Throws ValidationError 400 `passkey-invalid` (unknown, used, expired or
 * foreign challenge; wrong origin or RP id; bad attestation) and ConflictError 409
 * `passkey-exists` (the credential is registered already) — nothing is changed then.
 */
export async function registerPasskey(deps: Deps, actor: UserActor, input: { response: RegistrationResponseJSON; name?: string | undefined }): Promise<PasskeyRow> {
  const challenge = challengeOf(input.response.response.clientDataJSON)
  if (!challenge) throw refusedRegistration('clientDataJSON is not a WebAuthn client data object.')
  const now = deps.now()
  const { rpID, origin } = relyingParty(deps)
  return deps.db.transaction().execute(async (trx) => {
    if (!(await q.consumeChallenge(trx, challenge, 'registration', actor.id, now))) {
      throw refusedRegistration('This registration was not started here, was already used or has expired: start again.')
    }
    let registration
    try {
      const verified = await verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: false,
      })
      if (!verified.verified) throw new Error('attestation not verified')
      registration = verified.registrationInfo
    } catch {
      // The library's message is not passed on: it quotes the client's data.
      throw refusedRegistration('The passkey could not be verified: it was made for another site or challenge, or its answer is damaged.')
    }
    const { credential } = registration
    const passkey = await q.insertPasskey(trx, {
      userId: actor.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: JSON.stringify(input.response.response.transports ?? credential.transports ?? []),
      deviceType: registration.credentialDeviceType,
      backedUp: registration.credentialBackedUp,
      name: input.name ?? `Passkey ${now.toISOString().slice(0, 10)}`,
      createdAt: now,
    })
    await passkeysChanged(deps, trx, actor, 'passkey.added', passkey.id, 'passkey-added')
    return passkey
  })
}

/** The signed-in user's passkeys, oldest first. */
export async function listPasskeys(deps: Deps, actor: UserActor): Promise<PasskeyRow[]> {
  return q.listPasskeys(deps.db, actor.id)
}

/** Renames one of the actor's passkeys (audit `passkey.renamed`); NotFoundError for anyone else's. */
export async function renamePasskey(deps: Deps, actor: UserActor, id: string, name: string): Promise<PasskeyRow> {
  return deps.db.transaction().execute(async (trx) => {
    const passkey = await q.renamePasskey(trx, actor.id, id, name)
    if (!passkey) throw new NotFoundError('Passkey not found.')
    await passkeysChanged(deps, trx, actor, 'passkey.renamed', passkey.id)
    return passkey
  })
}

/** Removes one of the actor's passkeys (audit `passkey.removed`, notice `passkey-removed`); NotFoundError for anyone else's. */
export async function removePasskey(deps: Deps, actor: UserActor, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const removed = await q.deletePasskey(trx, actor.id, id)
    if (!removed) throw new NotFoundError('Passkey not found.')
    await passkeysChanged(deps, trx, actor, 'passkey.removed', removed.id, 'passkey-removed')
  })
}

/**
 * Request options for a passwordless sign-in (WebAuthn L2 §5.5): a fresh challenge (5
 * minutes, single use), no `allowCredentials` (the authenticator offers its discoverable
 * credentials), user verification preferred.
 */
export async function authenticationOptions(deps: Deps): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({ rpID: relyingParty(deps).rpID, userVerification: 'preferred', timeout: CHALLENGE_TTL_MS })
  await issueChallenge(deps, options.challenge, 'authentication', null)
  return options
}

const refusedSignIn = (detail: string, code = 'passkey-invalid') => new UnauthorizedError(detail, code)

/**
 * Signs in with a passkey's assertion: checks the challenge (ours, unused, unexpired),
 * origin, RP id, signature and signature counter (a counter that does not grow, when either
 * is non-zero, is refused: WebAuthn L2 §6.1.1), then records the new counter and
 * `lastUsedAt` and opens a session (`completeSignIn`, method `passkey`).
 *
 * Throws UnauthorizedError 401 `passkey-unknown` (no such credential here) or
 * `passkey-invalid` (anything else that fails), ForbiddenError 403 `account-disabled`.
 * Failures count against the per-IP failed-login limit (SPEC §6; 429 when spent), and one
 * with a known passkey is audited as `auth.login_failed` on its account.
 */
export async function signInWithPasskey(deps: Deps, response: AuthenticationResponseJSON, from: SignInRequest): Promise<Session> {
  return deps.rateLimits.limitFailures([{ name: 'loginFailuresPerIp', key: from.meta.ip }], () => checkAssertion(deps, response, from), {
    isFailure: (err) => err instanceof UnauthorizedError || err instanceof ForbiddenError,
  })
}

async function checkAssertion(deps: Deps, response: AuthenticationResponseJSON, from: SignInRequest): Promise<Session> {
  const challenge = challengeOf(response.response.clientDataJSON)
  if (!challenge) throw refusedSignIn('clientDataJSON is not a WebAuthn client data object.')
  const passkey = await q.findPasskeyByCredentialId(deps.db, response.id)
  if (!passkey) throw refusedSignIn('This passkey is not registered with CareLocker (it may have been removed).', 'passkey-unknown')
  const user = await q.findUser(deps.db, passkey.userId)
  if (!user) throw refusedSignIn('This passkey is not registered with CareLocker (it may have been removed).', 'passkey-unknown')
  const now = deps.now()
  const { rpID, origin } = relyingParty(deps)
  try {
    await deps.db.transaction().execute(async (trx) => {
      if (!(await q.consumeChallenge(trx, challenge, 'authentication', null, now))) {
        throw refusedSignIn('This sign-in was not started here, was already used or has expired: try again.')
      }
      const handle = response.response.userHandle
      if (handle !== undefined && handle !== Buffer.from(userHandleOf(user.id)).toString('base64url')) {
        throw refusedSignIn('The passkey answered for another account.')
      }
      let info
      try {
        const verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          credential: { id: passkey.credentialId, publicKey: new Uint8Array(passkey.publicKey), counter: passkey.counter, transports: passkey.transports as AuthenticatorTransportFuture[] },
          // A sign-in with no password must prove both factors: the key (possession) and the
          // user's PIN or biometrics (UV flag, WebAuthn L2 §6.1). Without UV a passkey would be
          // possession alone standing in for a doctor's or admin's two factors (SPEC §8).
          requireUserVerification: true,
        })
        if (!verified.verified) throw new Error('assertion not verified')
        info = verified.authenticationInfo
      } catch {
        throw refusedSignIn('The passkey could not be verified.')
      }
      // A disabled account's correct passkey still spends the challenge, but records no use.
      if (user.status === 'disabled') return
      const used = await q.recordPasskeyUse(trx, passkey.id, passkey.counter, {
        counter: info.newCounter,
        backedUp: info.credentialBackedUp,
        deviceType: info.credentialDeviceType,
        at: now,
      })
      if (!used) throw refusedSignIn('The passkey was used by another sign-in at the same time: try again.')
    })
  } catch (err) {
    if (err instanceof AppError) await recordFailure(deps, user, from)
    throw err
  }
  if (user.status === 'disabled') {
    await recordFailure(deps, user, from)
    throw new ForbiddenError('This account has been disabled.', 'account-disabled')
  }
  return completeSignIn(deps, user, 'passkey', from)
}

/** `auth.login_failed` on the passkey's account (resource: the user), in its own transaction. */
async function recordFailure(deps: Deps, user: UserRow, from: SignInRequest): Promise<void> {
  await deps.db.transaction().execute((trx) =>
    deps.audit.record(trx, { kind: 'attempt', account: { id: user.id, role: user.role, name: user.name }, meta: from.meta }, 'auth.login_failed', targetOf(user, { type: 'user', id: user.id })),
  )
}
