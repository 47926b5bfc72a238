/** Admin routes for accounts (SPEC §4.1 Admin). */
import { z } from 'zod'
import type { FeatureRoutes } from '../../app/deps.js'
import { EmptyBody, ListQuery, Page, Problem, Uuid, singleLine } from '../../app/schemas.js'
import { userOf } from '../../app/actor-of.js'
import { User, toUserDto } from './accounts.schema.js'
import { disableUser, enableUser, listUsers, verifyUser } from './admin-users.service.js'

const adminOnly = { roles: ['admin'] } as const
const tags = ['admin']
const UserParams = z.object({ id: Uuid }).strict()

/** Mounts `/admin/users` and its verify/disable/enable actions (admins only). */
export const adminUsersRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/admin/users', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'List accounts',
      querystring: z
        .object({
          role: z.enum(['patient', 'doctor', 'pharmacist', 'admin']).optional(),
          status: z.enum(['active', 'pending', 'disabled']).optional(),
          q: singleLine(200).min(1).optional(),
          ...ListQuery,
        })
        .strict(),
      response: { 200: Page(User), 400: Problem, 403: Problem },
    },
  }, async (req) => listUsers(deps, userOf(req), req.query))

  app.post('/admin/users/:id/verify', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Verify a pending doctor or pharmacist', params: UserParams, body: EmptyBody, response: { 200: User, 404: Problem, 409: Problem } },
  }, async (req) => toUserDto(await verifyUser(deps, userOf(req), req.params.id)))

  app.post('/admin/users/:id/disable', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Disable an account and end its sessions', params: UserParams, body: EmptyBody, response: { 200: User, 404: Problem, 409: Problem } },
  }, async (req) => toUserDto(await disableUser(deps, userOf(req), req.params.id)))

  app.post('/admin/users/:id/enable', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'Enable a disabled account',
      description: 'Back to `active`, or to `pending` for a doctor or pharmacist an admin never verified. 409 unless the account is disabled.',
      params: UserParams,
      body: EmptyBody,
      response: { 200: User, 404: Problem, 409: Problem },
    },
  }, async (req) => toUserDto(await enableUser(deps, userOf(req), req.params.id)))
}
