/**
 * Sending one email from a job (SPEC §5), for notifications' own jobs and for any feature
 * that renders its own message (prescriptions): the recipient is resolved when the job
 * runs (an account's current address and name), the content rendered, the mail sent.
 * Knows no template: the caller renders.
 *
 * The one place that keeps mail from unverified addresses (SPEC §8): an account whose email
 * is not verified, or a bare address that is such an account's, gets nothing (the job
 * completes, `{skipped: 'email-unverified'}`) — except the verification message itself,
 * sent with `{toUnverified: true}` (email-verification.jobs.ts, its only caller).
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import type { Role } from '../../db/schema.js'
import { createMailer, type Mailer } from './mailer.js'
import { findRecipient, isUnverifiedAddress } from './notifications.queries.js'
import type { EmailContent } from './notifications.templates.js'

/** An account; its address is read when the email is sent. */
export const UserRecipient = z.object({ userId: z.uuid() }).strict()
/** A user (preferred: the address is read when sending) or a bare address — as job payloads name it. */
export const EmailRecipient = z.union([UserRecipient, z.object({ email: z.email() }).strict()])
export type EmailRecipient = z.infer<typeof EmailRecipient>

/** The account an email goes to, as a template may greet it. */
export interface RecipientAccount {
  email: string
  name: string
  role: Role
}

export interface SendOptions {
  /** Send even though the address is not verified: for the verification email only (SPEC §8). */
  toUnverified?: boolean
}

/** Why an email was not sent (the job completes: there is nobody or nothing to send). */
export interface SkippedEmail {
  skipped: string
}

/** What a job logs about an email: the transport and Message-ID, or why it was skipped. No personal data. */
export type EmailOutcome = SkippedEmail | { transport: 'smtp' | 'outbox'; messageId: string }

export interface EmailSender {
  /**
   * Resolves `to`, renders with the account (undefined for a bare address) and sends under
   * `jobId` (a retried job rewrites its outbox file). Skips with `recipient-gone` when the
   * account no longer exists, with `email-unverified` when the address is not verified
   * (unless `options.toUnverified`), or with what `render` returns instead of content.
   * Throws on SMTP errors, so the job is retried.
   */
  send(
    to: EmailRecipient,
    jobId: string,
    render: (account: RecipientAccount | undefined) => Promise<EmailContent | SkippedEmail> | EmailContent | SkippedEmail,
    options?: SendOptions,
  ): Promise<EmailOutcome>
}

/** An `EmailSender` over a mailer made from `deps.config` (SMTP, or the outbox). */
export function createEmailSender(deps: Deps, mailer: Mailer = createMailer(deps.config)): EmailSender {
  return {
    async send(to, jobId, render, options = {}) {
      let account: RecipientAccount | undefined
      if ('userId' in to) {
        const found = await findRecipient(deps.db, to.userId)
        if (!found) return { skipped: 'recipient-gone' }
        if (!found.emailVerifiedAt && !options.toUnverified) return { skipped: 'email-unverified' }
        account = { email: found.email, name: found.name, role: found.role }
      } else if (!options.toUnverified && (await isUnverifiedAddress(deps.db, to.email))) {
        return { skipped: 'email-unverified' }
      }
      const content = await render(account)
      if ('skipped' in content) return content
      const sent = await mailer.send({ to: account?.email ?? ('email' in to ? to.email : ''), ...content }, jobId)
      return { transport: sent.transport, messageId: sent.messageId }
    },
  }
}
