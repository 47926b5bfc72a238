/**
 * SMS delivery (SPEC §1, §5). `SMS_PROVIDER=log` (default) appends each message to
 * `$DATA_DIR/outbox/sms.log` — the user's outbox, so it holds the text; the application
 * log never does. `SMS_PROVIDER=twilio` sends through the official `twilio` package; its
 * requests go to `TWILIO_API_URL` (default Twilio's own) through a request client that
 * swaps the API origin, so any Twilio-compatible Messages API works.
 */
import { appendFile, mkdir } from 'node:fs/promises'
import path from 'node:path'
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js'
import type { Config } from '../../app/config.js'

export interface SentSms {
  provider: 'log' | 'twilio'
  /** Twilio's message sid (`SM…`); absent for the log provider. */
  sid?: string
}

export interface SmsSender {
  /** Sends `body` to `to` (E.164). Throws when the provider refuses, so the job is retried. */
  send(to: string, body: string): Promise<SentSms>
}

export interface SmsConfig {
  sms: Config['sms']
  dataDir: string
}

const TWILIO_ORIGIN = 'https://api.twilio.com'

/** Creates the sender for the configured provider; loads `twilio` only when used. */
export async function createSmsSender(config: SmsConfig): Promise<SmsSender> {
  const sms = config.sms
  if (sms.provider === 'log') {
    const outbox = path.join(config.dataDir, 'outbox')
    const file = path.join(outbox, 'sms.log')
    return {
      async send(to, body) {
        await mkdir(outbox, { recursive: true, mode: 0o700 })
        const line = `${new Date().toISOString()}\tto=${to}\t${body.replace(/\s+/g, ' ')}\n`
        await appendFile(file, line, { mode: 0o600 })
        return { provider: 'log' }
      },
    }
  }

  const { default: twilio } = await import('twilio')
  const apiUrl = sms.apiUrl.replace(/\/+$/, '')

  /** Rewrites `https://api.twilio.com/…` to `$TWILIO_API_URL/…`. */
  class ApiUrlRequestClient extends twilio.RequestClient {
    override request<T>(opts: TwilioRequestClient.RequestOptions<T>) {
      const uri = new URL(opts.uri)
      const target = uri.origin === TWILIO_ORIGIN ? `${apiUrl}${uri.pathname}${uri.search}` : opts.uri
      return super.request<T>({ ...opts, uri: target })
    }
  }

  const client = twilio(sms.accountSid, sms.authToken, {
    httpClient: apiUrl === TWILIO_ORIGIN ? new twilio.RequestClient({ timeout: 15_000 }) : new ApiUrlRequestClient({ timeout: 15_000 }),
  })
  return {
    async send(to, body) {
      const message = await client.messages.create({ to, from: sms.from, body })
      return { provider: 'twilio', sid: message.sid }
    },
  }
}
