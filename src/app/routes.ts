/** Every feature's routes, mounted under `/api/v1`. */
import { accountsRoutes } from '../features/accounts/accounts.routes.js'
import { adminUsersRoutes } from '../features/accounts/admin-users.routes.js'
import { fhirImportRoutes } from '../features/fhir-import/fhir-import.routes.js'
import { profileRoutes } from '../features/profile/profile.routes.js'
import { recordsRoutes } from '../features/records/records.routes.js'
import type { App } from './build-app.js'
import type { Deps } from './deps.js'

export function registerFeatureRoutes(app: App, deps: Deps): void {
  accountsRoutes(app, deps)
  adminUsersRoutes(app, deps)
  recordsRoutes(app, deps)
  profileRoutes(app, deps)
  fhirImportRoutes(app, deps)
}
