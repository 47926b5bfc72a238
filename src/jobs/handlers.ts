/** Every feature's job handlers, registered on `deps.jobs` before it starts (like `app/routes.ts`). */
import type { Deps } from '../app/deps.js'
import { registerAppointmentJobs } from '../features/appointments/appointments.jobs.js'
import { registerAccountNoticeJobs } from '../features/accounts/account-notices.jobs.js'
import { registerDataExportJobs } from '../features/data-export/data-export.jobs.js'
import { registerCaregiverJobs } from '../features/caregivers/caregivers.jobs.js'
import { registerAccountErasureJobs } from '../features/account-erasure/account-erasure.jobs.js'
import { registerPasswordResetJobs } from '../features/accounts/password-reset.jobs.js'
import { registerEmailVerificationJobs } from '../features/email-verification/email-verification.jobs.js'
import { registerNotificationJobs } from '../features/notifications/notifications.jobs.js'
import { registerPrescriptionJobs } from '../features/prescriptions/prescriptions.jobs.js'

/** Registers each feature's handlers; `composeDeps` calls it before `deps.jobs.start()`. */
export async function registerJobHandlers(deps: Deps): Promise<void> {
  await registerNotificationJobs(deps)
  await registerPasswordResetJobs(deps)
  await registerAccountNoticeJobs(deps)
  await registerEmailVerificationJobs(deps)
  await registerPrescriptionJobs(deps)
  await registerDataExportJobs(deps)
  await registerAccountErasureJobs(deps)
  await registerAppointmentJobs(deps)
  await registerCaregiverJobs(deps)
}
