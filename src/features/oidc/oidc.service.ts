/**
 * Sign in with an OpenID Connect provider (SPEC §8): the authorization code flow with PKCE
 * (RFC 7636, S256), `state` and `nonce` (OpenID Connect Core 1.0 §3.1), through
 * `openid-client` 6.
 *
 * - `startOidcSignIn` reads the provider's discovery document (cached per relying party for
 *   a few minutes), stores the login in flight — SHA-256 of its `state` → PKCE verifier,
 *   nonce, 10 minutes — and returns the authorization URL and the state, which the route
 *   also binds to the browser with a cookie.
 * - `completeOidcSignIn` checks the state (the browser's cookie, then the stored login,
 *   consumed once by a conditional UPDATE), lets `openid-client` check the response, redeem
 *   the code with the verifier and check the ID token (issuer, audience, signature, nonce),
 *   then finds or makes the account and opens the session with `completeSignIn`.
 *
 * Which account (SPEC §8): the one already linked to (`iss`, `sub`); else the account with the
 * provider's email — linked only when the provider says `email_verified: true` and our own
 * record of that address is verified too (a stranger who registered the address first,
 * unverified, must not receive the owner's sign-in); else, when the provider says the email
 * is verified, a new active `patient` with no password. Doctors and pharmacists are never
 * created here.
 *
 * Every refusal is an `OidcSignInError`, which the routes render as a page.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import * as client from 'openid-client'
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { AppError, ConflictError, NotFoundError } from '../../app/errors.js'
import type { ResolvedConfig } from '../../app/config.js'
import { API_PREFIX } from '../../app/app-types.js'
import { SINGLE_LINE_FORBIDDEN } from '../../app/schemas.js'
import type { UserRow } from '../../db/schema.js'
import type { AccountAttempt } from '../../audit/audit.service.js'
import { completeSignIn, findAccountByEmail, insertAccount, type Session, type SignInRequest } from '../accounts/sign-in.js'
import { startSecondFactor } from '../mfa/mfa.service.js'
import type { MfaRequired } from '../mfa/mfa.schema.js'
import * as q from './oidc.queries.js'

/** How long a login may take at the provider (SPEC §8). */
export const LOGIN_TTL_MS = 10 * 60 * 1000
/** How long a discovery document is reused before it is read again. */
const DISCOVERY_TTL_MS = 5 * 60 * 1000
/** The callback's path under the public URL (the redirect URI registered at the provider). */
export const CALLBACK_PATH = `${API_PREFIX}/auth/oidc/callback`
const SCOPE = 'openid email profile'

export type OidcConfig = NonNullable<ResolvedConfig['oidc']>

/**
 * A refusal of an OpenID Connect sign-in, shown as a page (status 400, 401, 403 or 502).
 * `code` names the case (`oidc-state-mismatch`, `oidc-replayed`, …); `cause`, when set, is
 * the library's error (for the log, never for the page).
 */
export class OidcSignInError extends AppError {
  constructor(status: 400 | 401 | 403 | 502, code: string, title: string, detail: string, cause?: unknown) {
    super(status, code, title, detail)
    if (cause !== undefined) this.cause = cause
  }
}

/**
 * The relying party of one app: its settings and the provider's discovery, read at the first
 * start and again after `DISCOVERY_TTL_MS` (a failed read is not kept, so the next try reads
 * again). Undefined settings: OIDC is not configured.
 */
export interface RelyingParty {
  settings: OidcConfig | undefined
  redirectUri: string
  configuration(): Promise<client.Configuration>
}

/** Builds the relying party of `deps.config` (one per app: the discovery cache lives in it). */
export function createRelyingParty(deps: Deps): RelyingParty {
  const settings = deps.config.oidc
  let cached: { at: number; config: Promise<client.Configuration> } | undefined
  return {
    settings,
    redirectUri: `${deps.config.publicUrl}${CALLBACK_PATH}`,
    configuration() {
      if (!settings) throw new NotFoundError('Sign-in with an OpenID Connect provider is not configured.')
      const now = deps.now().getTime()
      if (!cached || now - cached.at > DISCOVERY_TTL_MS) {
        const config = discover(settings)
        cached = { at: now, config }
        config.catch(() => {
          if (cached?.config === config) cached = undefined
        })
      }
      return cached.config
    },
  }
}

