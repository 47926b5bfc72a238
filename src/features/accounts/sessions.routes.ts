/** HTTP routes of the caller's sessions (SPEC §8). One service call per handler. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { Problem, toInstant, Uuid } from '../../app/schemas.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { listSessions, revokeSession, type SessionView } from './sessions.service.js'

const signedIn = ACCOUNT_ROUTE_ACCESS
const tags = ['accounts']

export const SessionItem = z
  .object({
    id: z.uuid(),
    current: z.boolean().describe('The session of this request.'),
    createdAt: z.string().describe('Sign-in.'),
    lastUsedAt: z.string().describe('Sign-in or the last refresh.'),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .strict()

const toSessionItem = (s: SessionView): z.infer<typeof SessionItem> => ({
  id: s.id,
  current: s.current,
  createdAt: toInstant(s.createdAt),
  lastUsedAt: toInstant(s.lastUsedAt),
  ip: s.ip,
  userAgent: s.userAgent,
})

/** Mounts `GET /auth/sessions` and `DELETE /auth/sessions/{id}` (any signed-in account, pending clinicians too). */
export const sessionsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/auth/sessions', {
    config: { access: signedIn },
    schema: { tags, summary: 'The live sessions of this account', response: { 200: z.object({ items: z.array(SessionItem) }).strict(), 401: Problem } },
  }, async (req) => ({ items: (await listSessions(deps, userOf(req))).map(toSessionItem) }))

  app.delete('/auth/sessions/:id', {
    config: { access: signedIn },
    schema: {
      tags,
      summary: 'End one session of this account (its tokens stop at once)',
      params: z.object({ id: Uuid }).strict(),
      response: { 204: z.null(), 401: Problem, 404: Problem },
    },
  }, async (req, reply) => {
    await revokeSession(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })
}
