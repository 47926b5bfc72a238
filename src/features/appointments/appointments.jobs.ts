/**
 * The appointments feature's jobs (SPEC §10, §5):
 *
 * - `notify.appointment`: one email of a booking, move, cancellation or reminder to one
 *   account, with the `.ics` (REQUEST or CANCEL) built from the payload's instants and
 *   sequence — the version of the appointment the email is about, even if it has changed since.
 * - `appointments.reminder`: enqueued at booking and at each move for start − 24 h (at once
 *   when closer); when it runs it does nothing unless the appointment is still booked at the
 *   start the payload names (a move or cancellation makes the old reminder moot), else it
 *   emails both sides, raises `appointment.reminder`, and texts the patient's profile phone.
 * - `notify.appointment-sms`: the reminder SMS, the number read when it is sent.
 *
 * Payloads carry ids and instants only; names and addresses are read when the job runs.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { createEmailSender, UserRecipient } from '../notifications/email-sender.js'
import { createSmsSender } from '../notifications/sms-sender.js'
import { enqueueAppointmentMail, notifyAppointment } from './appointment-messages.js'
import { icsAttachment } from './appointment-ics.js'
import * as q from './appointments.queries.js'
import { appointmentEmail, appointmentReminderSms } from './appointments.templates.js'

const Instant = z.iso.datetime({ offset: true })

export const AppointmentMailJob = z
  .object({
    appointmentId: z.uuid(),
    event: z.enum(['booked', 'rescheduled', 'cancelled', 'reminder']),
    sequence: z.int().min(0),
    start: Instant,
    end: Instant,
    to: UserRecipient,
  })
  .strict()
export type AppointmentMailJob = z.infer<typeof AppointmentMailJob>

/** A reminder of one version of an appointment: it fires only if the appointment still starts at `start`. */
export const AppointmentReminderJob = z.object({ appointmentId: z.uuid(), start: Instant }).strict()
export type AppointmentReminderJob = z.infer<typeof AppointmentReminderJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.appointment': AppointmentMailJob
    'appointments.reminder': AppointmentReminderJob
    'notify.appointment-sms': AppointmentReminderJob
  }
}

/** Registers the three handlers on `deps.jobs` (before `start()`). Their outputs name ids, never addresses. */
export async function registerAppointmentJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  const sms = await createSmsSender(deps.config)

  await deps.jobs.work('notify.appointment', async (payload, job) => {
    const m = AppointmentMailJob.parse(payload)
    const outcome = await email.send(m.to, job.id, async (account) => {
      const view = await q.findAppointmentView(deps.db, m.appointmentId)
      if (!view) return { skipped: 'appointment-gone' }
      const start = new Date(m.start)
      const method = m.event === 'cancelled' ? 'CANCEL' : 'REQUEST'
      const ics = { id: view.id, start, end: new Date(m.end), sequence: m.sequence, doctorName: view.doctorName, patientName: view.patientName, url: deps.config.publicUrl }
      return appointmentEmail({
        event: m.event,
        name: account?.name,
        doctorName: view.doctorName,
        patientName: view.patientName,
        start,
        publicUrl: deps.config.publicUrl,
        attachment: m.event === 'reminder' ? undefined : icsAttachment(ics, method),
      })
    })
    return { appointmentId: m.appointmentId, event: m.event, ...outcome }
  })

  await deps.jobs.work('appointments.reminder', async (payload) => {
    const r = AppointmentReminderJob.parse(payload)
    return deps.db.transaction().execute(async (trx) => {
      const a = await q.findAppointment(trx, r.appointmentId)
      if (!a || a.status !== 'booked' || a.startsAt.getTime() !== new Date(r.start).getTime()) return { appointmentId: r.appointmentId, skipped: 'moved-or-cancelled' }
      await enqueueAppointmentMail(deps, trx, a, 'reminder')
      await notifyAppointment(trx, a, 'reminder', null, {})
      const phone = await q.findPatientPhone(trx, a.patientId)
      if (phone && !(await q.isDependent(trx, a.patientId))) await deps.jobs.send(trx, 'notify.appointment-sms', r)
      return { appointmentId: r.appointmentId, sms: Boolean(phone) }
    })
  })

  await deps.jobs.work('notify.appointment-sms', async (payload) => {
    const r = AppointmentReminderJob.parse(payload)
    const view = await q.findAppointmentView(deps.db, r.appointmentId)
    if (!view || view.status !== 'booked' || view.startsAt.getTime() !== new Date(r.start).getTime()) return { appointmentId: r.appointmentId, skipped: 'moved-or-cancelled' }
    const phone = await q.findPatientPhone(deps.db, view.patientId)
    if (!phone) return { appointmentId: r.appointmentId, skipped: 'no-phone' }
    const sent = await sms.send(phone, appointmentReminderSms({ doctorName: view.doctorName, start: view.startsAt }))
    return { appointmentId: r.appointmentId, provider: sent.provider, ...(sent.sid ? { sid: sent.sid } : {}) }
  })
}