/** Loopback issuers (a provider on this machine, as in tests) may speak plain HTTP; others must use TLS. */
const isLoopbackHttp = (issuer: URL) => issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname)

async function discover(settings: OidcConfig): Promise<client.Configuration> {
  const issuer = new URL(settings.issuer)
  const auth = settings.clientSecret === undefined ? client.None() : client.ClientSecretBasic(settings.clientSecret)
  return client.discovery(issuer, settings.clientId, settings.clientSecret, auth, {
    execute: isLoopbackHttp(issuer) ? [client.allowInsecureRequests] : [],
    timeout: 10,
  })
}

const unavailable = (name: string, cause: unknown) =>
  new OidcSignInError(502, 'oidc-provider-unavailable', `${name} is not answering`, `We could not reach ${name} to sign you in. Try again in a few minutes, or sign in with your email and password.`, cause)

/** SHA-256 hex of a state: what `oidc_logins` keeps. */
const stateHash = (state: string) => createHash('sha256').update(state).digest('hex')

/**
 * Begins a sign-in: the provider's authorization URL (response_type=code, scope
 * "openid email profile", PKCE S256, random `state` and `nonce`) and the state to bind to the
 * browser. Throws NotFoundError when OIDC is not configured, OidcSignInError 502 when the
 * provider's discovery cannot be read.
 */
export async function startOidcSignIn(deps: Deps, rp: RelyingParty): Promise<{ url: string; state: string }> {
  const settings = rp.settings
  if (!settings) throw new NotFoundError('Sign-in with an OpenID Connect provider is not configured.')
  let config: client.Configuration
  try {
    config = await rp.configuration()
  } catch (err) {
    throw unavailable(settings.name, err)
  }
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const now = deps.now()
  await q.deleteExpiredLogins(deps.db, now)
  await q.insertLogin(deps.db, { stateHash: stateHash(state), codeVerifier, nonce, createdAt: now, expiresAt: new Date(now.getTime() + LOGIN_TTL_MS) })
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: rp.redirectUri,
    response_type: 'code',
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  })
  return { url: url.href, state }
}

