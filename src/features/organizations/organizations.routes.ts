/** HTTP routes of organizations (SPEC §10). One service call per handler. */
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { Page, Problem } from '../../app/schemas.js'
import { ANY_ROLE } from '../../policy/index.js'
import { User, toUserDto } from '../accounts/accounts.schema.js'
import { CreateOrganizationBody, Organization, OrganizationListQuery, OrganizationParams, UpdateOrganizationBody, UserOrganizationBody } from './organizations.schema.js'
import { createOrganization, listOrganizations, setUserOrganization, updateOrganization } from './organizations.service.js'

const adminOnly = { roles: ['admin'] } as const

/** Mounts `/admin/organizations` (admins), `GET /organizations` (any verified user) and `PUT /admin/users/{id}/organization`. */
export const organizationsRoutes: FeatureRoutes = async (app, { deps }) => {
  app.post('/admin/organizations', {
    config: { access: adminOnly },
    schema: {
      tags: ['admin'],
      summary: 'Create an organization (hospital, clinic, pharmacy, laboratory)',
      description: 'Names are unique whatever their case: a second one is 409 `organization-name-taken`.',
      body: CreateOrganizationBody,
      response: { 201: Organization, 400: Problem, 403: Problem, 409: Problem },
    },
  }, async (req, reply) => reply.code(201).send(await createOrganization(deps, userOf(req), req.body)))

  app.patch('/admin/organizations/:id', {
    config: { access: adminOnly },
    schema: {
      tags: ['admin'],
      summary: 'Change an organization (the fields given; null clears address or phone)',
      params: OrganizationParams,
      body: UpdateOrganizationBody,
      response: { 200: Organization, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req) => updateOrganization(deps, userOf(req), req.params.id, req.body))

  app.get('/organizations', {
    config: { access: { roles: ANY_ROLE } },
    schema: {
      tags: ['care-team'],
      summary: 'Find organizations by name and type',
      description: '`q`: case-insensitive substring of the name (`%` and `_` literal). Sorted by name.',
      querystring: OrganizationListQuery,
      response: { 200: Page(Organization), 400: Problem, 403: Problem },
    },
  }, async (req) => listOrganizations(deps, userOf(req), req.query))

  app.put('/admin/users/:id/organization', {
    config: { access: adminOnly },
    schema: {
      tags: ['admin'],
      summary: "Set a doctor's or pharmacist's organization (null: none)",
      description: '409 `not-a-professional` for a patient or an admin; 400 for an unknown organization.',
      params: OrganizationParams,
      body: UserOrganizationBody,
      response: { 200: User, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req) => toUserDto(await setUserOrganization(deps, userOf(req), req.params.id, req.body.organizationId)))
}
