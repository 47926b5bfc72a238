import type { FastifyRequest } from 'fastify'
import type { RequestMeta } from '../policy/actor.js'

/** The caller's IP and user agent, as kept in audit events. */
export function requestMeta(req: FastifyRequest): RequestMeta {
  return { ip: req.ip, userAgent: String(req.headers['user-agent'] ?? '').slice(0, 500) }
}