/** What the callback received: its query string as sent, and the state cookie of the browser. */
export interface OidcCallback {
  /** The raw query string (without `?`): handed to openid-client as the provider sent it. */
  search: string
  cookieState: string | undefined
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const Email = z.email().max(254)
const NOT_IN_A_NAME = new RegExp(SINGLE_LINE_FORBIDDEN.source, 'gu')

/** The claims this flow reads, from the ID token and, for what it lacks, the UserInfo endpoint. */
interface ProviderClaims {
  iss: string
  sub: string
  email: string | undefined
  emailVerified: boolean
  name: string | undefined
}

/**
 * Completes a sign-in from the provider's redirect and opens a session (method `oidc`).
 *
 * Refusals (OidcSignInError; nothing changes but the login in flight being used up):
 * 400 `oidc-state-missing` / `oidc-state-mismatch` (no state, or not the one this browser
 * started with), `oidc-replayed` (the login was already completed), `oidc-unknown-login`,
 * `oidc-expired` (over 10 minutes); 401 `oidc-denied` (the provider answered with an error,
 * e.g. the person cancelled), `oidc-exchange-failed` (code redemption or ID token checks,
 * nonce included, failed), `oidc-no-email`; 403 `oidc-email-unverified` (the email belongs
 * to an account and the provider does not say it is verified), `oidc-account-unverified`
 * (that account never confirmed its address), `account-disabled`; 502 when the provider
 * cannot be reached. Throws NotFoundError when OIDC is not configured.
 *
 * Audit (SPEC §4.7): `auth.oidc_linked` or `auth.oidc_account_created` (resource: the user)
 * in the transaction that links; `auth.logged_in` from `completeSignIn`; `auth.login_failed`
 * for a disabled account.
 */
export async function completeOidcSignIn(deps: Deps, rp: RelyingParty, callback: OidcCallback, from: SignInRequest): Promise<Session | MfaRequired> {
  const settings = rp.settings
  if (!settings) throw new NotFoundError('Sign-in with an OpenID Connect provider is not configured.')
  const params = new URLSearchParams(callback.search)
  const state = params.get('state')
  if (!state) {
    throw new OidcSignInError(400, 'oidc-state-missing', 'This sign-in link is incomplete', `The answer from ${settings.name} had no sign-in state. Start again from the sign-in page.`)
  }
  if (!callback.cookieState || !sameSecret(callback.cookieState, state)) {
    throw new OidcSignInError(400, 'oidc-state-mismatch', 'This sign-in did not start here',
      `This answer from ${settings.name} does not belong to a sign-in started in this browser (or the browser did not keep its cookie). Start again from the sign-in page.`)
  }
  const now = deps.now()
  const login = await q.consumeLogin(deps.db, stateHash(state), now)
  if (!login) {
    if (await q.loginExists(deps.db, stateHash(state))) {
      throw new OidcSignInError(400, 'oidc-replayed', 'This sign-in was already used', 'This sign-in link has already been used once. Start again from the sign-in page.')
    }
    throw new OidcSignInError(400, 'oidc-unknown-login', 'This sign-in is not known', 'We have no record of this sign-in. Start again from the sign-in page.')
  }
  if (login.expiresAt.getTime() <= now.getTime()) {
    throw new OidcSignInError(400, 'oidc-expired', 'This sign-in took too long', 'Sign-in must be finished within 10 minutes. Start again from the sign-in page.')
  }
  if (params.has('error')) {
    const denied = params.get('error') === 'access_denied'
    throw new OidcSignInError(401, 'oidc-denied', denied ? `${settings.name} sign-in was cancelled` : `${settings.name} did not sign you in`,
      denied ? `You cancelled or declined the sign-in at ${settings.name}. Nothing was changed.` : `${settings.name} could not sign you in. Nothing was changed; you can try again.`)
  }
  let config: client.Configuration
  try {
    config = await rp.configuration()
  } catch (err) {
    throw unavailable(settings.name, err)
  }
  const claims = await redeem(config, rp, callback.search, state, login, settings.name)
  const user = await findOrCreateAccount(deps, claims, settings.name, from)
  if (user.status === 'disabled') {
    const attempt: AccountAttempt = { kind: 'attempt', account: { id: user.id, role: user.role, name: user.name }, meta: from.meta }
    await deps.db.transaction().execute((trx) =>
      deps.audit.record(trx, attempt, 'auth.login_failed', { patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } }))
    throw new OidcSignInError(403, 'account-disabled', 'This account is disabled', 'This account has been disabled. Ask the administrator of this CareLocker if you think this is a mistake.')
  }
  // An account with a confirmed TOTP or a passkey proves it as after a password (SPEC §8):
  // the provider vouches for the email, not for the second factor.
  return (await startSecondFactor(deps, user)) ?? completeSignIn(deps, user, 'oidc', from)
}

/** Redeems the code (PKCE verifier, state and nonce checked by openid-client) and reads the claims. */
async function redeem(
  config: client.Configuration,
  rp: RelyingParty,
  search: string,
  state: string,
  login: { codeVerifier: string; nonce: string },
  name: string,
): Promise<ProviderClaims> {
  const refused = (cause: unknown) =>
    new OidcSignInError(401, 'oidc-exchange-failed', `${name} did not confirm the sign-in`, `We could not confirm this sign-in with ${name}. Nothing was changed; start again from the sign-in page.`, cause)
  const currentUrl = new URL(rp.redirectUri)
  currentUrl.search = search
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>
  try {
    tokens = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: login.codeVerifier, expectedState: state, expectedNonce: login.nonce })
  } catch (err) {
    throw refused(err)
  }
  const idToken = tokens.claims()
  if (!idToken) throw refused(new Error('no ID token'))
  let source: Record<string, unknown> = idToken
  if (idToken.email === undefined) {
    // Providers that keep scope claims out of the ID token (OIDC Core §5.4) give them at UserInfo.
    try {
      source = { ...(await client.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...idToken }
    } catch (err) {
      throw refused(err)
    }
  }
  const email = Email.safeParse(typeof source.email === 'string' ? source.email.trim() : undefined)
  // A name is a single line without invisible characters here (SPEC §6), whatever the provider holds.
  const displayName = typeof source.name === 'string' ? source.name.replace(NOT_IN_A_NAME, '').replace(/\s+/g, ' ').trim().slice(0, 200) : ''
  return {
    iss: idToken.iss,
    sub: idToken.sub,
    email: email.success ? email.data : undefined,
    emailVerified: source.email_verified === true,
    name: displayName || undefined,
  }
}

