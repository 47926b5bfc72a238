/** HTTP routes of email verification (SPEC §8). One service call per handler. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { requestMeta } from '../../app/request-meta.js'
import { EmptyBody, Problem } from '../../app/schemas.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { User, toUserDto } from '../accounts/accounts.schema.js'
import { resendEmailVerification, verifyEmail } from './email-verification.service.js'

const tags = ['accounts']

/** Mounts `POST /auth/email/verify` (public) and `POST /auth/email/resend` (signed in, pending clinicians too). */
export const emailVerificationRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/auth/email/verify', {
    config: { access: 'public' },
    preHandler: async (req, reply) => deps.rateLimits.hit('public', req.ip, reply),
    schema: {
      tags,
      summary: 'Verify the email address with the emailed link’s token',
      security: [],
      body: z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Expected the token of the link.') }).strict(),
      response: { 200: z.object({ user: User }).strict(), 400: Problem, 410: Problem, 429: Problem },
    },
  }, async (req) => ({ user: toUserDto(await verifyEmail(deps, req.body.token, requestMeta(req))) }))

  app.post('/auth/email/resend', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    preHandler: async (req, reply) => deps.rateLimits.hit('emailVerificationResend', userOf(req).id, reply),
    schema: {
      tags,
      summary: 'Send the verification email again (409 when already verified)',
      body: EmptyBody,
      response: { 202: z.null(), 401: Problem, 409: Problem, 429: Problem },
    },
  }, async (req, reply) => {
    await resendEmailVerification(deps, userOf(req))
    return reply.code(202).send(null)
  })
}
