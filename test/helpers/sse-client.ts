/**
 * A minimal Server-Sent Events client for tests (WHATWG HTML §9.2 event stream format):
 * opens `url` with node:http, parses `event:`/`id:`/`data:` frames as they arrive, and lets a
 * test wait for one. Comments (`: ping`) are kept apart. `close()` destroys the socket, as a
 * browser tab going away would.
 */
import http from 'node:http'

export interface SseEvent {
  event: string
  id: string | undefined
  data: string
}

export interface SseClient {
  status: number
  headers: http.IncomingHttpHeaders
  events: SseEvent[]
  comments: string[]
  /** Resolves once the server ended the response. */
  ended: Promise<void>
  /** The first event (already received or later) matching `match`; rejects after `timeoutMs`. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent>
  close(): void
}

/** Opens the stream; resolves once the response headers (and status) arrived. */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const events: SseEvent[] = []
      const comments: string[] = []
      const waiters = new Set<() => void>()
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          const e: SseEvent = { event: 'message', id: undefined, data: '' }
          let isEvent = false
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('event: ')) ((e.event = line.slice(7)), (isEvent = true))
            else if (line.startsWith('id: ')) e.id = line.slice(4)
            else if (line.startsWith('data: ')) ((e.data += line.slice(6)), (isEvent = true))
          }
          if (isEvent) events.push(e)
        }
        for (const w of waiters) w()
      })
      const ended = new Promise<void>((done) => {
        res.on('end', done)
        res.on('close', done)
      })
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        ended,
        waitFor(match, timeoutMs = 10_000, what = 'event') {
          const found = events.find(match)
          if (found) return Promise.resolve(found)
          return new Promise((ok, fail) => {
            const check = () => {
              const e = events.find(match)
              if (!e) return
              clearTimeout(timer)
              waiters.delete(check)
              ok(e)
            }
            const timer = setTimeout(() => {
              waiters.delete(check)
              fail(new Error(`No ${what} within ${timeoutMs} ms (got: ${events.map((x) => x.event).join(', ') || 'none'}).`))
            }, timeoutMs)
            waiters.add(check)
          })
        },
        close: () => {
          req.destroy()
          res.destroy()
        },
      })
    })
    req.on('error', reject)
  })
}
