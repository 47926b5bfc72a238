/**
 * The `notify.email-verification` job (SPEC §5, §8): makes a link for the account's current
 * address when it runs and sends `verificationEmail` through notifications' `EmailSender`
 * — the one message it lets through to an unverified address. The payload is the account
 * id only: no address, no token.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { createEmailSender } from '../notifications/email-sender.js'
import { issueVerificationLink, VERIFICATION_LINK_HOURS } from './email-verification.service.js'
import { verificationEmail } from './email-verification.template.js'

export const EmailVerificationJob = z.object({ userId: z.uuid() }).strict()
export type EmailVerificationJob = z.infer<typeof EmailVerificationJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.email-verification': EmailVerificationJob
  }
}

/** Registers the handler on `deps.jobs` (before `start()`). Its output names the account id, never the address. */
export async function registerEmailVerificationJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  await deps.jobs.work('notify.email-verification', async (payload, job) => {
    const { userId } = EmailVerificationJob.parse(payload)
    const outcome = await email.send(
      { userId },
      job.id,
      async (account) => verificationEmail({ link: await issueVerificationLink(deps, userId, account?.email ?? ''), hours: VERIFICATION_LINK_HOURS }),
      { toUnverified: true },
    )
    return { userId, ...outcome }
  })
}
