/** `GET /admin/settings`: the server settings the admin screens show (SPEC §6 localhost warning). */
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem } from '../../app/schemas.js'
import { AdminSettings } from './admin-settings.schema.js'
import { getAdminSettings } from './admin-settings.service.js'

/** Mounts `GET /admin/settings` (admins only). */
export const adminSettingsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/admin/settings', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['admin'],
      summary: 'Server settings: PUBLIC_URL and whether it only works on this machine',
      description: '`publicUrlIsLocal` is true for localhost, 127.0.0.0/8, ::1 and 0.0.0.0: links and QR codes then do not open on another device.',
      response: { 200: AdminSettings, 401: Problem, 403: Problem },
    },
  }, async () => getAdminSettings(deps))
}