/**
 * The account for the provider's identity, linking or creating it (see the module's rules).
 * One transaction; the identity's primary key and the email's unique index settle races (the
 * loser gets a 400 page `oidc-conflict`).
 */
async function findOrCreateAccount(deps: Deps, claims: ProviderClaims, providerName: string, from: SignInRequest): Promise<UserRow> {
  const linked = await q.findIdentityUser(deps.db, claims.iss, claims.sub)
  if (linked) return linked
  const email = claims.email
  if (!email) {
    throw new OidcSignInError(401, 'oidc-no-email', `${providerName} did not share your email`,
      `CareLocker needs the email address of your ${providerName} account to sign you in. Allow access to it and try again, or sign in with your email and password.`)
  }
  const now = deps.now()
  return linkOrCreate(deps, claims, email, providerName, from, now).catch((err: unknown) => {
    // Two sign-ins of the same person at once: the other one linked or created the account first.
    if (err instanceof ConflictError) throw new OidcSignInError(400, 'oidc-conflict', 'Signed in twice at once', 'Another sign-in for this account finished at the same moment. Start again from the sign-in page.', err)
    throw err
  })
}

async function linkOrCreate(deps: Deps, claims: ProviderClaims, email: string, providerName: string, from: SignInRequest, now: Date): Promise<UserRow> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await findAccountByEmail(trx, email)
    if (existing && !claims.emailVerified) {
      throw new OidcSignInError(403, 'oidc-email-unverified', 'Your email is not verified there',
        `An account with this email already exists here, but ${providerName} does not say the address is verified, so we cannot link them. Sign in with your email and password instead.`)
    }
    // Nor is an account made from an address the provider has not verified: whoever claimed it
    // there would keep signing in to it after its real owner took it over by a password reset.
    if (!existing && !claims.emailVerified) {
      throw new OidcSignInError(403, 'oidc-email-unverified', 'Your email is not verified there',
        `${providerName} does not say your email address is verified, so we cannot make an account from it. Verify it at ${providerName}, or create an account with your email and a password.`)
    }
    if (existing && existing.emailVerifiedAt === null) {
      throw new OidcSignInError(403, 'oidc-account-unverified', 'Confirm your email first',
        `An account with this email exists here but its address was never confirmed. Sign in with your email and password and confirm your address, then you can use ${providerName}.`)
    }
    // A disabled account is refused by the caller; it is not linked meanwhile.
    if (existing?.status === 'disabled') return existing
    const user = existing ?? (await insertAccount(trx, {
      email,
      passwordHash: null,
      role: 'patient',
      status: 'active',
      name: claims.name ?? email.slice(0, email.indexOf('@')),
      emailVerifiedAt: now,
      createdAt: now,
      updatedAt: now,
    }))
    await q.insertIdentity(trx, { issuer: claims.iss, subject: claims.sub, userId: user.id, createdAt: now })
    const attempt: AccountAttempt = { kind: 'attempt', account: { id: user.id, role: user.role, name: user.name }, meta: from.meta }
    const target = { patientId: user.role === 'patient' ? user.id : null, resource: { type: 'user', id: user.id } }
    await deps.audit.record(trx, attempt, existing ? 'auth.oidc_linked' : 'auth.oidc_account_created', target)
    return user
  })
}
