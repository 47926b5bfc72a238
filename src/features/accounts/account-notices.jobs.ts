/**
 * The `notify.account-notice` job (SPEC §5, §8): renders `accountNoticeEmail` when it runs,
 * with the account's current name and address and, for a new sign-in, the session's device,
 * and sends it through notifications' `EmailSender`. The payload holds ids, the notice's
 * kind and its time: no address, no device details.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { createEmailSender } from '../notifications/email-sender.js'
import { ACCOUNT_NOTICES, accountNoticeEmail } from './account-notices.js'
import { findSessionDevice } from './accounts.queries.js'

export const AccountNoticeJob = z
  .object({ userId: z.uuid(), notice: z.enum(ACCOUNT_NOTICES), at: z.iso.datetime({ offset: true }), sessionId: z.uuid().optional() })
  .strict()
export type AccountNoticeJob = z.infer<typeof AccountNoticeJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.account-notice': AccountNoticeJob
  }
}

/** An earlier release's password-changed email: `notify.email` `{template: 'password-changed', to: {userId}, data: {changedAt}}`. */
const LegacyPasswordChanged = z
  .object({ template: z.literal('password-changed'), to: z.object({ userId: z.uuid() }).strict(), data: z.object({ changedAt: z.iso.datetime({ offset: true }) }).strict() })
  .strict()

/**
 * Registers the handler on `deps.jobs` (before `start()`). Its output names the notice and
 * the account id. Upgrade: password-changed emails still queued as `notify.email` jobs are
 * moved here as `password-changed` notices (job-moves.ts).
 */
export async function registerAccountNoticeJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  const adopt = {
    from: 'notify.email',
    match: { template: 'password-changed' },
    payload: (legacy: unknown): AccountNoticeJob => {
      const { to, data } = LegacyPasswordChanged.parse(legacy)
      return { userId: to.userId, notice: 'password-changed', at: data.changedAt }
    },
  }
  await deps.jobs.work('notify.account-notice', async (payload, job) => {
    const { userId, notice, at, sessionId } = AccountNoticeJob.parse(payload)
    const device = sessionId ? await findSessionDevice(deps.db, sessionId) : undefined
    const outcome = await email.send({ userId }, job.id, (account) =>
      accountNoticeEmail({ name: account?.name, role: account?.role, notice, at, publicUrl: deps.config.publicUrl, device }),
    )
    return { notice, userId, ...outcome }
  }, { adopt })
}
