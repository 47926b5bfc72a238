/** Turns the `Authorization: Bearer` header into an actor (SPEC §2 Auth). */
import type { FastifyRequest } from 'fastify'
import { authenticateAccessToken } from '../features/accounts/accounts.service.js'
import type { Actor } from '../policy/index.js'
import { requestMeta } from './request-meta.js'

export { requestMeta } from './request-meta.js'
import type { Deps } from './deps.js'
import { UnauthorizedError } from './errors.js'

/**
 * The request's actor, or null without credentials. A bad, expired or revoked token is a
 * 401; public routes do not look at credentials at all.
 */
export async function authenticateRequest(deps: Deps, req: FastifyRequest, isPublic: boolean): Promise<Actor | null> {
  const header = req.headers.authorization
  if (!header || isPublic) return null
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  const actor = match?.[1] ? await authenticateAccessToken(deps, match[1], requestMeta(req)) : null
  if (!actor) throw new UnauthorizedError('The access token is invalid, expired or revoked.', 'invalid-token')
  return actor
}
