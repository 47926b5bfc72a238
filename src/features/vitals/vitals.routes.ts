/** HTTP routes of vital signs (SPEC §4.8). One service call per handler. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Problem } from '../../app/schemas.js'
import { Trend, TrendQuery, Vital, VitalBody, VitalListQuery, VitalPage, VitalsParams, toVitalDto } from './vitals.schema.js'
import { getTrends, listVitals, recordVital } from './vitals.service.js'

const tags = ['vitals']
const patientOrDoctor = { roles: ['patient', 'doctor'] } as const

/** Mounts the vitals routes of SPEC §4.8: record, list, trends. */
export const vitalsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/:pid/vitals', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'Record a vital sign (the patient, or a doctor with an approved consultation)',
      description:
        'Types, LOINC codes, units and plausible ranges as in SPEC §4.8. `unit` defaults to the canonical unit; other accepted ' +
        'units are converted (mmol/L → mg/dL ×18.016, lb → kg, in → cm, [degF] → Cel). `measuredAt` defaults to now and may be at ' +
        'most 5 minutes in the future. Errors name the field (`/unit`, `/value`, `/systolic`, `/diastolic`, `/measuredAt`).',
      params: VitalsParams,
      body: VitalBody,
      response: { 201: Vital, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req, reply) => reply.code(201).send(toVitalDto(await recordVital(deps, userOf(req), req.params.pid, req.body))))

  app.get('/patients/:pid/vitals', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: "A patient's vital signs, newest first",
      params: VitalsParams,
      querystring: VitalListQuery,
      response: { 200: VitalPage, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listVitals(deps, userOf(req), req.params.pid, req.query))

  app.get('/patients/:pid/vitals/trends', {
    config: { access: patientOrDoctor },
    schema: {
      tags,
      summary: 'One vital type in day, week or month buckets (count, min, max, mean)',
      description: 'Default window: the last 90 days; default bucket: week (ISO weeks, Monday, UTC). Buckets without readings are left out.',
      params: VitalsParams,
      querystring: TrendQuery,
      response: { 200: Trend, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => getTrends(deps, userOf(req), req.params.pid, req.query))
}
