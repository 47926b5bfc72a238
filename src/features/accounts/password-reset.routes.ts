/** HTTP routes of the password reset (SPEC §4.1). */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem } from '../../app/schemas.js'
import { Email, Password } from './accounts.schema.js'
import { confirmPasswordReset, requestPasswordReset } from './password-reset.service.js'

const tags = ['accounts']

/** Mounts `/auth/password-reset/request` and `/confirm` (public, rate-limited). */
export const passwordResetRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/auth/password-reset/request', {
    config: { access: 'public' },
    preHandler: async (req, reply) => deps.rateLimits.hit('passwordReset', (req.body as { email: string }).email, reply),
    schema: {
      tags,
      summary: 'Email a one-time reset code (202 whether or not the email has an account)',
      security: [],
      body: z.object({ email: Email }).strict(),
      response: { 202: z.null(), 400: Problem, 429: Problem },
    },
  }, async (req, reply) => {
    await requestPasswordReset(deps, req.body.email)
    return reply.code(202).send(null)
  })

  app.post('/auth/password-reset/confirm', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Set a new password with the emailed code; every session is ended',
      security: [],
      body: z.object({ email: Email, code: z.string().trim().regex(/^\d{6,12}$/, 'Expected the digits of the code.'), newPassword: Password }).strict(),
      response: { 204: z.null(), 400: Problem },
    },
  }, async (req, reply) => {
    await confirmPasswordReset(deps, req.body.email, req.body.code, req.body.newPassword)
    return reply.code(204).send(null)
  })
}
