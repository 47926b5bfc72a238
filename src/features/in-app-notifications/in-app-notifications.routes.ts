/**
 * HTTP routes of in-app notifications (SPEC §10 "Notifications"), for every signed-in role,
 * each on the caller's own notifications only:
 * - `GET /notifications?unread&limit&cursor` (list shape of SPEC §2, newest first),
 * - `GET /notifications/unread-count` → `{count}` (the bell's badge),
 * - `POST /notifications/read {ids} | {all: true}` → `{marked, unreadCount}`,
 * - `POST /notifications/stream-ticket` → 201 `{ticket, expiresAt}`,
 * - `GET /notifications/stream?ticket=…`: Server-Sent Events (see stream-hub.ts). Public as
 *   far as the bearer gate goes: the single-use ticket is its only credential, and an
 *   `Authorization` header or access token is never looked at. The request log drops the
 *   query string (src/app/logger.ts), so the ticket is never logged.
 *
 * The stream answers through the raw response (`reply.hijack()`): the security headers are set
 * before the handler (build-app.ts's onRequest hook), so they are on it; `Cache-Control:
 * no-store` (no-store.ts runs at onSend, which a hijacked reply skips) and `X-Accel-Buffering:
 * no` (nginx must not buffer events) are set here. Nothing compresses API responses.
 */
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import type { Deps, FeatureRoutes } from '../../app/deps.js'
import { Page, Problem } from '../../app/schemas.js'
import { ACCOUNT_ROUTE_ACCESS } from '../../policy/index.js'
import { MarkReadBody, MarkReadResult, Notification, NotificationListQuery, StreamQuery, StreamTicket, UnreadCount } from './in-app-notifications.schema.js'
import { issueStreamTicket, listNotifications, markNotificationsRead, redeemStreamTicket, unreadCount } from './in-app-notifications.service.js'
import { createStreamHub, type StreamHub } from './stream-hub.js'

const tags = ['notifications']
/**
 * Account-level like `/auth/*`: every role, pending accounts and accounts still to enrol a
 * second factor too — a new-sign-in notice is theirs as well, and the bell in every page's
 * header must not trip the second-factor redirect (SPEC §8) while the user enrols.
 */
const access = ACCOUNT_ROUTE_ACCESS

/** The stream hub of each app's deps (one per node), for tests and operations: `streamHubOf(deps)?.count(userId)`. */
const hubs = new WeakMap<Deps, StreamHub>()
export const streamHubOf = (deps: Deps): StreamHub | undefined => hubs.get(deps)

/** Mounts the notification routes and this node's stream hub (closed before the server closes). */
export const inAppNotificationsRoutes: FeatureRoutes = async (app, { deps }) => {
  const hub = createStreamHub(deps.db, deps.database.listener, { onError: (err) => app.log.error({ err: String(err) }, 'notification stream delivery failed') })
  hubs.set(deps, hub)
  // Open streams would keep `app.close()` waiting for them: end them first.
  app.addHook('preClose', (done) => {
    hub.close()
    done()
  })

  app.get('/notifications', {
    config: { access },
    schema: {
      tags,
      summary: 'Your notifications, newest first (`unread` or `unread=true`: only the unread ones)',
      querystring: NotificationListQuery,
      response: { 200: Page(Notification), 400: Problem, 401: Problem },
    },
  }, async (req) => listNotifications(deps, userOf(req), req.query))

  app.get('/notifications/unread-count', {
    config: { access },
    schema: { tags, summary: 'How many of your notifications are unread', response: { 200: UnreadCount, 401: Problem } },
  }, async (req) => unreadCount(deps, userOf(req)))

  app.post('/notifications/read', {
    config: { access },
    schema: {
      tags,
      summary: 'Mark notifications read: `{ids: [...]}` (yours; other ids are ignored) or `{all: true}`',
      description: 'Exactly one of `ids` (1–100) or `all: true`; anything else is 400. Answers how many were marked and how many stay unread.',
      body: MarkReadBody,
      response: { 200: MarkReadResult, 400: Problem, 401: Problem },
    },
  }, async (req) => markNotificationsRead(deps, userOf(req), req.body))

  app.post('/notifications/stream-ticket', {
    config: { access },
    schema: {
      tags,
      summary: 'A single-use ticket (60 s) to open your live notification stream',
      description: 'Bound to your session. Pass it as `GET /notifications/stream?ticket=…`; it works once.',
      response: { 201: StreamTicket, 401: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await issueStreamTicket(deps, userOf(req))))

  app.get('/notifications/stream', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Live notifications (Server-Sent Events), authenticated by a stream ticket',
      description:
        '`text/event-stream`: `event: notification` (`id:` the notification id, `data:` a Notification), `event: resync` (list again: some may have been missed), `event: end` (the session ended; `data: {reason}`), and a `: ping` comment every 25 s. A used, expired or unknown ticket, a revoked session or a disabled account → 401. The access token is never accepted here.',
      security: [],
      querystring: StreamQuery,
      response: { 200: z.string().describe('text/event-stream'), 400: Problem, 401: Problem },
    },
  }, async (req, reply) => {
    const owner = await redeemStreamTicket(deps, req.query.ticket)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    })
    hub.add({ userId: owner.userId, sessionId: owner.sessionId, res })
    // First bytes now, so the client's `open` fires and proxies see a live response.
    res.write(': connected\n\n')
  })
}
