/** Every feature's routes, mounted under `/api/v1`. */
import { accountsRoutes } from '../features/accounts/accounts.routes.js'
import { appointmentsRoutes } from '../features/appointments/appointments.routes.js'
import { adminUsersRoutes } from '../features/accounts/admin-users.routes.js'
import { adminSettingsRoutes } from '../features/admin-settings/admin-settings.routes.js'
import { passwordResetRoutes } from '../features/accounts/password-reset.routes.js'
import { passkeysRoutes } from '../features/passkeys/passkeys.routes.js'
import { sessionsRoutes } from '../features/accounts/sessions.routes.js'
import { emailVerificationRoutes } from '../features/email-verification/email-verification.routes.js'
import { auditRoutes } from '../audit/audit.routes.js'
import { consultationsRoutes } from '../features/consultations/consultations.routes.js'
import { doctorsRoutes } from '../features/doctors/doctors.routes.js'
import { notesRoutes } from '../features/notes/notes.routes.js'
import { fhirImportRoutes } from '../features/import/import.routes.js'
import { fhirApiRoutes } from '../features/fhir-api/fhir-api.routes.js'
import { profileRoutes } from '../features/profile/profile.routes.js'
import { recordsRoutes } from '../features/records/records.routes.js'
import { summaryRoutes } from '../features/summary/summary.routes.js'
import { vitalsRoutes } from '../features/vitals/vitals.routes.js'
import { labsRoutes } from '../features/labs/labs.routes.js'
import { jobsRoutes } from '../jobs/jobs.routes.js'
import { dispensingRoutes } from '../features/dispensing/dispensing.routes.js'
import { prescriptionsRoutes } from '../features/prescriptions/prescriptions.routes.js'
import { emergencyAccessRoutes, emergencyPageRoutes } from '../features/emergency-access/emergency-access.routes.js'
import { sharePageRoutes } from '../features/share-links/share-page.routes.js'
import { shareLinksRoutes } from '../features/share-links/share-links.routes.js'
import { setupRoutes } from '../features/setup/setup.routes.js'
import { oidcRoutes } from '../features/oidc/oidc.routes.js'
import { mfaRoutes } from '../features/mfa/mfa.routes.js'
import { dataExportRoutes } from '../features/data-export/data-export.routes.js'
import { accountErasureRoutes } from '../features/account-erasure/account-erasure.routes.js'
import { shlRoutes } from '../features/shl/shl.routes.js'
import { inAppNotificationsRoutes } from '../features/in-app-notifications/in-app-notifications.routes.js'
import { encountersRoutes } from '../features/encounters/encounters.routes.js'
import { organizationsRoutes } from '../features/organizations/organizations.routes.js'
import { caregiversRoutes } from '../features/caregivers/caregivers.routes.js'
import type { App } from './app-types.js'
import type { Deps } from './deps.js'
import { webAppRoutes } from './web-app.js'

/** Registers every feature's routes on `app` (the API-prefixed scope); each feature is a plugin (STYLE §9). */
export async function registerFeatureRoutes(app: App, deps: Deps): Promise<void> {
  await app.register(shareLinksRoutes, { deps })
  await app.register(emergencyAccessRoutes, { deps })
  await app.register(accountsRoutes, { deps })
  await app.register(adminUsersRoutes, { deps })
  await app.register(adminSettingsRoutes, { deps })
  await app.register(passwordResetRoutes, { deps })
  await app.register(passkeysRoutes, { deps })
  await app.register(sessionsRoutes, { deps })
  await app.register(emailVerificationRoutes, { deps })
  await app.register(setupRoutes, { deps })
  await app.register(oidcRoutes, { deps })
  await app.register(recordsRoutes, { deps })
  await app.register(vitalsRoutes, { deps })
  await app.register(labsRoutes, { deps })
  await app.register(summaryRoutes, { deps })
  await app.register(profileRoutes, { deps })
  await app.register(fhirImportRoutes, { deps })
  await app.register(jobsRoutes, { deps })
  await app.register(auditRoutes, { deps })
  await app.register(prescriptionsRoutes, { deps })
  await app.register(dispensingRoutes, { deps })
  await app.register(doctorsRoutes, { deps })
  await app.register(consultationsRoutes, { deps })
  await app.register(notesRoutes, { deps })
  await app.register(mfaRoutes, { deps })
  await app.register(dataExportRoutes, { deps })
  await app.register(accountErasureRoutes, { deps })
  await app.register(shlRoutes, { deps })
  await app.register(appointmentsRoutes, { deps })
  await app.register(inAppNotificationsRoutes, { deps })
  await app.register(encountersRoutes, { deps })
  await app.register(organizationsRoutes, { deps })
  await app.register(caregiversRoutes, { deps })
}

/** Server-rendered pages outside `/api/v1` (share link and emergency card). */
export async function registerPageRoutes(app: App, deps: Deps): Promise<void> {
  await app.register(sharePageRoutes, { deps })
  await app.register(emergencyPageRoutes, { deps })
  await app.register(webAppRoutes)
  // The FHIR R4 API (SPEC §9): outside /api/v1, with its own OperationOutcome error handler.
  await app.register(fhirApiRoutes, { deps, prefix: '/fhir/R4' })
}
