/** Every feature's routes, mounted under `/api/v1`. */
import { accountsRoutes } from '../features/accounts/accounts.routes.js'
import { adminUsersRoutes } from '../features/accounts/admin-users.routes.js'
import { adminSettingsRoutes } from '../features/admin-settings/admin-settings.routes.js'
import { passwordResetRoutes } from '../features/accounts/password-reset.routes.js'
import { auditRoutes } from '../audit/audit.routes.js'
import { consultationsRoutes } from '../features/consultations/consultations.routes.js'
import { doctorsRoutes } from '../features/doctors/doctors.routes.js'
import { notesRoutes } from '../features/notes/notes.routes.js'
import { fhirImportRoutes } from '../features/fhir-import/fhir-import.routes.js'
import { profileRoutes } from '../features/profile/profile.routes.js'
import { recordsRoutes } from '../features/records/records.routes.js'
import { summaryRoutes } from '../features/summary/summary.routes.js'
import { vitalsRoutes } from '../features/vitals/vitals.routes.js'
import { jobsRoutes } from '../jobs/jobs.routes.js'
import { dispensingRoutes } from '../features/dispensing/dispensing.routes.js'
import { prescriptionsRoutes } from '../features/prescriptions/prescriptions.routes.js'
import { emergencyAccessRoutes, emergencyPageRoutes } from '../features/emergency-access/emergency-access.routes.js'
import { sharePageRoutes } from '../features/share-links/share-page.routes.js'
import { shareLinksRoutes } from '../features/share-links/share-links.routes.js'
import { setupRoutes } from '../features/setup/setup.routes.js'
import type { App } from './app-types.js'
import type { Deps } from './deps.js'
import { webAppRoutes } from './web-app.js'

/** Registers every feature's routes on `app` (the API-prefixed scope); each feature is a plugin (STYLE §9). */
export async function registerFeatureRoutes(app: App, deps: Deps): Promise<void> {
  shareLinksRoutes(app, deps)
  emergencyAccessRoutes(app, deps)
  accountsRoutes(app, deps)
  adminUsersRoutes(app, deps)
  adminSettingsRoutes(app, deps)
  passwordResetRoutes(app, deps)
  setupRoutes(app, deps)
  recordsRoutes(app, deps)
  vitalsRoutes(app, deps)
  summaryRoutes(app, deps)
  profileRoutes(app, deps)
  fhirImportRoutes(app, deps)
  jobsRoutes(app, deps)
  auditRoutes(app, deps)
  prescriptionsRoutes(app, deps)
  dispensingRoutes(app, deps)
  doctorsRoutes(app, deps)
  consultationsRoutes(app, deps)
  await app.register(notesRoutes, { deps })
}

/** Server-rendered pages outside `/api/v1` (share link and emergency card). */
export function registerPageRoutes(app: App, deps: Deps): void {
  sharePageRoutes(app, deps)
  emergencyPageRoutes(app, deps)
  webAppRoutes(app)
}
