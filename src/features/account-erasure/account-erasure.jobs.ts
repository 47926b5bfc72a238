/**
 * The `notify.locker-erased` job (SPEC §9): tells the patient their locker was erased. The
 * payload holds the account id and the time only; the address is read when the job runs (the
 * account row stays, disabled). An address never verified gets nothing (SPEC §8), as always.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { formatUtc } from '../../app/dates.js'
import { createEmailSender } from '../notifications/email-sender.js'
import { escapeHtml, greeting, layout, p, type EmailContent } from '../notifications/notifications.templates.js'

export const LockerErasedJob = z.object({ userId: z.uuid(), at: z.iso.datetime({ offset: true }) }).strict()
export type LockerErasedJob = z.infer<typeof LockerErasedJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.locker-erased': LockerErasedJob
  }
}

/** The goodbye email (text and HTML): what was erased, what was kept, and what to do if it was not the patient. */
export function lockerErasedEmail(d: { name: string | undefined; at: string }): EmailContent {
  const subject = 'Your CareLocker locker was erased'
  const lines = [
    `Your CareLocker locker was erased on ${formatUtc(d.at)} at your request, and your account was closed.`,
    'Your documents can no longer be decrypted by anyone, and your profile, vital signs, lab results, notes and links were deleted. Every share link and your emergency link stopped working.',
    'What is kept: the access log (who looked at your data and when, without any medical content), and the prescriptions and dispensations that doctors and pharmacies must keep by law.',
    'If you did not ask for this, contact the operator of this CareLocker at once.',
  ]
  return {
    subject,
    text: [greeting(d.name), '', ...lines, ''].join('\n'),
    html: layout(subject, [p(escapeHtml(greeting(d.name))), ...lines.map((l) => p(escapeHtml(l)))].join('\n')),
  }
}

/** Registers the handler on `deps.jobs` (before `start()`). */
export async function registerAccountErasureJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  await deps.jobs.work('notify.locker-erased', async (payload, job) => {
    const { userId, at } = LockerErasedJob.parse(payload)
    const outcome = await email.send({ userId }, job.id, (account) => lockerErasedEmail({ name: account?.name, at }))
    return { userId, ...outcome }
  })
}
