/**
 * HTTP routes of SMART Health Links (SPEC §9, HL7 SHL IG STU1): the patient's create, list
 * and revoke, and the public protocol — `POST /shl/{manifestId}` (the manifest) and
 * `GET /shl-files/{token}` (a file location). The public routes are rate-limited per IP
 * like the share routes and readable cross-origin by any SHL viewer
 * (`Access-Control-Allow-Origin: *`, no credentials; answered preflights); the patient's
 * routes are not.
 */
import type { Readable } from 'node:stream'
import type { FastifyReply } from 'fastify'
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import { requestMeta } from '../../app/auth-hook.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { ListQuery, Page, Problem, StorageUnavailable, toInstant, Uuid } from '../../app/schemas.js'
import { CreatedShl, CreateShlBody, Manifest, ManifestRequest, ShlLink } from './shl.schema.js'
import { createShl, listShl, openLocation, openManifest, revokeShl } from './shl.service.js'

const tags = ['smart-health-links']
const patientOnly = { roles: ['patient'] } as const
const TokenParams = z.object({ token: z.string().min(16).max(128).regex(/^[A-Za-z0-9_-]+$/) }).strict()
const ManifestParams = z.object({ manifestId: z.string().min(16).max(128).regex(/^[A-Za-z0-9_-]+$/) }).strict()

/** CORS of the public protocol routes: any origin may read, never with credentials. */
function allowAnyOrigin(reply: FastifyReply): void {
  reply.header('access-control-allow-origin', '*')
  reply.header('access-control-expose-headers', 'content-type, content-length, retry-after')
}

/** Streams a stored compact JWE (IG: `Content-Type: application/jose`). */
function sendJwe(reply: FastifyReply, file: { stream: Readable; length: number }): FastifyReply {
  return reply.type('application/jose').header('content-length', String(file.length)).send(file.stream)
}

/** Mounts the patient's `/patients/me/shl` routes and the public manifest and file routes. */
export const shlRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/me/shl', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Make a SMART Health Link of your summary and records (the link and its key are shown only here)',
      body: CreateShlBody,
      response: { 201: CreatedShl, 400: Problem, 403: Problem, 404: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) => {
    const created = await createShl(deps, userOf(req), req.body)
    return reply.code(201).send({ ...created, expiresAt: toInstant(created.expiresAt) })
  })

  app.get('/patients/me/shl', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Your SMART Health Links with their status and who opened them', querystring: z.object(ListQuery).strict(), response: { 200: Page(ShlLink), 400: Problem } },
  }, async (req) => listShl(deps, userOf(req), req.query))

  app.delete('/patients/me/shl/:id', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Revoke a SMART Health Link (its encrypted files are deleted)', params: z.object({ id: Uuid }).strict(), response: { 204: z.null(), 404: Problem } },
  }, async (req, reply) => {
    await revokeShl(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })

  const publicRoute = { access: 'public' as const }
  const cors = async (_req: unknown, reply: FastifyReply) => allowAnyOrigin(reply)
  const limitPerIp = async (req: { ip: string }, reply: FastifyReply) => deps.rateLimits.hit('public', req.ip, reply)
  const preflight = (methods: string) => async (_req: unknown, reply: FastifyReply) =>
    reply
      .code(204)
      .headers({ 'access-control-allow-methods': methods, 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' })
      .send()

  app.post('/shl/:manifestId', {
    config: publicRoute,
    onRequest: cors,
    preHandler: limitPerIp,
    schema: {
      tags,
      summary: 'SMART Health Link manifest (public; IG "SHL Manifest Request")',
      security: [],
      params: ManifestParams,
      body: ManifestRequest,
      response: { 200: Manifest, 400: Problem, 401: Problem, 404: Problem, 429: Problem, 503: StorageUnavailable },
    },
  }, async (req) => openManifest(deps, req.params.manifestId, req.body, requestMeta(req)))

  app.options('/shl/:manifestId', { config: publicRoute, onRequest: cors, schema: { hide: true, params: ManifestParams } }, preflight('POST'))

  app.get('/shl-files/:token', {
    config: publicRoute,
    onRequest: cors,
    preHandler: limitPerIp,
    exposeHeadRoute: false,
    schema: {
      tags,
      summary: 'One file of a SMART Health Link as a compact JWE (public; the location works for an hour)',
      security: [],
      produces: ['application/jose'],
      params: TokenParams,
      response: { 200: z.string().describe('Compact JWE'), 404: Problem, 410: Problem, 429: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) => {
    return sendJwe(reply, await openLocation(deps, req.params.token))
  })

  app.options('/shl-files/:token', { config: publicRoute, onRequest: cors, schema: { hide: true, params: TokenParams } }, preflight('GET'))
}
