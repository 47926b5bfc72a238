/**
 * In-app notifications (SPEC §10 "Notifications"): each account's own list, read marks and
 * unread count, and the tickets that open its live stream. Notifications are raised by the
 * features whose acts they tell of (`notifyUsers` in notify.ts, inside the act's transaction);
 * this feature knows none of them (STYLE §9: dependencies point down).
 *
 * Stream tickets: `POST /notifications/stream-ticket` → a 256-bit random ticket (opaque-tokens.ts),
 * stored only as its SHA-256, bound to the caller and their session, valid 60 s and usable
 * once: `GET /notifications/stream?ticket=…` consumes it with one conditional UPDATE, so of two
 * concurrent uses one wins. An EventSource cannot send an Authorization header, and an access
 * token in a URL would land in logs and history — hence a ticket, never the token (SPEC §10).
 */
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { UnauthorizedError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import type { DB } from '../../db/schema.js'
import { authorize, type UserActor } from '../../policy/index.js'
import * as q from './in-app-notifications.queries.js'
import { toNotificationDto, type MarkReadInput, type NotificationDto, type NotificationListInput } from './in-app-notifications.schema.js'

/** How long a stream ticket lives (SPEC §10: short-lived). */
export const STREAM_TICKET_TTL_MS = 60_000

/** `GET /notifications?unread&limit&cursor`: the caller's notifications, newest first, keyset pages (SPEC §2). 400 for a cursor this list did not issue. */
export async function listNotifications(deps: Deps, actor: UserActor, query: NotificationListInput): Promise<{ items: NotificationDto[]; nextCursor: string | null }> {
  authorize(actor, 'notification.read', { userId: actor.id })
  const after = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const rows = await q.listNotifications(deps.db, actor.id, {
    unread: query.unread === true,
    window: { after: after ? { at: after[0], id: after[1] } : undefined, limit: query.limit + 1 },
  })
  return toPage(rows, query.limit, (r) => [new Date(r.createdAt).toISOString(), r.id], toNotificationDto)
}

/** `GET /notifications/unread-count` → `{count}` of the caller's unread notifications. */
export async function unreadCount(deps: Deps, actor: UserActor): Promise<{ count: number }> {
  authorize(actor, 'notification.read', { userId: actor.id })
  return { count: await q.countUnread(deps.db, actor.id) }
}

/**
 * `POST /notifications/read {ids} | {all: true}`: marks the caller's unread notifications read
 * (ids of other users' notifications, or unknown ones, are ignored: nothing of theirs changes,
 * and nothing tells the caller they exist). → `{marked, unreadCount}`.
 */
export async function markNotificationsRead(deps: Deps, actor: UserActor, input: MarkReadInput): Promise<{ marked: number; unreadCount: number }> {
  authorize(actor, 'notification.read', { userId: actor.id })
  return deps.db.transaction().execute(async (trx) => {
    const marked = await q.markRead(trx, actor.id, 'all' in input ? { all: true } : { ids: input.ids }, deps.now())
    return { marked, unreadCount: await q.countUnread(trx, actor.id) }
  })
}

/** `POST /notifications/stream-ticket` → `{ticket, expiresAt}` (see the module: 60 s, single use, bound to the session). */
export async function issueStreamTicket(deps: Deps, actor: UserActor): Promise<{ ticket: string; expiresAt: string }> {
  authorize(actor, 'notification.stream', { userId: actor.id })
  const ticket = newOpaqueToken()
  const now = deps.now()
  const expiresAt = new Date(now.getTime() + STREAM_TICKET_TTL_MS)
  await q.insertTicket(deps.db, { ticketHash: hashToken(ticket), userId: actor.id, sessionId: actor.sessionId, expiresAt }, now)
  return { ticket, expiresAt: expiresAt.toISOString() }
}

/**
 * Consumes `ticket` for `GET /notifications/stream` → the user and session it was issued to.
 * UnauthorizedError (401 `invalid-ticket`) when it is unknown, used, expired, or its session
 * was revoked or its account disabled since.
 */
export async function redeemStreamTicket(deps: Deps, ticket: string): Promise<{ userId: string; sessionId: string }> {
  const owner = await q.consumeTicket(deps.db, hashToken(ticket), deps.now())
  const live = owner ? await q.liveSessionIds(deps.db, [owner]) : new Set<string>()
  if (!owner || !live.has(owner.sessionId)) {
    throw new UnauthorizedError('The stream ticket is invalid, used or expired; ask for a new one.', 'invalid-ticket')
  }
  return owner
}

/**
 * The account-erasure step (src/features/account-erasure, SPEC §9): in the erasure's
 * transaction, the patient's notifications and stream tickets go, and every notification about
 * them held by others (their streams end at the next session check: erasure revokes the sessions).
 */
export async function eraseNotifications(trx: Transaction<DB>, _deps: Deps, patientId: string): Promise<void> {
  await q.deleteNotificationsOf(trx, patientId)
}
