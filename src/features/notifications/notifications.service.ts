/**
 * Enqueueing notifications from other features' services (SPEC §5), always inside the
 * caller's transaction so a message exists only if the write committed (STYLE §2).
 */
import type { Kysely } from 'kysely'
import type { Deps } from '../../app/deps.js'
import type { DB } from '../../db/schema.js'
import type { JobSendOptions } from '../../jobs/job-queue.js'
import { sealJobSecret } from '../../jobs/job-secrets.js'
import type { EmailJob, SmsJob } from './notifications.jobs.js'

type ResetCodeJob = Extract<EmailJob, { template: 'password-reset-code' }>

/** An email job as a service states it: a reset code in clear, sealed here before it is stored. */
export type EmailRequest =
  | Exclude<EmailJob, ResetCodeJob>
  | (Omit<ResetCodeJob, 'data'> & { data: { code: string; expiresInMinutes: number } })

/**
 * Enqueues an email (`notify.email`) in `trx`. A `password-reset-code` request's code is
 * sealed with the master key first. Returns the job id.
 */
export async function enqueueEmail(deps: Deps, trx: Kysely<DB>, request: EmailRequest, options?: JobSendOptions): Promise<string | null> {
  const job: EmailJob =
    request.template === 'password-reset-code'
      ? {
          template: request.template,
          to: request.to,
          data: { sealedCode: sealJobSecret(deps.config.masterKey, request.data.code), expiresInMinutes: request.data.expiresInMinutes },
        }
      : request
  return deps.jobs.send(trx, 'notify.email', job, options)
}

/**
 * Enqueues an SMS (`notify.sms`) in `trx`. Pass `singletonKey`/`singletonSeconds` to
 * throttle (a throttled call returns null). Returns the job id.
 */
export function enqueueSms(deps: Deps, trx: Kysely<DB>, job: SmsJob, options?: JobSendOptions): Promise<string | null> {
  return deps.jobs.send(trx, 'notify.sms', job, options)
}
