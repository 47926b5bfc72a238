/**
 * Email and SMS templates (SPEC §5): small pure functions, and the building blocks
 * (`layout`, `p`, `greeting`, `escapeHtml`) a feature's own template uses (prescriptions).
 * Every email has a text part and an HTML part whose interpolated values are HTML-escaped;
 * no remote images (an image is an inline CID attachment). Times are named in UTC.
 */
import { formatUtc } from '../../app/dates.js'
import type { Role } from '../../db/schema.js'

export interface EmailAttachment {
  filename: string
  content: Buffer
  contentType: string
  /** Set for an inline image, referenced as `cid:<cid>` in the HTML. */
  cid?: string
}

export interface EmailContent {
  subject: string
  text: string
  html: string
  attachments?: EmailAttachment[]
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

/** `Hello Ann,`, or `Hello,` without a name. */
export const greeting = (name: string | undefined): string => (name ? `Hello ${name},` : 'Hello,')

/** Wraps paragraphs (already-escaped HTML) in a minimal, inline-styled document. */
export function layout(title: string, bodyHtml: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f4f6f8;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1b2330;line-height:1.5">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">',
    '<p style="margin:0 0 16px;font-weight:700;color:#0b6e4f">CareLocker</p>',
    bodyHtml,
    '</div></body></html>',
  ].join('\n')
}

/** One paragraph of an email's HTML; `html` is already escaped. */
export const p = (html: string): string => `<p style="margin:0 0 12px">${html}</p>`

/**
 * An email whose point is one link (verify an address, accept an invitation): "Hello,", what is
 * asked, the link (a button in HTML), how long it works, and what to do when unexpected. All
 * strings are plain text (escaped here); `link` is an absolute URL.
 */
export function linkEmail(d: { subject: string; ask: string; link: string; linkLabel: string; validity: string; ignore: string }): EmailContent {
  return {
    subject: d.subject,
    text: ['Hello,', '', d.ask, d.link, '', d.validity, d.ignore, ''].join('\n'),
    html: layout(
      d.subject,
      [
        p('Hello,'),
        p(escapeHtml(d.ask)),
        p(`<a href="${escapeHtml(d.link)}" style="color:#0b6e4f;font-weight:700">${escapeHtml(d.linkLabel)}</a>`),
        p(escapeHtml(d.validity)),
        p(escapeHtml(d.ignore)),
      ].join('\n'),
    ),
  }
}
const link = (url: string, label: string) => `<a href="${escapeHtml(url)}" style="color:#0b6e4f">${escapeHtml(label)}</a>`

export interface WelcomeData {
  name?: string | undefined
  role: Role
  publicUrl: string
}

/** Sent on registration (SPEC §5). Doctors and pharmacists learn that an admin verifies them. */
export function welcomeEmail(d: WelcomeData): EmailContent {
  const next =
    d.role === 'doctor' || d.role === 'pharmacist'
      ? 'An administrator will verify your account; until then, clinical features stay locked.'
      : 'Next steps: complete your medical profile, add your emergency contacts and print your emergency QR code.'
  return {
    subject: 'Welcome to CareLocker',
    text: [greeting(d.name), '', 'Your CareLocker account is ready.', next, '', `Sign in: ${d.publicUrl}`, ''].join('\n'),
    html: layout(
      'Welcome to CareLocker',
      [p(escapeHtml(greeting(d.name))), p('Your CareLocker account is ready.'), p(escapeHtml(next)), p(link(d.publicUrl, 'Sign in to CareLocker'))].join('\n'),
    ),
  }
}

export interface EmergencyAccessData {
  name?: string | undefined
  accessedAt: Date | string
  publicUrl: string
}

/** To the patient on every emergency access (SPEC §4.6); names the time in UTC. */
export function emergencyAccessEmail(d: EmergencyAccessData): EmailContent {
  const when = formatUtc(d.accessedAt)
  const opened = `Your emergency information was opened with your emergency link at ${when}. Your emergency contacts were alerted by SMS.`
  const advice =
    'If you were not in an emergency, someone else may have your QR code: rotate your emergency link in CareLocker, and check your audit log to see what was viewed.'
  return {
    subject: 'Emergency access to your CareLocker record',
    text: [greeting(d.name), '', opened, '', advice, '', d.publicUrl, ''].join('\n'),
    html: layout(
      'Emergency access to your CareLocker record',
      [p(escapeHtml(greeting(d.name))), p(`<strong>${escapeHtml(opened)}</strong>`), p(escapeHtml(advice)), p(link(d.publicUrl, 'Open CareLocker'))].join('\n'),
    ),
  }
}

export interface PasswordResetCodeData {
  name?: string | undefined
  code: string
  expiresInMinutes: number
}

