/**
 * The password-reset job (SPEC §4.1, §6): `accounts.password-reset-code` issues a code for
 * an email and enqueues the message. The request route only enqueues it, so a request does
 * the same work whether or not the email has an account. The payload holds the address
 * sealed with the master key (`job-secrets.ts`), never in clear.
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { openJobSecret } from '../../jobs/job-secrets.js'
import { issuePasswordResetCode } from './password-reset.service.js'

export const PasswordResetCodeJob = z.object({ sealedEmail: z.string().min(1) }).strict()
export type PasswordResetCodeJob = z.infer<typeof PasswordResetCodeJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'accounts.password-reset-code': PasswordResetCodeJob
  }
}

/** Registers the handler on `deps.jobs` (before `start()`). Its output names the account id, never the address. */
export async function registerPasswordResetJobs(deps: Deps): Promise<void> {
  await deps.jobs.work('accounts.password-reset-code', async (payload) => {
    const email = openJobSecret(deps.config.masterKey, PasswordResetCodeJob.parse(payload).sealedEmail)
    const userId = await issuePasswordResetCode(deps, email)
    return userId ? { issued: true, userId } : { issued: false }
  })
}
