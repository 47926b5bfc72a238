/**
 * The prescriptions feature's job (SPEC §4.9, §5): `notify.prescription-issued` emails the
 * patient their prescription. The service enqueues it in the issuing transaction
 * (`deps.jobs.send(trx, 'notify.prescription-issued', { prescriptionId, to })`); the
 * handler renders this feature's own template and sends it through notifications'
 * generic `EmailSender`. Notifications knows nothing of prescriptions (STYLE §9).
 *
 * Upgrade: the previous release queued this email as a `notify.email` job with template
 * `prescription-issued`; those still waiting are moved to this queue when it is created
 * (`adopt`, src/jobs/job-moves.ts), so none is lost.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { createEmailSender, EmailRecipient } from '../notifications/email-sender.js'
import { prescriptionIssuedContent } from './prescriptions.service.js'

/** Only the id and the recipient: the handler loads items, numbers and the QR code when it runs (no drugs in the queue). */
export const PrescriptionIssuedJob = z.object({ prescriptionId: z.uuid(), to: EmailRecipient }).strict()
export type PrescriptionIssuedJob = z.infer<typeof PrescriptionIssuedJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.prescription-issued': PrescriptionIssuedJob
  }
}

/** The previous release's payload: `notify.email` `{template: 'prescription-issued', to, data: {prescriptionId}}`. */
const LegacyEmailJob = z.object({ template: z.literal('prescription-issued'), to: EmailRecipient, data: z.object({ prescriptionId: z.uuid() }).strict() }).strict()

/** Registers the handler on `deps.jobs` (before `start()`). Its output names the prescription id, never the address. */
export async function registerPrescriptionJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  await deps.jobs.work(
    'notify.prescription-issued',
    async (payload, job) => {
      const { prescriptionId, to } = PrescriptionIssuedJob.parse(payload)
      const outcome = await email.send(to, job.id, async () => (await prescriptionIssuedContent(deps, prescriptionId)) ?? { skipped: 'prescription-gone' })
      return { prescriptionId, ...outcome }
    },
    {
      adopt: {
        from: 'notify.email',
        match: { template: 'prescription-issued' },
        payload: (legacy) => {
          const { to, data } = LegacyEmailJob.parse(legacy)
          return { prescriptionId: data.prescriptionId, to }
        },
      },
    },
  )
}
