/** HTTP routes of encounters (visits, SPEC §10). One service call per handler. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Page, Problem } from '../../app/schemas.js'
import { CreateEncounterBody, Encounter, EncounterDetail, EncounterListQuery, EncounterParams, EncountersParams } from './encounters.schema.js'
import { createEncounter, getEncounter, listEncounters } from './encounters.service.js'

const tags = ['encounters']

/** Mounts `POST` (doctors) and `GET` (patients, caregivers, doctors) `/patients/{pid}/encounters` and `GET …/{id}`. */
export const encountersRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/:pid/encounters', {
    // Only doctors record visits; a patient or a caregiver gets 403 (SPEC §10).
    config: { access: { roles: ['doctor'] } },
    schema: {
      tags,
      summary: 'Record a visit (doctor with an approved consultation)',
      description:
        '`appointmentId`: a `booked` appointment of this patient with you, which becomes `completed` (404 when it is not one of yours with this patient, ' +
        '409 `appointment-not-booked` when it is cancelled, a no-show or already completed). `end` is not before `start` (400).',
      params: EncountersParams,
      body: CreateEncounterBody,
      response: { 201: Encounter, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await createEncounter(deps, userOf(req), req.params.pid, req.body)))

  app.get('/patients/:pid/encounters', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: {
      tags,
      summary: "A patient's visits, newest first (the patient, a caregiver, a treating doctor)",
      params: EncountersParams,
      querystring: EncounterListQuery,
      response: { 200: Page(Encounter), 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listEncounters(deps, userOf(req), req.params.pid, req.query))

  app.get('/patients/:pid/encounters/:id', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: {
      tags,
      summary: 'One visit with its notes shared with the patient (a doctor: also their own), its vitals and its prescriptions',
      params: EncounterParams,
      response: { 200: EncounterDetail, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => getEncounter(deps, userOf(req), req.params.pid, req.params.id))
}
