/**
 * Email delivery (SPEC §1, §5): through nodemailer's SMTP transport when `SMTP_URL` is
 * set (`smtp://user:pass@host:port`, `smtps://…`), otherwise the fully built message is
 * written as an `.eml` file to `$DATA_DIR/outbox/` — nothing is silently dropped.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import nodemailer from 'nodemailer'
import type { EmailContent } from './notifications.templates.js'

export interface OutgoingEmail extends EmailContent {
  to: string
}

export interface SentEmail {
  transport: 'smtp' | 'outbox'
  /** The Message-ID header (no personal data). */
  messageId: string
  /** Outbox only: the `.eml` file's name. */
  file?: string
}

export interface Mailer {
  /**
   * Sends one email. `key` (a job id) names the outbox file, so a retried job rewrites
   * its file instead of adding another. Throws on SMTP errors (connection refused,
   * rejected recipient…) so the job is retried.
   */
  send(email: OutgoingEmail, key: string): Promise<SentEmail>
  close(): void
}

export interface MailerConfig {
  mail: { smtpUrl: string | undefined; from: string }
  dataDir: string
}

/** Creates the mailer from config (see module doc). */
export function createMailer(config: MailerConfig): Mailer {
  const from = config.mail.from
  if (config.mail.smtpUrl) {
    const transport = nodemailer.createTransport({
      url: config.mail.smtpUrl,
      // Fail a try quickly; the job queue retries with backoff.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    })
    return {
      async send(email) {
        const info = await transport.sendMail({ from, ...email })
        return { transport: 'smtp', messageId: info.messageId }
      },
      close: () => transport.close(),
    }
  }

  const outbox = path.join(config.dataDir, 'outbox')
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    async send(email, key) {
      const info = await transport.sendMail({ from, ...email })
      const file = `${key.replace(/[^\w-]/g, '_')}.eml`
      await mkdir(outbox, { recursive: true, mode: 0o700 })
      // The message holds personal data: readable by the server's user only.
      await writeFile(path.join(outbox, file), info.message as Buffer, { mode: 0o600 })
      return { transport: 'outbox', messageId: info.messageId, file }
    },
    close: () => transport.close(),
  }
}