/** The one-time password reset code (SPEC §6). */
export function passwordResetCodeEmail(d: PasswordResetCodeData): EmailContent {
  const validity = `It works once and expires in ${d.expiresInMinutes} minutes.`
  const ignore = 'If you did not ask to reset your password, ignore this email: your password stays unchanged.'
  return {
    subject: 'Your CareLocker password reset code',
    text: [greeting(d.name), '', `Your password reset code is: ${d.code}`, validity, '', ignore, ''].join('\n'),
    html: layout(
      'Your CareLocker password reset code',
      [
        p(escapeHtml(greeting(d.name))),
        p('Your password reset code is:'),
        `<p style="margin:0 0 12px;font-size:28px;font-weight:700;letter-spacing:4px;font-family:monospace">${escapeHtml(d.code)}</p>`,
        p(escapeHtml(validity)),
        p(escapeHtml(ignore)),
      ].join('\n'),
    ),
  }
}

export interface ConsultationDecisionData {
  name?: string | undefined
  /** Whom the email is for: the patient who asked, or the doctor who decided. */
  recipientRole: Role
  decision: 'approved' | 'rejected'
  doctorName: string
  decidedAt: Date | string
  publicUrl: string
}

/**
 * To both sides when a doctor approves or rejects a consultation request (SPEC §4.8). The
 * patient learns the doctor's decision; the doctor gets a confirmation that names no patient
 * (the app shows who).
 */
export function consultationDecisionEmail(d: ConsultationDecisionData): EmailContent {
  const when = formatUtc(d.decidedAt)
  const approved = d.decision === 'approved'
  const toPatient = d.recipientRole === 'patient'
  const subject = toPatient
    ? `${d.doctorName} ${approved ? 'accepted' : 'declined'} your consultation request`
    : `You ${approved ? 'approved' : 'declined'} a consultation request`
  const what = toPatient
    ? approved
      ? `${d.doctorName} accepted your consultation request at ${when}. From now on they can read your profile, records and vitals and add to them, until you or they end the consultation.`
      : `${d.doctorName} declined your consultation request at ${when}. They have no access to your data. You can ask another doctor from the directory.`
    : approved
      ? `You approved a consultation request at ${when}. The patient is now in your patient list, until either of you ends the consultation.`
      : `You declined a consultation request at ${when}. You have no access to that patient's data.`
  const next = toPatient && approved ? 'You can end the consultation at any time in CareLocker; access stops at once.' : ''
  return {
    subject,
    text: [greeting(d.name), '', what, ...(next ? ['', next] : []), '', d.publicUrl, ''].join('\n'),
    html: layout(subject, [p(escapeHtml(greeting(d.name))), p(escapeHtml(what)), next ? p(escapeHtml(next)) : '', p(link(d.publicUrl, 'Open CareLocker'))].join('\n')),
  }
}

export interface EmergencyAlertSmsData {
  /** The patient's full name as they typed it; only a sanitised short form is sent. */
  patientName: string
  accessedAt: Date | string
}

/** SPEC §4.6: the name in an alert SMS is at most 30 characters. */
export const SMS_NAME_MAX = 30
const NAME_FALLBACK = 'a CareLocker patient'

/**
 * The patient's name as an alert SMS may carry it (SPEC §4.6): first name and last
 * initial, letters, spaces, hyphens and apostrophes only, at most 30 characters — so a
 * patient cannot make the service text arbitrary words or a URL to any number.
 * "Maria José García-López" → "Maria G"; "http://x.example" → "httpxexample"; a name with no
 * letters → "a CareLocker patient".
 */
export function smsPatientName(fullName: string): string {
  const words = fullName
    .normalize('NFC')
    .split(/\s+/u)
    .map((w) => w.replace(/[^\p{L}\p{M}'’-]/gu, '').replace(/’/gu, "'").replace(/^['-]+|['-]+$/gu, ''))
    .filter((w) => /\p{L}/u.test(w))
  const first = words[0]
  if (first === undefined) return NAME_FALLBACK
  const last = words.length > 1 ? words[words.length - 1] : undefined
  const initial = last ? (last.match(/\p{L}\p{M}*/u)?.[0] ?? '') : ''
  const firstMax = SMS_NAME_MAX - (initial ? initial.length + 1 : 0)
  const shortFirst = Array.from(first).slice(0, firstMax).join('').replace(/['-]+$/u, '')
  return initial ? `${shortFirst} ${initial}` : shortFirst
}

/**
 * SMS to each emergency contact (SPEC §4.6): a fixed template with the patient's short
 * name (`smsPatientName`) and the time (UTC) — no URL, nothing else the patient typed.
 */
export function emergencyAlertSms(d: EmergencyAlertSmsData): string {
  return `CareLocker: the emergency information of ${smsPatientName(d.patientName)} was opened at ${formatUtc(d.accessedAt)}. They may need help.`
}
