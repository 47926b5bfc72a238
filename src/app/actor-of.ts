import type { FastifyRequest } from 'fastify'
import { isUser, type UserActor } from '../policy/index.js'
import { UnauthorizedError } from './errors.js'

/** The signed-in user of a request whose route gate already required one. */
export function userOf(req: FastifyRequest): UserActor {
  if (!isUser(req.actor)) throw new UnauthorizedError()
  return req.actor
}
