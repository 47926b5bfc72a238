/**
 * The caregiver invitation email (SPEC §10): who invites, at which level, and the link to the
 * web app's accept page. The link carries the invitation token (shown only here; stored as
 * its SHA-256). No clinical content.
 */
import { linkEmail, type EmailContent } from '../notifications/notifications.templates.js'

/** `link` is `$PUBLIC_URL/caregiver-invitations/<token>`; `days` its lifetime. */
export function caregiverInvitationEmail(d: { patientName: string; access: 'read' | 'manage'; link: string; days: number }): EmailContent {
  const subject = 'You are invited to help with a CareLocker health locker'
  const level = d.access === 'manage' ? 'see and update' : 'see'
  const ask = `${d.patientName} invites you to ${level} their health records on CareLocker as a caregiver. To accept, sign in (or create an account) and open this link:`
  const validity = `The invitation works once and expires in ${d.days} days.`
  const ignore = 'If you do not know this person, ignore this email: nothing happens unless you accept.'
  return linkEmail({ subject, ask, link: d.link, linkLabel: 'See the invitation', validity, ignore })
}
