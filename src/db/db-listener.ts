/**
 * One `LISTEN` per node for every channel the node hears (PostgreSQL `LISTEN`/`NOTIFY`,
 * PostgreSQL 15 docs §NOTIFY), dispatched to the subscribers of each channel: the read cache's
 * invalidations (`carelocker_cache`, src/db/node-cache.ts) and in-app notifications
 * (`carelocker_notifications`, migration 0021's trigger; src/features/in-app-notifications).
 *
 * - PostgreSQL: a dedicated client (`application_name` `carelocker-listener`), outside the
 *   pool, reconnecting with backoff (0.1 s doubling to 5 s) after any error or end. While it
 *   is down, notifications sent meanwhile are lost: each subscriber hears `listening(false)`,
 *   then `listening(true)` once every channel is listened to again, and must treat that as
 *   "anything may have changed" (the cache clears itself; a stream loses nothing it has not
 *   yet been told of, since notifications are stored rows the user can list).
 * - PGlite: one process, `client.listen` per channel, subscribed when the database opens —
 *   before Kysely sends anything, since PGlite's `listen` runs a statement of its own, which
 *   must not land inside a Kysely transaction. Always listening.
 *
 * The channels are fixed when the listener is created (`LISTENED_CHANNELS`); subscribing to
 * another one is a programming error (throws).
 */
import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** The cache's invalidations (node-cache.ts); payload `{"tags":[…]}`, `{"all":true}` or `{"marker":…}`. */
export const CACHE_CHANNEL = 'carelocker_cache'
/** New in-app notifications (migration 0021's trigger); payload `{"userId":…,"id":…}`. */
export const NOTIFICATIONS_CHANNEL = 'carelocker_notifications'
/** Every channel a node listens on. */
export const LISTENED_CHANNELS: readonly string[] = [CACHE_CHANNEL, NOTIFICATIONS_CHANNEL]
/** `application_name` of each node's listening connection (visible in pg_stat_activity). */
export const LISTENER_NAME = 'carelocker-listener'

/** What a subscriber of one channel is told. */
export interface ChannelSubscriber {
  /** A notification on the channel; `payload` as sent (undefined when empty). */
  message(payload: string | undefined): void
  /**
   * The listener started (true) or stopped (false) listening. Called at once with the current
   * state on subscribing, then on every change. After a false, notifications may have been missed.
   */
  listening?(on: boolean): void
}

export interface DbListener {
  /** Adds `subscriber` to `channel` (one of LISTENED_CHANNELS; else throws). Returns the unsubscribe. */
  subscribe(channel: string, subscriber: ChannelSubscriber): () => void
  /** Whether notifications are being heard now. */
  isListening(): boolean
  close(): Promise<void>
}

/** The subscriber registry both engines share. */
function createDispatch(channels: readonly string[]) {
  const subscribers = new Map<string, Set<ChannelSubscriber>>(channels.map((c) => [c, new Set()]))
  let listening = false
  return {
    subscribe(channel: string, s: ChannelSubscriber): () => void {
      const set = subscribers.get(channel)
      if (!set) throw new Error(`Not a listened channel: ${channel}`)
      set.add(s)
      s.listening?.(listening)
      return () => void set.delete(s)
    },
    deliver(channel: string, payload: string | undefined) {
      for (const s of subscribers.get(channel) ?? []) {
        try {
          s.message(payload)
        } catch {
          // One subscriber's failure must not keep the message from the others.
        }
      }
    },
    setListening(on: boolean) {
      if (on === listening) return
      listening = on
      for (const set of subscribers.values()) for (const s of set) s.listening?.(on)
    },
    isListening: () => listening,
  }
}

/** PGlite: `client.listen` on every channel now (call before any other use of `client`). */
export async function createPgliteListener(client: PGlite, channels: readonly string[] = LISTENED_CHANNELS): Promise<DbListener> {
  const dispatch = createDispatch(channels)
  const unlisten: (() => Promise<void>)[] = []
  for (const channel of channels) unlisten.push(await client.listen(channel, (payload) => dispatch.deliver(channel, payload)))
  dispatch.setListening(true)
  return {
    subscribe: dispatch.subscribe,
    isListening: dispatch.isListening,
    close: async () => {
      dispatch.setListening(false)
      for (const u of unlisten) await u().catch(() => undefined)
    },
  }
}

/** PostgreSQL: a dedicated client that LISTENs on every channel, reconnecting with backoff (see the module). */
export function createPgListener(url: string, types: pg.CustomTypesConfig, channels: readonly string[] = LISTENED_CHANNELS): DbListener {
  const dispatch = createDispatch(channels)
  let client: pg.Client | undefined
  let closed = false
  let delayMs = 100
  let timer: NodeJS.Timeout | undefined

  const lost = (c: pg.Client) => {
    if (client !== c) return
    client = undefined
    dispatch.setListening(false)
    c.removeAllListeners('notification')
    c.end().catch(() => undefined)
    if (!closed) {
      timer = setTimeout(connect, delayMs)
      delayMs = Math.min(delayMs * 2, 5_000)
    }
  }
  const connect = () => {
    timer = undefined
    if (closed) return
    const c = new pg.Client({ connectionString: url, application_name: LISTENER_NAME, types })
    client = c
    c.on('error', () => lost(c))
    c.on('end', () => lost(c))
    c.on('notification', (msg) => dispatch.deliver(msg.channel, msg.payload))
    c.connect()
      .then(() => c.query(channels.map((ch) => `LISTEN ${ch}`).join('; ')))
      .then(() => {
        if (client !== c || closed) return
        delayMs = 100
        dispatch.setListening(true)
      })
      .catch(() => lost(c))
  }
  connect()

  return {
    subscribe: dispatch.subscribe,
    isListening: dispatch.isListening,
    close: async () => {
      closed = true
      if (timer) clearTimeout(timer)
      const c = client
      client = undefined
      dispatch.setListening(false)
      await c?.end().catch(() => undefined)
    },
  }
}
