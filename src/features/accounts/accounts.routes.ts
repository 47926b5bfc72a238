/** HTTP routes of accounts and sessions (SPEC §4.1). One service call per handler. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Problem } from '../../app/schemas.js'
import { userOf } from '../../app/actor-of.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { ChangePasswordBody, LoginBody, RegisterBody, User, toUserDto } from './accounts.schema.js'
import { changePassword, getMe, login, logout, register } from './accounts.service.js'
import { dummyPasswordHash } from './passwords.js'
import { signInRequest } from './sign-in.js'
import { clearRefreshCookie, RefreshBodyOrCookie, refreshFromRequest, SessionReply, sessionReply } from './refresh-cookie.js'
import { MfaRequired } from '../mfa/mfa.schema.js'

const signedIn = ACCOUNT_ROUTE_ACCESS
const tags = ['accounts']

/** Mounts `/auth/*`: register, login, refresh, logout, me and password change (SPEC §4.1). */
export const accountsRoutes: FeatureRoutes = async (app, { deps }) => {
  // The hash unknown emails are checked against exists before the first login (no slow first miss).
  app.addHook('onReady', async () => {
    await dummyPasswordHash()
  })

  app.post('/auth/register', {
    config: { access: 'public' },
    schema: { tags, summary: 'Create an account', security: [], body: RegisterBody, response: { 201: SessionReply, 400: Problem, 409: Problem, 429: Problem } },
    preHandler: async (req, reply) => deps.rateLimits.hit('register', req.ip, reply),
  }, async (req, reply) => reply.code(201).send(sessionReply(deps, req, reply, await register(deps, req.body, signInRequest(req)))))

  app.post('/auth/login', {
    config: { access: 'public' },
    // 200: a session, or (an account with a second factor, SPEC §8) the `mfaToken` step and no session yet.
    schema: { tags, summary: 'Sign in', security: [], body: LoginBody, response: { 200: z.union([SessionReply, MfaRequired]), 401: Problem, 403: Problem, 429: Problem } },
    // Every attempt counts here; the failure limits (SPEC §6) are kept by `login` itself.
    preHandler: async (req, reply) => deps.rateLimits.hit('login', `${req.ip}|${req.body.email}`, reply),
  }, async (req, reply) => {
    const answer = await login(deps, req.body.email, req.body.password, signInRequest(req))
    return 'mfaRequired' in answer ? answer : sessionReply(deps, req, reply, answer)
  })

  app.post('/auth/refresh', {
    config: { access: 'public' },
    schema: { tags, summary: 'Rotate a refresh token', security: [], body: RefreshBodyOrCookie, response: { 200: SessionReply, 401: Problem } },
  }, async (req, reply) => refreshFromRequest(deps, req, reply, req.body?.refreshToken))

  app.post('/auth/logout', {
    config: { access: signedIn },
    schema: { tags, summary: 'End this session', body: EmptyBody, response: { 204: z.null(), 401: Problem } },
  }, async (req, reply) => {
    await logout(deps, userOf(req))
    clearRefreshCookie(deps, req, reply)
    return reply.code(204).send(null)
  })

  app.get('/auth/me', {
    config: { access: signedIn },
    schema: { tags, summary: 'The signed-in account', response: { 200: z.object({ user: User }), 401: Problem } },
  }, async (req) => ({ user: toUserDto(await getMe(deps, userOf(req))) }))

  app.put('/auth/password', {
    config: { access: signedIn },
    schema: { tags, summary: 'Change password (other sessions are ended)', body: ChangePasswordBody, response: { 204: z.null(), 400: Problem, 401: Problem } },
  }, async (req, reply) => {
    await changePassword(deps, userOf(req), req.body.currentPassword, req.body.newPassword)
    return reply.code(204).send(null)
  })
}
