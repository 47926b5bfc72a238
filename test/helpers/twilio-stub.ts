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

/** The credentials the stub's `env` configures (Twilio's documented test sender number). */
export const TWILIO_TEST = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'twilio-test-token', from: '+15005550006' } as const

export interface TwilioStub {
  /** Base URL for `TWILIO_API_URL`. */
  url: string
  /** The variables that send a test app's SMS to this stub (`startTestApp({ ...twilio.env })`). */
  env: Record<'SMS_PROVIDER' | 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_FROM' | 'TWILIO_API_URL', string>
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
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    env: { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: TWILIO_TEST.accountSid, TWILIO_AUTH_TOKEN: TWILIO_TEST.authToken, TWILIO_FROM: TWILIO_TEST.from, TWILIO_API_URL: url },
    messages,
    waitFor: (match, timeoutMs = 10_000) => waitForMatch<TwilioMessage>(messages, events, 'message', match, timeoutMs, 'SMS'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
