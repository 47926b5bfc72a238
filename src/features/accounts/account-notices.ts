/**
 * Security notices by email (SPEC §8 "Notices"): the account's owner hears of every change
 * to how it is signed in to — password changed, a second factor or passkey added or
 * removed, a recovery code used, a sign-in from a browser never seen before. Each is a
 * `notify.account-notice` job enqueued in the transaction that made the change
 * (`enqueueAccountNotice`), rendered here when the job runs. Nothing the user typed is
 * quoted (no passkey names); a new sign-in names its browser and IP from the session row.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { formatUtc } from '../../app/dates.js'
import type { DB } from '../../db/schema.js'
import { escapeHtml, greeting, layout, p, type EmailContent } from '../notifications/notifications.templates.js'

/** What happened to the account. */
export type AccountNotice =
  | 'password-changed'
  | 'totp-enabled'
  | 'totp-disabled'
  | 'passkey-added'
  | 'passkey-removed'
  | 'recovery-code-used'
  | 'new-browser-sign-in'

export const ACCOUNT_NOTICES = [
  'password-changed',
  'totp-enabled',
  'totp-disabled',
  'passkey-added',
  'passkey-removed',
  'recovery-code-used',
  'new-browser-sign-in',
] as const satisfies readonly AccountNotice[]

/**
 * Enqueues the notice in `trx` (it is sent only if the change commits). `sessionId` names
 * the session of a `new-browser-sign-in`, whose device the email describes.
 */
export async function enqueueAccountNotice(
  deps: Deps,
  trx: Transaction<DB> | Kysely<DB>,
  userId: string,
  notice: AccountNotice,
  opts: { sessionId?: string } = {},
): Promise<void> {
  await deps.jobs.send(trx, 'notify.account-notice', {
    userId,
    notice,
    at: deps.now().toISOString(),
    ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
  })
}

const SENTENCES: Record<AccountNotice, { subject: string; happened: string }> = {
  'password-changed': { subject: 'Your CareLocker password was changed', happened: 'The password of your CareLocker account was changed, and your other sessions were signed out.' },
  'totp-enabled': { subject: 'Two-factor sign-in was turned on', happened: 'An authenticator app was set up as a second factor for your CareLocker account.' },
  'totp-disabled': { subject: 'Two-factor sign-in was turned off', happened: 'The authenticator app was removed from your CareLocker account.' },
  'passkey-added': { subject: 'A passkey was added to your account', happened: 'A new passkey was added to your CareLocker account.' },
  'passkey-removed': { subject: 'A passkey was removed from your account', happened: 'A passkey was removed from your CareLocker account.' },
  'recovery-code-used': { subject: 'A recovery code was used', happened: 'One of your recovery codes was used to sign in to your CareLocker account. It cannot be used again.' },
  'new-browser-sign-in': { subject: 'New sign-in to your CareLocker account', happened: 'Your CareLocker account was signed in to from a browser that has not signed in before.' },
}

/**
 * The email of a notice (text and HTML). `device` describes the session of a new sign-in
 * (its user agent and IP); `at` is named in UTC.
 */
export function accountNoticeEmail(d: {
  name: string | undefined
  notice: AccountNotice
  at: Date | string
  publicUrl: string
  /** The account's role: the Security page is `/<role>/security` in the web app. */
  role?: string | undefined
  device?: { userAgent: string | null; ip: string | null } | undefined
}): EmailContent {
  const { subject, happened } = SENTENCES[d.notice]
  const when = `When: ${formatUtc(d.at)}.`
  // The user agent is whatever the signing-in party sent: cut short, so it cannot carry a
  // message of its own into the owner's inbox.
  const browser = (d.device?.userAgent ?? '').replace(/https?:\/\/\S*/g, '').slice(0, 100).trim()
  const where = d.device ? `Browser: ${browser || 'unknown'}; IP address: ${d.device.ip || 'unknown'}.` : undefined
  const notYou = `If this was not you, change your password and review your sessions and second factors on the Security page: ${d.publicUrl}/${d.role ?? 'patient'}/security`
  const lines = [happened, when, ...(where ? [where] : []), notYou]
  return {
    subject,
    text: [greeting(d.name), '', ...lines, ''].join('\n'),
    html: layout(subject, [p(escapeHtml(greeting(d.name))), ...lines.map((l) => p(escapeHtml(l)))].join('\n')),
  }
}
