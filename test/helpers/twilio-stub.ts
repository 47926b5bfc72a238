/**
 * A local HTTP endpoint speaking Twilio's Messages API (STYLE §7): `POST
 * /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded `To`, `From`, `Body`, HTTP basic
 * auth with the account sid and auth token; answers 201 with the message resource.
 */
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { waitForMatch } from './wait.js'

export interface TwilioMessage {
  accountSid: string
  to: string
  from: string
  body: string
  /** Decoded basic-auth credentials. */
  username: string
  password: string
}

export interface TwilioStub {
  /** Base URL for `TWILIO_API_URL`. */
  url: string
  messages: TwilioMessage[]
  waitFor(match: (m: TwilioMessage) => boolean, timeoutMs?: number): Promise<TwilioMessage>
  close(): Promise<void>
}

/**
 * Starts the stub on 127.0.0.1. `reject(to)` returning true answers 400 with Twilio's
 * error body (code 21211, invalid 'To'), like Twilio does for a bad number.
 */
export async function startTwilioStub(opts: { reject?: (to: string) => boolean } = {}): Promise<TwilioStub> {
  const messages: TwilioMessage[] = []
  const events = new EventEmitter()
  const server = createServer((req, res) => {
    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url ?? '')
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (req.method !== 'POST' || !match) return json(404, { code: 20404, message: 'The requested resource was not found', status: 404 })
      const [username = '', password = ''] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8').split(':')
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
      const msg: TwilioMessage = { accountSid: decodeURIComponent(match[1]!), to: form.get('To') ?? '', from: form.get('From') ?? '', body: form.get('Body') ?? '', username, password }
      if (opts.reject?.(msg.to)) {
        return json(400, { code: 21211, message: `The 'To' number is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 })
      }
      messages.push(msg)
      events.emit('message', msg)
      const now = new Date().toUTCString()
      json(201, {
        sid: `SM${randomBytes(16).toString('hex')}`,
        account_sid: msg.accountSid,
        to: msg.to,
        from: msg.from,
        body: msg.body,
        status: 'queued',
        num_segments: '1',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        date_created: now,
        date_updated: now,
        date_sent: null,
        price: null,
        error_code: null,
        error_message: null,
        uri: `/2010-04-01/Accounts/${msg.accountSid}/Messages.json`,
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    waitFor: (match, timeoutMs = 10_000) => waitForMatch<TwilioMessage>(messages, events, 'message', match, timeoutMs, 'SMS'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
