/** Queue status for admins (SPEC §4.1 admin, §5: failures stay visible). */
import type { FeatureRoutes } from '../app/deps.js'
import { Problem } from '../app/schemas.js'
import { JobQueueStatus } from './jobs.schema.js'

/** `GET /admin/jobs` → `{queues: [{name, queued, active, completed, failed, retrying}], healthy}`; admins only (route gate). */
export const jobsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/admin/jobs', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags: ['admin'],
      summary: 'Job queue status: jobs per queue and state',
      description: 'Completed jobs are counted for a day, failed ones for 14 days.',
      response: { 200: JobQueueStatus, 401: Problem, 403: Problem },
    },
  }, async () => deps.jobs.stats())
}
