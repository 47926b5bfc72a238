/** HTTP route of the health summary (SPEC §4.8). */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem } from '../../app/schemas.js'
import { Summary, SummaryParams } from './summary.schema.js'
import { getSummary } from './summary.service.js'

/** Mounts `GET /patients/{pid}/summary` (SPEC §4.8). */
export const summaryRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/patients/:pid/summary', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: {
      tags: ['summary'],
      summary: 'A health summary: what matters in the profile, vitals and recent records',
      description:
        'Highlights come from deterministic rules (ACC/AHA 2017 blood pressure, ADA glucose, SpO₂, heart rate, 90-day trends, ' +
        'severe allergies, active conditions, current medications, records of the last 90 days), each with its evidence. With ' +
        'LLM_* configured, `text` is prose written by that model from the highlights (`generator: "llm:<model>"`); on any model ' +
        'failure it is the rules text (`generator: "rules"`).',
      params: SummaryParams,
      response: { 200: Summary, 403: Problem, 404: Problem },
    },
  }, async (req) => getSummary(deps, userOf(req), req.params.pid))
}
