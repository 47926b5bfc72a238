/**
 * The verification email (SPEC §8): a fixed text and the link, nothing the registrant typed
 * (no name), so a stranger cannot make the service mail their words to any address.
 */
import { linkEmail, type EmailContent } from '../notifications/notifications.templates.js'

/** `link` is `$PUBLIC_URL/verify-email#<token>`; `hours` its lifetime. */
export function verificationEmail(d: { link: string; hours: number }): EmailContent {
  const subject = 'Confirm your email address for CareLocker'
  const ask = 'Someone created a CareLocker account with this email address. To confirm that it is yours, open this link:'
  const validity = `The link works once and expires in ${d.hours} hours.`
  const ignore = 'If you did not create an account, ignore this email: nothing more will be sent to you.'
  return linkEmail({ subject, ask, link: d.link, linkLabel: 'Confirm my email address', validity, ignore })
}
