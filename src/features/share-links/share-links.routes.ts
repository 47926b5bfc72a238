/**
 * HTTP routes of share links (SPEC §4.5): the patient's create/list/revoke, and the public,
 * read-only `GET /shared/{token}` and `…/content` (any other method is 405), rate-limited
 * per IP. The person-facing page `/s/<token>` lives in share-page.routes.ts.
 */
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import { requestMeta } from '../../app/auth-hook.js'
import type { Deps, FeatureRoutes } from '../../app/deps.js'
import { ListQuery, Page, Problem, StorageUnavailable, Uuid, toInstant } from '../../app/schemas.js'
import { headerOf, sendRecordContent, sendRecordHead } from '../records/content-reply.js'
import { MedicalRecord, toRecordDto } from '../records/records.schema.js'
import { CreateShareBody, CreatedShare, ShareLink } from './share-links.schema.js'
import { createShare, getSharedRecord, listShares, openSharedContent, revokeShare } from './share-links.service.js'

const tags = ['share-links']
const patientOnly = { roles: ['patient'] } as const
const TokenParams = z.object({ token: z.string().min(16).max(128) }).strict()
const Bytes = z.string().describe('The file bytes')
const PASSCODE_HEADER = 'x-share-passcode'

/** Mounts the patient's share links and the public `/shared/{token}` routes. */
export const shareLinksRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/:pid/records/:id/shares', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: {
      tags,
      summary: 'Share one record through an expiring link (the token is shown only here)',
      params: z.object({ pid: z.union([z.literal('me'), Uuid]), id: Uuid }).strict(),
      body: CreateShareBody,
      response: { 201: CreatedShare, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req, reply) => {
    const { link, token, url } = await createShare(deps, userOf(req), req.params.pid, req.params.id, req.body)
    return reply.code(201).send({
      id: link.id,
      recordId: link.recordId,
      url,
      token,
      expiresAt: toInstant(link.expiresAt),
      passcodeRequired: link.passcodeHash !== null,
      maxViews: link.maxViews,
      createdAt: toInstant(link.createdAt),
    })
  })

  app.get('/shares', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: "The share links of your locker (or, with patientId, of a patient you manage as a caregiver) with their status",
      querystring: z.object({ ...ListQuery, patientId: Uuid.optional().describe('A patient whose `manage` caregiver you are (SPEC §10); absent: your own') }).strict(),
      response: { 200: Page(ShareLink), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listShares(deps, userOf(req), req.query))

  app.delete('/shares/:id', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Revoke a share link (the patient, or a `manage` caregiver of theirs)', params: z.object({ id: Uuid }).strict(), response: { 204: z.null(), 403: Problem, 404: Problem } },
  }, async (req, reply) => {
    await revokeShare(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })

  const publicRoute = {
    access: 'public' as const,
  }
  const limitPerIp = async (req: { ip: string }, reply: Parameters<Deps['rateLimits']['hit']>[2]) => deps.rateLimits.hit('public', req.ip, reply)

  app.get('/shared/:token', {
    config: publicRoute,
    preHandler: limitPerIp,
    schema: {
      tags,
      summary: 'A shared record’s metadata (public; passcode in X-Share-Passcode)',
      security: [],
      params: TokenParams,
      response: { 200: z.object({ record: MedicalRecord, expiresAt: z.string() }), 401: Problem, 404: Problem, 410: Problem, 429: Problem },
    },
  }, async (req) => {
    const { record, expiresAt } = await getSharedRecord(deps, req.params.token, headerOf(req, PASSCODE_HEADER), requestMeta(req))
    return { record: toRecordDto(record), expiresAt: toInstant(expiresAt) }
  })

  app.get('/shared/:token/content', {
    config: publicRoute,
    exposeHeadRoute: false,
    preHandler: limitPerIp,
    schema: {
      tags,
      summary: 'A shared record’s bytes; each successful call is a view (public)',
      security: [],
      produces: ['application/octet-stream'],
      params: TokenParams,
      response: { 200: Bytes, 206: Bytes, 401: Problem, 404: Problem, 410: Problem, 416: Problem, 429: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) =>
    sendRecordContent(reply, await openSharedContent(deps, req.params.token, headerOf(req, PASSCODE_HEADER), requestMeta(req), { range: headerOf(req, 'range') })))

  // A HEAD gets the headers from the record's metadata: no view counted, nothing decrypted (SPEC §4.5).
  app.head('/shared/:token/content', {
    config: publicRoute,
    preHandler: limitPerIp,
    schema: { tags, summary: 'A shared record’s headers (public; not a view)', security: [], params: TokenParams },
  }, async (req, reply) => {
    const { record } = await getSharedRecord(deps, req.params.token, headerOf(req, PASSCODE_HEADER), requestMeta(req))
    return sendRecordHead(reply, record)
  })
}
