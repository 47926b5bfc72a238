/**
 * First run (SPEC §1): while no active admin exists and `ADMIN_EMAIL` is unset, every start
 * prints a one-time link `$PUBLIC_URL/setup#<token>`; the page (or `POST /setup/admin`)
 * creates the first admin with it.
 *
 * - The token is 32 bytes from the OS CSPRNG (256 bits), base64url. Only its SHA-256 is
 *   stored (`setup_tokens`); a bare hash is enough for a secret of that size.
 * - Each start replaces the unused tokens: only the link printed by the latest start
 *   works (several nodes starting at once: the last one's). A used token stays, marked,
 *   so it answers 410 `setup-token-used` rather than 404.
 * - It sits in the URL fragment, which browsers never send to a server: it stays out of
 *   access logs and Referer headers. The page posts it in a JSON body.
 * - Once an active admin exists (by the link, `ADMIN_EMAIL` or `npm run admin -- create`)
 *   no link is printed and every token is refused with 410 `setup-complete`.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Deps } from '../../app/deps.js'
import { GoneError, NotFoundError } from '../../app/errors.js'
import type { RequestMeta, UserActor } from '../../policy/index.js'
import { createAdminWithSession, type Session } from '../accounts/accounts.service.js'
import { assertPasswordAllowed } from '../accounts/password-policy.js'
import * as q from './setup.queries.js'

const TOKEN_BYTES = 32

const hashSetupToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex')

export interface SetupInput {
  token: string
  email: string
  password: string
  name: string
}

/**
 * Issues a new setup token when no active admin exists and returns the link to print
 * (`$PUBLIC_URL/setup#<token>`); older unused tokens stop working. Returns undefined —
 * and voids any unused token — when an active admin exists. `main.ts` calls it at every
 * start unless `ADMIN_EMAIL` is set.
 */
export async function prepareSetupLink(deps: Deps): Promise<string | undefined> {
  if (await q.hasActiveAdmin(deps.db)) {
    await q.deleteUnusedSetupTokens(deps.db)
    return undefined
  }
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  await q.replaceUnusedSetupTokens(deps.db, hashSetupToken(token), deps.now())
  return `${deps.config.publicUrl}/setup#${token}`
}

const tokenUsed = () => new GoneError('This setup link has already been used. Sign in with the admin account it created.', 'setup-token-used')
const setupComplete = () => new GoneError('CareLocker already has an administrator. Sign in instead.', 'setup-complete')

/**
 * Creates the first active admin with a setup token and signs them in (201, like
 * registration). In order: a used token → 410 `setup-token-used`; an active admin exists →
 * 410 `setup-complete`; an unknown (or superseded) token → 404; a password that breaks the
 * policy → 400 `password-too-common`; a taken email → 409 `email-taken` (the token stays
 * usable). Token, account, session and the `setup.admin_created` audit event are one
 * transaction, serialized against other setups, so exactly one first admin is created.
 */
export async function completeSetup(deps: Deps, input: SetupInput, meta: RequestMeta): Promise<Session> {
  const tokenHash = hashSetupToken(input.token)
  const known = await q.findSetupToken(deps.db, tokenHash)
  if (known?.usedAt) throw tokenUsed()
  if (await q.hasActiveAdmin(deps.db)) throw setupComplete()
  if (!known) throw new NotFoundError('This setup link is not valid. Use the link printed by the latest start of the server.')
  // Before the transaction: a refusal costs no argon2 hash and no lock.
  assertPasswordAllowed(input.password, input.email, '/password')
  return deps.db.transaction().execute(async (trx) => {
    await q.lockSetup(trx)
    if (await q.hasActiveAdmin(trx)) throw setupComplete()
    const session = await createAdminWithSession(deps, trx, { email: input.email, password: input.password, name: input.name }, { meta, browserId: undefined })
    if (!(await q.useSetupToken(trx, tokenHash, session.user.id, deps.now()))) {
      throw (await q.findSetupToken(trx, tokenHash)) ? tokenUsed() : new NotFoundError('This setup link is not valid. Use the link printed by the latest start of the server.')
    }
    const actor: UserActor = { kind: 'user', id: session.user.id, role: 'admin', status: 'active', name: session.user.name, sessionId: session.sessionId, secondFactor: false, meta }
    await deps.audit.record(trx, actor, 'setup.admin_created', { patientId: null, resource: { type: 'user', id: session.user.id } })
    return session
  })
}
