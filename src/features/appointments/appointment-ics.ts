/**
 * The `.ics` attached to appointment emails (SPEC §10), built with npm `ics` (RFC 5545, iTIP
 * RFC 5546): `METHOD:REQUEST` when booked or moved, `METHOD:CANCEL` (STATUS:CANCELLED) when
 * cancelled. `UID` is the appointment's (stable across its life) and `SEQUENCE` its
 * `appointments.sequence` (0 when booked, +1 on each change), so a calendar updates or removes
 * the event it already holds rather than adding another.
 */
import { createEvent } from 'ics'
import type { EmailAttachment } from '../notifications/notifications.templates.js'

export interface IcsAppointment {
  id: string
  start: Date
  end: Date
  sequence: number
  doctorName: string
  patientName: string
  /** Link to the web app. */
  url: string
}

/** The iCalendar UID of an appointment: the same for its booking, moves and cancellation. */
export const icsUid = (appointmentId: string) => `${appointmentId}@carelocker`

/** The calendar text of `a`; throws when `ics` refuses the input (a bug, not user input). */
export function appointmentIcs(a: IcsAppointment, method: 'REQUEST' | 'CANCEL'): string {
  const { error, value } = createEvent({
    productId: 'carelocker/appointments',
    method,
    uid: icsUid(a.id),
    sequence: a.sequence,
    start: a.start.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: a.end.getTime(),
    endInputType: 'utc',
    endOutputType: 'utc',
    title: `Appointment: ${a.patientName} with ${a.doctorName}`,
    description: `CareLocker appointment. Manage it at ${a.url}`,
    url: a.url,
    status: method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED',
    organizer: { name: 'CareLocker', email: 'no-reply@carelocker.invalid' },
  })
  if (error || !value) throw error ?? new Error('ics produced no calendar')
  return value
}

/** `appointmentIcs` as an email attachment (`invite.ics`, `text/calendar; method=…`). */
export function icsAttachment(a: IcsAppointment, method: 'REQUEST' | 'CANCEL'): EmailAttachment {
  return {
    filename: method === 'CANCEL' ? 'cancel.ics' : 'invite.ics',
    content: Buffer.from(appointmentIcs(a, method), 'utf8'),
    contentType: `text/calendar; charset=utf-8; method=${method}`,
  }
}
