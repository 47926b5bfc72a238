/**
 * What an appointment's change sends (SPEC §10), enqueued in the change's transaction so it
 * exists only if the change committed (STYLE §2): an email to each side (the `.ics` is built
 * when the job runs, from the payload's instants and sequence), an in-app notification to the
 * doctor and the patient's locker (`lockerRecipients`: the patient unless a dependent, and
 * their `manage` caregivers) minus whoever acted, and — on booking and moving — the reminder
 * job 24 h before the start (at once when that is already past).
 */
import type { Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import type { DB } from '../../db/schema.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'
import type { AppointmentEvent } from './appointments.templates.js'
import type { AppointmentRow } from './appointments.queries.js'
import { isDependent } from './appointments.queries.js'

const DAY_MS = 86_400_000

/**
 * Who gets an appointment's emails: its doctor and its patient — or, for a dependent (who
 * never signs in), the patient's locker recipients (their managers) instead.
 */
export async function mailRecipients(trx: Transaction<DB>, a: Pick<AppointmentRow, 'patientId' | 'doctorId'>): Promise<string[]> {
  const patientSide = (await isDependent(trx, a.patientId)) ? await lockerRecipients(trx, a.patientId) : [a.patientId]
  return [a.doctorId, ...patientSide.filter((id) => id !== a.doctorId)]
}

/**
 * Enqueues `event`'s email to each of `to` (default: `mailRecipients`), carrying the instants
 * and sequence of this version of the appointment.
 */
export async function enqueueAppointmentMail(deps: Deps, trx: Transaction<DB>, a: AppointmentRow, event: AppointmentEvent, to?: readonly string[]): Promise<void> {
  for (const userId of to ?? (await mailRecipients(trx, a))) {
    await deps.jobs.send(trx, 'notify.appointment', {
      appointmentId: a.id,
      event,
      sequence: a.sequence,
      start: a.startsAt.toISOString(),
      end: a.endsAt.toISOString(),
      to: { userId },
    })
  }
}

/** Raises `appointment.<event>` for the doctor and the patient's locker recipients, minus `actorId`. */
export async function notifyAppointment(trx: Transaction<DB>, a: AppointmentRow, event: AppointmentEvent, actorId: string | null, data: Record<string, string>): Promise<void> {
  const ids = [a.doctorId, ...(await lockerRecipients(trx, a.patientId))]
  const recipients = [...new Set(ids)].filter((id) => id !== actorId)
  await notifyUsers(
    trx,
    recipients.map((userId) => ({ userId, type: `appointment.${event}` as const, patientId: a.patientId, resource: { type: 'appointment', id: a.id }, data: { start: a.startsAt.toISOString(), ...data } })),
  )
}

/** Enqueues the reminder of this version of `a`: at start − 24 h, or at once inside 24 h (SPEC §10). */
export async function scheduleReminder(deps: Deps, trx: Transaction<DB>, a: AppointmentRow): Promise<void> {
  const at = new Date(a.startsAt.getTime() - DAY_MS)
  const payload = { appointmentId: a.id, start: a.startsAt.toISOString() }
  await deps.jobs.send(trx, 'appointments.reminder', payload, at > deps.now() ? { startAfter: at } : undefined)
}

/** Everything a change sends: emails, in-app notifications, and (booked, moved) the reminder. */
export async function announceChange(deps: Deps, trx: Transaction<DB>, a: AppointmentRow, event: 'booked' | 'rescheduled' | 'cancelled', actorId: string, data: Record<string, string>): Promise<void> {
  await enqueueAppointmentMail(deps, trx, a, event)
  await notifyAppointment(trx, a, event, actorId, data)
  if (event !== 'cancelled') await scheduleReminder(deps, trx, a)
}
