/** HTTP route of the locker's erasure (SPEC §9 "Take your data and go"). */
import { z } from 'zod'
import { userOf } from '../../app/actor-of.js'
import type { FeatureRoutes } from '../../app/deps.js'
import { PatientIdParam, Problem } from '../../app/schemas.js'
import { eraseLocker } from './account-erasure.service.js'

const Params = z.object({ pid: PatientIdParam }).strict()
const EraseBody = z.object({ password: z.string().min(1).max(1024) }).strict()

/** Mounts `DELETE /patients/{pid}`. */
export const accountErasureRoutes: FeatureRoutes = async (app, { deps }) => {
  app.delete('/patients/:pid', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags: ['data freedom'],
      summary: 'Erase the locker and close the account (the patient, with their password)',
      description:
        'Crypto-shreds every file, deletes the clinical data, revokes every link and session, ends consultations and disables the account; ' +
        'the audit log stays (it holds no clinical content), prescriptions and dispensations stay as the prescriber\'s and pharmacy\'s legal record ' +
        '(open ones are cancelled). The patient is emailed. A wrong password is 401 invalid-credentials; an account without a password ' +
        '(OpenID Connect) is 409 password-not-set. Nothing is changed on refusal.',
      params: Params,
      body: EraseBody,
      response: { 204: z.null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem },
    },
  }, async (req, reply) => {
    await eraseLocker(deps, userOf(req), req.params.pid, req.body.password)
    return reply.code(204).send(null)
  })
}
