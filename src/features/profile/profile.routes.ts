/** HTTP routes of the patient profile (SPEC §4.2). */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { userOf } from '../../app/actor-of.js'
import { PatientIdParam, Problem } from '../../app/schemas.js'
import { Profile, ProfileBody, toProfileDto } from './profile.schema.js'
import { getProfile, replaceProfile } from './profile.service.js'

const tags = ['profile']
const Params = z.object({ pid: PatientIdParam }).strict()

/** Mounts the patient's profile routes (SPEC §4.2). */
export const profileRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/patients/:pid/profile', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: { tags, summary: "A patient's medical profile", params: Params, response: { 200: Profile, 403: Problem, 404: Problem } },
  }, async (req) => toProfileDto(await getProfile(deps, userOf(req), req.params.pid), deps.now()))

  app.put('/patients/:pid/profile', {
    config: { access: { roles: ['patient', 'doctor'] } },
    schema: { tags, summary: 'Replace the whole profile (patient only)', params: Params, body: ProfileBody, response: { 200: Profile, 400: Problem, 403: Problem, 404: Problem } },
  }, async (req) => toProfileDto(await replaceProfile(deps, userOf(req), req.params.pid, req.body), deps.now()))
}
