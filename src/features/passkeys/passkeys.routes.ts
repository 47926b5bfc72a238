/** HTTP routes of passkeys (SPEC §8). One service call per handler. */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, Problem } from '../../app/schemas.js'
import { userOf } from '../../app/actor-of.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { signInRequest } from '../accounts/sign-in.js'
import { SessionReply, sessionReply } from '../accounts/refresh-cookie.js'
import {
  AuthenticationOptions,
  Passkey,
  PasskeyList,
  PasskeyParams,
  PasskeySignInBody,
  RegisterPasskeyBody,
  RegistrationOptions,
  RenamePasskeyBody,
  toPasskeyDto,
} from './passkeys.schema.js'
import { authenticationOptions, listPasskeys, registerPasskey, registrationOptions, removePasskey, renamePasskey, signInWithPasskey } from './passkeys.service.js'

// Pending clinicians manage their passkeys too: it is their account's security, not clinical use.
const signedIn = ACCOUNT_ROUTE_ACCESS
const tags = ['passkeys']

/** Mounts `/auth/passkeys/*`: register, list, rename, remove, and sign in with a passkey (SPEC §8). */
export const passkeysRoutes: FeatureRoutes = async (app, { deps }) => {
  // The public ceremony routes share the sign-in limit per IP (SPEC §6).
  const limitPerIp = async (req: { ip: string }, reply: Parameters<typeof deps.rateLimits.hit>[2]) => deps.rateLimits.hit('login', `passkey|${req.ip}`, reply)

  app.post('/auth/passkeys/registration/options', {
    config: { access: signedIn },
    schema: { tags, summary: 'Start adding a passkey', body: EmptyBody, response: { 200: RegistrationOptions, 401: Problem } },
  }, async (req) => registrationOptions(deps, userOf(req)))

  app.post('/auth/passkeys/registration', {
    config: { access: signedIn },
    schema: { tags, summary: 'Add a passkey', body: RegisterPasskeyBody, response: { 201: Passkey, 400: Problem, 401: Problem, 409: Problem } },
  }, async (req, reply) => reply.code(201).send(toPasskeyDto(await registerPasskey(deps, userOf(req), req.body))))

  app.get('/auth/passkeys', {
    config: { access: signedIn },
    schema: { tags, summary: 'My passkeys', response: { 200: PasskeyList, 401: Problem } },
  }, async (req) => ({ items: (await listPasskeys(deps, userOf(req))).map(toPasskeyDto) }))

  app.patch('/auth/passkeys/:id', {
    config: { access: signedIn },
    schema: { tags, summary: 'Rename a passkey', params: PasskeyParams, body: RenamePasskeyBody, response: { 200: Passkey, 400: Problem, 401: Problem, 404: Problem } },
  }, async (req) => toPasskeyDto(await renamePasskey(deps, userOf(req), req.params.id, req.body.name)))

  app.delete('/auth/passkeys/:id', {
    config: { access: signedIn },
    schema: { tags, summary: 'Remove a passkey', params: PasskeyParams, response: { 204: z.null(), 401: Problem, 404: Problem } },
  }, async (req, reply) => {
    await removePasskey(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/auth/passkeys/authentication/options', {
    config: { access: 'public' },
    schema: { tags, summary: 'Start signing in with a passkey', security: [], body: EmptyBody, response: { 200: AuthenticationOptions, 429: Problem } },
    preHandler: limitPerIp,
  }, async () => authenticationOptions(deps))

  app.post('/auth/passkeys/authentication', {
    config: { access: 'public' },
    schema: { tags, summary: 'Sign in with a passkey', security: [], body: PasskeySignInBody, response: { 200: SessionReply, 400: Problem, 401: Problem, 403: Problem, 429: Problem } },
    preHandler: limitPerIp,
  }, async (req, reply) => sessionReply(deps, req, reply, await signInWithPasskey(deps, req.body.response, signInRequest(req))))
}
