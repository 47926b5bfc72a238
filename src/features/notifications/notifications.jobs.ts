/**
 * Notification jobs (SPEC §5): `notify.email` and `notify.sms`, their payload schemas and
 * handlers. Payloads carry ids (the handler loads names and addresses when it runs), never
 * passwords; a reset code travels sealed with the master key (`job-secrets.ts`).
 *
 * Enqueue inside the business transaction:
 * `await deps.jobs.send(trx, 'notify.email', { template: 'welcome', to: { userId } })`,
 * or `enqueueEmail` / `enqueueSms` from `notifications.service.ts`.
 *
 * The `password-changed` template of earlier releases is now an account notice
 * (`notify.account-notice`, accounts/account-notices.jobs.ts adopts the queued ones).
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { openJobSecret } from '../../jobs/job-secrets.js'
import { createEmailSender, EmailRecipient, UserRecipient, type EmailSender, type RecipientAccount } from './email-sender.js'
import { findPatientName } from './notifications.queries.js'
import {
  consultationDecisionEmail,
  emergencyAccessEmail,
  emergencyAlertSms,
  passwordResetCodeEmail,
  welcomeEmail,
  type EmailContent,
} from './notifications.templates.js'
import { createSmsSender, type SmsSender } from './sms-sender.js'

const Instant = z.iso.datetime({ offset: true })
/** E.164, as profiles store emergency contacts' phones. */
const Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'Expected an E.164 phone number.')

/** A doctor's decision on a consultation request (SPEC §4.8): ids and the doctor's professional name only. */
const ConsultationDecision = z.object({ consultationId: z.uuid(), doctorName: z.string().min(1), decidedAt: Instant }).strict()

export const EmailJob = z.discriminatedUnion('template', [
  z.object({ template: z.literal('welcome'), to: UserRecipient }).strict(),
  z.object({ template: z.literal('emergency-access'), to: EmailRecipient, data: z.object({ accessedAt: Instant }).strict() }).strict(),
  z
    .object({
      template: z.literal('password-reset-code'),
      to: EmailRecipient,
      data: z.object({ sealedCode: z.string().min(1), expiresInMinutes: z.int().positive() }).strict(),
    })
    .strict(),
  z.object({ template: z.literal('consultation-approved'), to: UserRecipient, data: ConsultationDecision }).strict(),
  z.object({ template: z.literal('consultation-rejected'), to: UserRecipient, data: ConsultationDecision }).strict(),
])
export type EmailJob = z.infer<typeof EmailJob>

export const SmsJob = z.discriminatedUnion('template', [
  z
    .object({
      template: z.literal('emergency-alert'),
      to: Phone,
      data: z.object({ patientId: z.uuid(), accessedAt: Instant }).strict(),
    })
    .strict(),
])
export type SmsJob = z.infer<typeof SmsJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.email': EmailJob
    'notify.sms': SmsJob
  }
}

/** Registers the notification handlers on `deps.jobs` (before `start()`). */
export async function registerNotificationJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  const sms = await createSmsSender(deps.config)
  await deps.jobs.work('notify.email', (payload, job) => deliverEmail(deps, email, EmailJob.parse(payload), job.id))
  await deps.jobs.work('notify.sms', (payload) => deliverSms(deps, sms, SmsJob.parse(payload)))
}

/** Renders and sends one email; skips (completes) when the recipient account is gone. */
async function deliverEmail(deps: Deps, email: EmailSender, job: EmailJob, jobId: string) {
  return { template: job.template, ...(await email.send(job.to, jobId, (user) => renderEmail(deps, job, user))) }
}

function renderEmail(deps: Deps, job: EmailJob, user: RecipientAccount | undefined): EmailContent {
  const name = user?.name
  const publicUrl = deps.config.publicUrl
  switch (job.template) {
    case 'welcome':
      return welcomeEmail({ name, role: user?.role ?? 'patient', publicUrl })
    case 'emergency-access':
      return emergencyAccessEmail({ name, accessedAt: job.data.accessedAt, publicUrl })
    case 'password-reset-code':
      return passwordResetCodeEmail({ name, code: openJobSecret(deps.config.masterKey, job.data.sealedCode), expiresInMinutes: job.data.expiresInMinutes })
    case 'consultation-approved':
    case 'consultation-rejected':
      return consultationDecisionEmail({
        name,
        recipientRole: user?.role ?? 'patient',
        decision: job.template === 'consultation-approved' ? 'approved' : 'rejected',
        doctorName: job.data.doctorName,
        decidedAt: job.data.decidedAt,
        publicUrl,
      })
  }
}

/** Renders and sends one SMS; skips when the patient is gone. */
async function deliverSms(deps: Deps, sender: SmsSender, job: SmsJob) {
  const patientName = await findPatientName(deps.db, job.data.patientId)
  if (patientName === undefined) return { template: job.template, skipped: 'patient-gone' }
  const sent = await sender.send(job.to, emergencyAlertSms({ patientName, accessedAt: job.data.accessedAt }))
  return { template: job.template, provider: sent.provider, ...(sent.sid ? { sid: sent.sid } : {}) }
}
