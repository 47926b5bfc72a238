/** HTTP routes of two-factor sign-in (SPEC §8): TOTP set-up, confirm, turn off, recovery codes, and the `mfaToken` sign-in step. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Problem } from '../../app/schemas.js'
import { userOf } from '../../app/actor-of.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { sessionReply, SessionReply } from '../accounts/refresh-cookie.js'
import { signInRequest } from '../accounts/sign-in.js'
import { ConfirmTotpBody, DisableTotpBody, LoginMfaBody, RecoveryCodes, RegenerateRecoveryCodesBody, TotpSetup, TotpStatus, toTotpStatusDto } from './mfa.schema.js'
import { completeSecondFactor, confirmTotp, disableTotp, getTotpStatus, replaceRecoveryCodes, setUpTotp } from './mfa.service.js'

const tags = ['accounts']

/** Mounts `/auth/mfa/*` (account routes: open to every role before it enrols, SPEC §8) and `POST /auth/login/mfa` (public). */
export const mfaRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/auth/mfa/totp', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    schema: { tags, summary: 'Whether two-factor sign-in (TOTP) is on, and the recovery codes left', response: { 200: TotpStatus, 401: Problem } },
  }, async (req) => toTotpStatusDto(await getTotpStatus(deps, userOf(req))))

  app.post('/auth/mfa/totp/setup', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    schema: { tags, summary: 'Start setting up an authenticator app (TOTP)', body: EmptyBody, response: { 200: TotpSetup, 401: Problem, 409: Problem } },
  }, async (req) => setUpTotp(deps, userOf(req)))

  app.post('/auth/mfa/totp/confirm', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    schema: { tags, summary: 'Confirm the authenticator with a code; answers the recovery codes, once', body: ConfirmTotpBody, response: { 200: RecoveryCodes, 400: Problem, 401: Problem, 409: Problem } },
  }, async (req) => ({ recoveryCodes: await confirmTotp(deps, userOf(req), req.body.code) }))

  app.delete('/auth/mfa/totp', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    schema: { tags, summary: 'Turn two-factor sign-in off (password and a code)', body: DisableTotpBody, response: { 204: z.null(), 400: Problem, 401: Problem, 409: Problem } },
  }, async (req, reply) => {
    await disableTotp(deps, userOf(req), req.body)
    return reply.code(204).send(null)
  })

  app.post('/auth/mfa/recovery-codes', {
    config: { access: ACCOUNT_ROUTE_ACCESS },
    schema: { tags, summary: 'Replace the recovery codes (a code needed); answers the new ones, once', body: RegenerateRecoveryCodesBody, response: { 200: RecoveryCodes, 400: Problem, 401: Problem, 409: Problem } },
  }, async (req) => ({ recoveryCodes: await replaceRecoveryCodes(deps, userOf(req), req.body.code) }))

  app.post('/auth/login/mfa', {
    config: { access: 'public' },
    schema: { tags, summary: 'Finish signing in with the second factor', security: [], body: LoginMfaBody, response: { 200: SessionReply, 400: Problem, 401: Problem, 429: Problem } },
  }, async (req, reply) => sessionReply(deps, req, reply, await completeSecondFactor(deps, req.body.mfaToken, req.body.code, signInRequest(req))))
}
