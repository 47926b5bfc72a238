/** HTTP route of the first-run setup (SPEC §1). One service call per handler. */
import type { FeatureRoutes } from '../../app/deps.js'
import { requestMeta } from '../../app/auth-hook.js'
import { Problem } from '../../app/schemas.js'
import { SessionReply, sessionReply } from '../accounts/refresh-cookie.js'
import { SetupAdminBody } from './setup.schema.js'
import { completeSetup } from './setup.service.js'

/** Mounts `POST /setup/admin` (public, with the one-time setup token). */
export const setupRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/setup/admin', {
    config: { access: 'public' },
    schema: {
      tags: ['setup'],
      summary: 'Create the first admin with the setup link printed at start',
      description:
        'Public, with the one-time token of `$PUBLIC_URL/setup#<token>`. 201 and a session, like registration (`X-Refresh-Cookie: 1` for the cookie flow). ' +
        '410 `setup-token-used` once the token has been used, 410 `setup-complete` when an admin exists, 404 for an unknown token. Rate-limited per IP like registration.',
      security: [],
      body: SetupAdminBody,
      response: { 201: SessionReply, 400: Problem, 404: Problem, 409: Problem, 410: Problem, 429: Problem },
    },
    // Counts against the registration limit of the IP (RATE_LIMIT_REGISTER_PER_HOUR), under its own key.
    preHandler: async (req, reply) => deps.rateLimits.hit('register', `setup|${req.ip}`, reply),
  }, async (req, reply) => reply.code(201).send(sessionReply(deps, req, reply, await completeSetup(deps, req.body, requestMeta(req)))))
}
