/** HTTP routes of lab results (SPEC §4.8b). One service call per handler. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem } from '../../app/schemas.js'
import { LabListQuery, LabPage, LabTrend, LabTrendQuery, LabsParams } from './labs.schema.js'
import { getLabTrend, listLabs } from './labs.service.js'

const tags = ['labs']
const patientOrDoctor = { roles: ['patient', 'doctor'] } as const

/** Mounts the lab-result routes of SPEC §4.8b: list and trend (same access as vitals). */
export const labsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/patients/:pid/labs', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "A patient's lab results, newest first",
      description: '`code` filters by LOINC; `from`/`to` are inclusive (a date covers its UTC day).',
      params: LabsParams,
      querystring: LabListQuery,
      response: { 200: LabPage, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listLabs(deps, userOf(req), req.params.pid, req.query))

  app.get('/patients/:pid/labs/trends', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "One LOINC code's numeric results, oldest first, with the reference range",
      description:
        'Window: `from`/`to` inclusive, default all time; at most the newest 500 points. Unit, display and reference range are ' +
        "the latest numeric result's; only results in that unit are points. A code without numeric results gives an empty `points`.",
      params: LabsParams,
      querystring: LabTrendQuery,
      response: { 200: LabTrend, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => getLabTrend(deps, userOf(req), req.params.pid, req.query))
}
