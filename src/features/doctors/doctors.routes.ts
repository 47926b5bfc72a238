/** HTTP route of the doctor directory (SPEC §4.8). */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Page, Problem } from '../../app/schemas.js'
import { ANY_ROLE } from '../../policy/index.js'
import { DirectoryDoctor, DirectoryQuery } from './doctors.schema.js'
import { searchDoctors } from './doctors.service.js'

/** Mounts `GET /doctors` (any verified account; 403 for pending ones). */
export const doctorsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/doctors', {
    // Every verified account; pending doctors and pharmacists get 403 account-not-verified.
    config: { access: { roles: ANY_ROLE } },
    schema: {
      tags: ['care-team'],
      summary: 'Find verified doctors by name or specialty',
      description: '`q`: case-insensitive substring of name or specialty; `specialty`: case-insensitive substring of the specialty (`cardio` finds Cardiology; `%` and `_` literal). Sorted by name.',
      querystring: DirectoryQuery,
      response: { 200: Page(DirectoryDoctor), 400: Problem, 401: Problem, 403: Problem },
    },
  }, async (req) => searchDoctors(deps, userOf(req), req.query))
}
