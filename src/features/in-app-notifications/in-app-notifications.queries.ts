/** SQL of in-app notifications and their stream tickets (SPEC §10). No business rules here (STYLE §2). */
import { type Kysely, type Selectable, type Transaction } from 'kysely'
import { newestFirst, type NewestFirstWindow } from '../../db/keyset.js'
import type { DB, NotificationsTable } from '../../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export type NotificationRow = Selectable<NotificationsTable>

/** A page of `userId`'s notifications, newest first (`unread`: only those not read yet). */
export function listNotifications(db: Db, userId: string, opts: { unread: boolean; window: NewestFirstWindow }): Promise<NotificationRow[]> {
  let q = db.selectFrom('notifications').selectAll().where('userId', '=', userId)
  if (opts.unread) q = q.where('readAt', 'is', null)
  return newestFirst(q, 'createdAt', 'id', opts.window).execute()
}

/** One notification of `userId` (undefined when absent or someone else's). */
export function findNotification(db: Db, userId: string, id: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).where('userId', '=', userId).executeTakeFirst()
}

/** How many of `userId`'s notifications are unread. */
export async function countUnread(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('userId', '=', userId)
    .where('readAt', 'is', null)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Marks `userId`'s unread notifications read — those of `ids` (others' ids match nothing), or all. Returns how many changed. */
export async function markRead(db: Db, userId: string, which: { ids: readonly string[] } | { all: true }, at: Date): Promise<number> {
  let q = db.updateTable('notifications').set({ readAt: at }).where('userId', '=', userId).where('readAt', 'is', null)
  if ('ids' in which) q = q.where('id', 'in', which.ids)
  const result = await q.executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Stores a stream ticket's hash; first drops this user's tickets that expired over an hour ago. */
export async function insertTicket(db: Db, row: { ticketHash: string; userId: string; sessionId: string; expiresAt: Date }, now: Date): Promise<void> {
  await db
    .deleteFrom('notificationStreamTickets')
    .where('userId', '=', row.userId)
    .where('expiresAt', '<', new Date(now.getTime() - 3_600_000))
    .execute()
  await db.insertInto('notificationStreamTickets').values(row).execute()
}

/**
 * Uses a ticket, atomically (STYLE §2: one conditional UPDATE): only the first caller of an
 * unused, unexpired ticket gets its user and session back; a reused, expired or unknown one, undefined.
 */
export function consumeTicket(db: Db, ticketHash: string, now: Date): Promise<{ userId: string; sessionId: string } | undefined> {
  return db
    .updateTable('notificationStreamTickets')
    .set({ usedAt: now })
    .where('ticketHash', '=', ticketHash)
    .where('usedAt', 'is', null)
    .where('expiresAt', '>', now)
    .returning(['userId', 'sessionId'])
    .executeTakeFirst()
}

/**
 * Of `sessions` (`{sessionId, userId}` pairs), the ids of those still live: not revoked, of
 * that user, whose account is not disabled. One query for any number of open streams.
 */
export async function liveSessionIds(db: Db, sessions: readonly { sessionId: string; userId: string }[]): Promise<Set<string>> {
  if (sessions.length === 0) return new Set()
  const rows = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.userId')
    .select(['sessions.id', 'sessions.userId'])
    .where('sessions.id', 'in', sessions.map((s) => s.sessionId))
    .where('sessions.revokedAt', 'is', null)
    .where('users.status', '<>', 'disabled')
    .execute()
  const owner = new Map(rows.map((r) => [r.id, r.userId]))
  return new Set(sessions.filter((s) => owner.get(s.sessionId) === s.userId).map((s) => s.sessionId))
}

/**
 * Erasure: deletes `userId`'s notifications and stream tickets (an erased account keeps its
 * row, so ON DELETE CASCADE does not apply), and every notification about that patient held by
 * others (a doctor's "consultation requested" naming them, a manager's). Returns nothing.
 */
export async function deleteNotificationsOf(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('notificationStreamTickets').where('userId', '=', userId).execute()
  await db.deleteFrom('notifications').where((eb) => eb.or([eb('userId', '=', userId), eb('patientId', '=', userId)])).execute()
}
