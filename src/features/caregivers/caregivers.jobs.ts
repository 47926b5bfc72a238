/**
 * The `notify.caregiver-invitation` job (SPEC §5, §10): emails the invitation link to the
 * invited address. The payload holds the invitation's id and its token sealed with the master
 * key (`job-secrets.ts`): a job row outlives its run, the token is stored only hashed elsewhere.
 * Skipped when the invitation was accepted, revoked or expired before the job ran, and when the
 * address belongs to an account that has not verified it (SPEC §8: no other email until verified).
 */
import { z } from 'zod'
import type { Deps } from '../../app/deps.js'
import { openJobSecret } from '../../jobs/job-secrets.js'
import { createEmailSender } from '../notifications/email-sender.js'
import * as q from './caregivers.queries.js'
import { INVITATION_DAYS } from './caregivers.schema.js'
import { caregiverInvitationEmail } from './caregivers.template.js'

export const CaregiverInvitationJob = z.object({ invitationId: z.uuid(), sealedToken: z.string().min(1) }).strict()
export type CaregiverInvitationJob = z.infer<typeof CaregiverInvitationJob>

declare module '../../jobs/job-queue.js' {
  interface JobPayloads {
    'notify.caregiver-invitation': CaregiverInvitationJob
  }
}

/** Registers the handler on `deps.jobs` (before `start()`). Its output names the invitation id, never the address or token. */
export async function registerCaregiverJobs(deps: Deps): Promise<void> {
  const email = createEmailSender(deps)
  await deps.jobs.work('notify.caregiver-invitation', async (payload, job) => {
    const { invitationId, sealedToken } = CaregiverInvitationJob.parse(payload)
    const invitation = await q.findPendingInvitation(deps.db, invitationId)
    if (!invitation) return { invitationId, skipped: 'invitation-not-pending' }
    const token = openJobSecret(deps.config.masterKey, sealedToken)
    const link = `${deps.config.publicUrl}/caregiver-invitations/${token}`
    // An address with no account gets the link (the invitation is what brings them); one whose
    // account has not verified it gets nothing (SPEC §8; the in-app notification reaches them).
    const outcome = await email.send({ email: invitation.email }, job.id, () =>
      caregiverInvitationEmail({ patientName: invitation.patientName, access: invitation.access, link, days: INVITATION_DAYS }),
    )
    return { invitationId, ...outcome }
  })
}
