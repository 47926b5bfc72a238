/**
 * HTTP routes of caregivers and dependents (SPEC §10 "Caregivers"): the patient's own
 * invitations and grants (`/patients/me/caregivers`), dependents, accepting an invitation,
 * and the lockers one may act on (`/me/patients`). A caregiver then uses the patient's id as
 * `{pid}` on the patient routes. One service call per handler.
 */
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { CAREGIVER_INVITATIONS_PER_HOUR } from '../../app/rate-limits.js'
import { EmptyBody, Problem } from '../../app/schemas.js'
import { ANY_ROLE } from '../../policy/index.js'
import {
  Caregiver,
  CaregiverListQuery,
  CaregiverPage,
  CaregiverParams,
  CreateDependentBody,
  Dependent,
  InvitationParams,
  InviteCaregiverBody,
  ManagedPatientList,
} from './caregivers.schema.js'
import { acceptInvitation, createDependent, inviteCaregiver, listCaregivers, listManagedPatients, revokeCaregiver } from './caregivers.service.js'

const tags = ['caregivers']
const patientOnly = { roles: ['patient'] } as const

/** Mounts the caregiver routes of SPEC §10. */
export const caregiversRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/patients/me/caregivers', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Invite a caregiver by email (read or manage access); the invitation link is emailed and lives 7 days',
      description:
        `Your email must be verified (403 \`email-not-verified\`). At most ${CAREGIVER_INVITATIONS_PER_HOUR} invitations an hour per patient (429 with Retry-After). ` +
        'An address whose account has not verified its email gets no email, only the in-app notification (SPEC §8).',
      body: InviteCaregiverBody,
      response: { 201: Caregiver, 400: Problem, 403: Problem, 409: Problem, 429: Problem },
    },
  }, async (req, reply) => {
    await deps.rateLimits.hit('caregiverInvitation', userOf(req).id, reply)
    return reply.code(201).send(await inviteCaregiver(deps, userOf(req), req.body))
  })

  app.get('/patients/me/caregivers', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Your caregivers and invitations, newest first', querystring: CaregiverListQuery, response: { 200: CaregiverPage, 400: Problem } },
  }, async (req) => listCaregivers(deps, userOf(req), req.query))

  app.delete('/patients/me/caregivers/:id', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Revoke an invitation or a caregiver’s access, at once', params: CaregiverParams, response: { 204: z.null(), 404: Problem } },
  }, async (req, reply) => {
    await revokeCaregiver(deps, userOf(req), req.params.id)
    return reply.code(204).send(null)
  })

  app.post('/caregiver-invitations/:token/accept', {
    // Any signed-in role reaches the route; the service explains that only a patient account can accept (403).
    config: { access: { roles: ANY_ROLE } },
    schema: {
      tags,
      summary: 'Accept a caregiver invitation as the signed-in patient account',
      description:
        'Only patient accounts can be caregivers (403 `caregiver-requires-patient-account` for other roles). Unknown token 404; ' +
        'already accepted, revoked or expired 410; your own invitation, or a patient you already care for, 409.',
      params: InvitationParams,
      body: EmptyBody,
      response: { 200: Caregiver, 403: Problem, 404: Problem, 409: Problem, 410: Problem },
    },
  }, async (req) => acceptInvitation(deps, userOf(req), req.params.token))

  app.get('/me/patients', {
    config: { access: patientOnly },
    schema: { tags, summary: 'The lockers you can act on as a caregiver (your own is `me`)', response: { 200: ManagedPatientList } },
  }, async (req) => listManagedPatients(deps, userOf(req)))

  app.post('/patients/me/dependents', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Create a dependent (a child, or an adult who does not use the app): a locker with no login, managed by you',
      body: CreateDependentBody,
      response: { 201: Dependent, 400: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await createDependent(deps, userOf(req), req.body)))
}
