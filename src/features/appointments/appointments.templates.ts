/**
 * This feature's own messages (SPEC §10, §5; STYLE §9: notifications knows no feature): the
 * emails of a booking, a move, a cancellation and a reminder, and the reminder SMS. Times are
 * named in UTC (`formatUtc`), like every message of CareLocker.
 */
import { formatUtc } from '../../app/dates.js'
import { escapeHtml, greeting, layout, p, type EmailAttachment, type EmailContent } from '../notifications/notifications.templates.js'

export type AppointmentEvent = 'booked' | 'rescheduled' | 'cancelled' | 'reminder'

export interface AppointmentMailData {
  event: AppointmentEvent
  /** The recipient's name (account), for the greeting. */
  name: string | undefined
  doctorName: string
  patientName: string
  start: Date
  publicUrl: string
  attachment?: EmailAttachment | undefined
}

const HEADLINES: Record<AppointmentEvent, string> = {
  booked: 'Appointment booked',
  rescheduled: 'Appointment moved',
  cancelled: 'Appointment cancelled',
  reminder: 'Appointment reminder',
}

/** One email of an appointment; the `.ics` rides along as an attachment when given. */
export function appointmentEmail(d: AppointmentMailData): EmailContent {
  const when = formatUtc(d.start)
  const what = {
    booked: `An appointment of ${d.patientName} with ${d.doctorName} is booked for ${when}.`,
    rescheduled: `The appointment of ${d.patientName} with ${d.doctorName} has moved to ${when}.`,
    cancelled: `The appointment of ${d.patientName} with ${d.doctorName} on ${when} is cancelled.`,
    reminder: `Reminder: ${d.patientName} has an appointment with ${d.doctorName} at ${when}.`,
  }[d.event]
  const cal = d.attachment ? 'The attached calendar file adds it to (or updates) your calendar.' : ''
  const subject = `${HEADLINES[d.event]}: ${when}`
  return {
    subject,
    text: [greeting(d.name), '', what, ...(cal ? [cal] : []), '', d.publicUrl, ''].join('\n'),
    html: layout(HEADLINES[d.event], [p(escapeHtml(greeting(d.name))), p(escapeHtml(what)), ...(cal ? [p(escapeHtml(cal))] : []), p(escapeHtml(d.publicUrl))].join('')),
    ...(d.attachment ? { attachments: [d.attachment] } : {}),
  }
}

/** The reminder SMS: the doctor's name and the time only — an SMS may be read by anyone holding the phone. */
export const appointmentReminderSms = (d: { doctorName: string; start: Date }): string =>
  `CareLocker reminder: appointment with ${d.doctorName} at ${formatUtc(d.start)}.`
