/**
 * A real SMTP listener for tests (STYLE §7: email goes to `smtp-server`, never a mock):
 * keeps every message it accepts, parsed just enough to assert on — headers, and the
 * MIME leaves (text, HTML, inline images) decoded from quoted-printable or base64.
 */
import { once } from 'node:events'
import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { waitForMatch } from './wait.js'

export interface MailPart {
  contentType: string
  /** The decoded bytes. */
  content: Buffer
  /** `Content-ID` without angle brackets, for inline images. */
  contentId?: string
  filename?: string
}

export interface ReceivedMail {
  /** Envelope sender and recipients (SMTP `MAIL FROM` / `RCPT TO`). */
  envelopeFrom: string
  envelopeTo: string[]
  /** Header names lower-cased; encoded words decoded. */
  headers: Record<string, string>
  subject: string
  /** The MIME tree flattened to its leaves. */
  parts: MailPart[]
  text: string | undefined
  html: string | undefined
  raw: string
  /** The SMTP user that authenticated, if any. */
  user: string | undefined
}

export interface SmtpSink {
  port: number
  /** `smtp://[user:pass@]127.0.0.1:<port>` */
  url: string
  messages: ReceivedMail[]
  /** Resolves with the first message (already received or coming) that matches. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>
  close(): Promise<void>
}

/** Starts the listener on 127.0.0.1 (`port` 0: any free port). With `auth`, only those credentials are accepted. */
export async function startSmtpSink(opts: { port?: number; auth?: { user: string; pass: string } } = {}): Promise<SmtpSink> {
  const messages: ReceivedMail[] = []
  const events = new EventEmitter()
  const server = new SMTPServer({
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) cb(null, { user: auth.username })
      else cb(new Error('Invalid username or password'))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1')
        const mail = parseMail(raw, {
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
        })
        messages.push(mail)
        events.emit('mail', mail)
        cb()
      })
    },
  })
  server.listen(opts.port ?? 0, '127.0.0.1')
  await once(server.server, 'listening')
  const port = (server.server.address() as AddressInfo).port
  const cred = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : ''
  return {
    port,
    url: `smtp://${cred}127.0.0.1:${port}`,
    messages,
    waitFor: (match, timeoutMs = 10_000) => waitForMatch<ReceivedMail>(messages, events, 'mail', match, timeoutMs, 'email'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

function splitHead(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.search(/\r?\n\r?\n/)
  const head = at === -1 ? raw : raw.slice(0, at)
  const body = at === -1 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '')
  const headers: Record<string, string> = {}
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { headers, body }
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`). */
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=\s*/g, (_m, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  )
}

function decodeBody(body: string, encoding: string | undefined): Buffer {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64')
    case 'quoted-printable':
      return Buffer.from(
        body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      )
    default:
      return Buffer.from(body, 'latin1')
  }
}

const param = (header: string | undefined, name: string) => header?.match(new RegExp(`${name}="?([^";]+)"?`, 'i'))?.[1]

function leaves(raw: string): MailPart[] {
  const { headers, body } = splitHead(raw)
  const type = headers['content-type'] ?? 'text/plain'
  const boundary = param(type, 'boundary')
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    const sections = body.split(`--${boundary}`).slice(1)
    return sections.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(s.replace(/^\r?\n/, '')))
  }
  const part: MailPart = { contentType: type.split(';')[0]!.trim().toLowerCase(), content: decodeBody(body, headers['content-transfer-encoding']) }
  const cid = headers['content-id']?.replace(/^<|>$/g, '')
  if (cid) part.contentId = cid
  const filename = param(headers['content-disposition'], 'filename') ?? param(type, 'name')
  if (filename) part.filename = filename
  return [part]
}

function parseMail(raw: string, envelope: { envelopeFrom: string; envelopeTo: string[]; user: string | undefined }): ReceivedMail {
  const { headers } = splitHead(raw)
  for (const k of Object.keys(headers)) headers[k] = decodeWords(headers[k]!)
  const parts = leaves(raw)
  const textOf = (type: string) => parts.find((p) => p.contentType === type)?.content.toString('utf8')
  return { ...envelope, headers, subject: headers.subject ?? '', parts, text: textOf('text/plain'), html: textOf('text/html'), raw }
}
