/**
 * HTTP routes of emergency access (SPEC §4.6): the patient's link, rotation and QR codes;
 * the public JSON view and record downloads (rate-limited per IP); and the `/e/<token>`
 * page for people (registered outside `/api/v1` by `emergencyPageRoutes`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import { requestMeta } from '../../app/auth-hook.js'
import type { Deps, FeatureRoutes } from '../../app/deps.js'
import { AppError } from '../../app/errors.js'
import { EmptyBody, Problem, StorageUnavailable, Uuid } from '../../app/schemas.js'
import { headerOf, sendRecordContent } from '../records/content-reply.js'
import { EmergencyLinkDto, EmergencyViewDto, toEmergencyLinkDto, toEmergencyViewDto } from './emergency-access.schema.js'
import { emergencyQr, getEmergencyLink, openEmergencyContent, rotateEmergencyLink, viewEmergency } from './emergency-access.service.js'
import { emergencyMessagePage, emergencyPage, emergencyPreviewPage } from './emergency-page.js'
import { isLinkPreview } from './link-preview.js'

const tags = ['emergency-access']
const patientOnly = { roles: ['patient'] } as const
const TokenParams = z.object({ token: z.string().min(16).max(128) }).strict()

const limitPerIp = (deps: Deps) => async (req: FastifyRequest, reply: FastifyReply) => deps.rateLimits.hit('public', req.ip, reply)

/** Mounts the patient's emergency link and QR codes and the public emergency view. */
export const emergencyAccessRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/patients/me/emergency', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Your emergency link (created on first call)', response: { 200: EmergencyLinkDto, 409: Problem.describe('emergency-link-underivable: the link was made under a master key this server no longer holds (after a key rotation); the printed card still works; rotate for a new link.') } },
  }, async (req) => toEmergencyLinkDto(await getEmergencyLink(deps, userOf(req))))

  app.post('/patients/me/emergency/rotate', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Replace your emergency link; the old one answers 410', body: EmptyBody, response: { 200: EmergencyLinkDto } },
  }, async (req) => toEmergencyLinkDto(await rotateEmergencyLink(deps, userOf(req))))

  app.get('/patients/me/emergency/qr.png', {
    config: { access: patientOnly },
    schema: { tags, summary: 'QR code (PNG) of your emergency link, made locally; 409 like the link when it cannot be derived', produces: ['image/png'] },
  }, async (req, reply) => reply.type('image/png').header('cache-control', 'no-store').send(await emergencyQr(deps, userOf(req), 'png')))

  app.get('/patients/me/emergency/qr.svg', {
    config: { access: patientOnly },
    schema: { tags, summary: 'QR code (SVG) of your emergency link, made locally; 409 like the link when it cannot be derived', produces: ['image/svg+xml'] },
  }, async (req, reply) => reply.type('image/svg+xml').header('cache-control', 'no-store').send(await emergencyQr(deps, userOf(req), 'svg')))

  // HEAD is not exposed on the public routes (405 with Allow): a HEAD must neither see
  // patient data nor count as an access (SPEC §4.6).
  app.get('/emergency/:token', {
    config: { access: 'public' },
    exposeHeadRoute: false,
    preHandler: limitPerIp(deps),
    schema: {
      tags,
      summary: 'The emergency view (public): profile basics and records of the last 6 months; alerts the patient and contacts',
      security: [],
      params: TokenParams,
      response: { 200: EmergencyViewDto, 404: Problem, 410: Problem, 429: Problem },
    },
  }, async (req) => toEmergencyViewDto(await viewEmergency(deps, req.params.token, requestMeta(req))))

  app.get('/emergency/:token/records/:id/content', {
    config: { access: 'public' },
    exposeHeadRoute: false,
    preHandler: limitPerIp(deps),
    schema: {
      tags,
      summary: "A record's bytes through the emergency link (public; audited, and alerts like the view)",
      security: [],
      produces: ['application/octet-stream'],
      params: TokenParams.extend({ id: Uuid }),
      response: { 404: Problem, 410: Problem, 429: Problem, 503: StorageUnavailable },
    },
  }, async (req, reply) =>
    sendRecordContent(reply, await openEmergencyContent(deps, req.params.token, requestMeta(req), req.params.id, { range: headerOf(req, 'range') })))
}

const sendPage = (reply: FastifyReply, status: number, body: string) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body)

/** `?show=1` on `/e/<token>`: a person asked for the card from the data-free preview page. */
// Not strict: a messenger may append its own tracking parameters, and a first responder must
// never meet a validation error on this page.
const PageQuery = z.object({ show: z.string().max(8).optional() })

/**
 * `/e/<token>`: the emergency card as a page (no JavaScript needed). A link-preview bot or
 * a HEAD gets a data-free page without touching the database or alerting anyone; its
 * "Show emergency information" link (`?show=1`) opens the full card — with the alert
 * logic — for a person whose browser was mistaken for a bot (SPEC §4.6).
 */
export const emergencyPageRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/e/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams, querystring: PageQuery } }, async (req, reply) => {
    try {
      if (req.method === 'HEAD') return sendPage(reply, 200, emergencyPreviewPage(req.params.token))
      await deps.rateLimits.hit('public', req.ip, reply)
      if (req.query.show === undefined && isLinkPreview(req.headers['user-agent'])) return sendPage(reply, 200, emergencyPreviewPage(req.params.token))
      const view = await viewEmergency(deps, req.params.token, requestMeta(req))
      return sendPage(reply, 200, emergencyPage(toEmergencyViewDto(view)))
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      if (err.code === 'emergency-link-rotated') return sendPage(reply, 410, emergencyMessagePage('This emergency link was replaced', 'The patient has issued a new emergency QR code. Ask for the current one.'))
      if (err.status === 410) return sendPage(reply, 410, emergencyMessagePage('This emergency link is not active', 'The patient’s CareLocker account is not active. Ask for another source of their medical information.'))
      if (err.status === 404) return sendPage(reply, 404, emergencyMessagePage('Link not found', 'Check that the whole link was scanned or copied.'))
      if (err.status === 429) return sendPage(reply, 429, emergencyMessagePage('Too many requests', err.message))
      throw err
    }
  })
}
