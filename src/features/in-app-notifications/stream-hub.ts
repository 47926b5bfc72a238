/**
 * This node's open notification streams (SPEC §10: Server-Sent Events, WHATWG HTML §9.2).
 *
 * One subscription per node to `carelocker_notifications` through the node's listener
 * (src/db/db-listener.ts; migration 0021's trigger sends `{"userId","id"}` when the inserting
 * transaction commits, whichever node raised it). A message for a user with a stream open here
 * loads the row and writes it to each of that user's streams:
 *
 *     id: <notification id>
 *     event: notification
 *     data: <Notification JSON>
 *
 * Besides: a comment line (`: ping`) every 25 s so proxies keep the connection open; when the
 * listener comes back after losing its connection, `event: resync` (notifications may have been
 * missed: the client lists them again); every 5 s one query checks the sessions of all open
 * streams, and a stream whose session was revoked or whose account was disabled gets
 * `event: end` and is closed. At most `MAX_STREAMS_PER_USER` streams per user on a node: a
 * further one closes that user's oldest (a tab closed without the socket noticing must not lock
 * the user out). A stream leaves the hub as soon as its connection closes.
 */
import type { ServerResponse } from 'node:http'
import type { Kysely } from 'kysely'
import { NOTIFICATIONS_CHANNEL, type DbListener } from '../../db/db-listener.js'
import type { DB } from '../../db/schema.js'
import { findNotification, liveSessionIds } from './in-app-notifications.queries.js'
import { toNotificationDto } from './in-app-notifications.schema.js'

export const HEARTBEAT_MS = 25_000
export const SESSION_CHECK_MS = 5_000
export const MAX_STREAMS_PER_USER = 5

interface OpenStream {
  userId: string
  sessionId: string
  res: ServerResponse
}

export interface StreamHub {
  /** Adds an open SSE response (headers already written) of `userId`'s `sessionId`; it leaves the hub when the connection closes. */
  add(stream: OpenStream): void
  /** How many streams are open on this node (of `userId` when given). */
  count(userId?: string): number
  /** Ends every stream and stops listening (before the server closes, or connections would hold it open). */
  close(): void
}

/** One SSE frame. `data` is JSON on one line (JSON.stringify escapes newlines), as the format requires. */
export const sseFrame = (event: string, data: unknown, id?: string): string => `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** Creates the hub of one node on `db` and its `listener`. `onError` hears failed loads (logged by the caller, no personal data). */
export function createStreamHub(db: Kysely<DB>, listener: DbListener, opts: { onError?: (err: unknown) => void } = {}): StreamHub {
  const byUser = new Map<string, Set<OpenStream>>()
  const write = (s: OpenStream, chunk: string) => {
    if (!s.res.writableEnded && !s.res.destroyed) s.res.write(chunk)
  }
  const remove = (s: OpenStream) => {
    const set = byUser.get(s.userId)
    if (!set) return
    set.delete(s)
    if (set.size === 0) byUser.delete(s.userId)
  }
  const end = (s: OpenStream, reason: string) => {
    remove(s)
    write(s, sseFrame('end', { reason }))
    s.res.end()
  }
  const all = () => [...byUser.values()].flatMap((set) => [...set])

  const deliver = async (payload: string | undefined) => {
    let msg: { userId?: unknown; id?: unknown }
    try {
      msg = JSON.parse(payload ?? '') as typeof msg
    } catch {
      return
    }
    if (typeof msg.userId !== 'string' || typeof msg.id !== 'string') return
    const streams = byUser.get(msg.userId)
    if (!streams || streams.size === 0) return
    const row = await findNotification(db, msg.userId, msg.id)
    if (!row) return
    const frame = sseFrame('notification', toNotificationDto(row), row.id)
    for (const s of byUser.get(msg.userId) ?? []) write(s, frame)
  }

  let wasListening = true
  const unsubscribe = listener.subscribe(NOTIFICATIONS_CHANNEL, {
    message: (payload) => void deliver(payload).catch((err: unknown) => opts.onError?.(err)),
    listening: (on) => {
      if (on && !wasListening) for (const s of all()) write(s, sseFrame('resync', {}))
      wasListening = on
    },
  })

  const heartbeat = setInterval(() => {
    for (const s of all()) write(s, ': ping\n\n')
  }, HEARTBEAT_MS)
  heartbeat.unref()

  let checking = false
  const sessionCheck = setInterval(() => {
    const streams = all()
    if (streams.length === 0 || checking) return
    checking = true
    liveSessionIds(db, streams)
      .then((live) => {
        for (const s of streams) if (!live.has(s.sessionId)) end(s, 'session-ended')
      })
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        checking = false
      })
  }, SESSION_CHECK_MS)
  sessionCheck.unref()

  return {
    add(stream) {
      let set = byUser.get(stream.userId)
      if (!set) {
        set = new Set()
        byUser.set(stream.userId, set)
      }
      set.add(stream)
      while (set.size > MAX_STREAMS_PER_USER) {
        const oldest = set.values().next().value
        if (oldest) end(oldest, 'too-many-streams')
      }
      stream.res.on('close', () => remove(stream))
    },
    count: (userId) => (userId === undefined ? all().length : (byUser.get(userId)?.size ?? 0)),
    close() {
      clearInterval(heartbeat)
      clearInterval(sessionCheck)
      unsubscribe()
      for (const s of all()) end(s, 'server-closing')
    },
  }
}
