/** HTTP routes of the audit log (SPEC §4.7). One service call per handler. */
import { userOf } from '../app/actor-of.js'
import type { App } from '../app/build-app.js'
import type { Deps } from '../app/deps.js'
import { Problem } from '../app/schemas.js'
import { AuditListQuery, AuditPage, AuditParams, ChainVerification } from './audit.schema.js'
import { listPatientAudit, verifyAuditLog } from './audit.service.js'

const tags = ['audit']

export function auditRoutes(app: App, deps: Deps): void {
  app.get('/patients/:pid/audit', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: 'Who read or changed my data: my audit events, newest first',
      description: '`{pid}` is `me` or the caller\'s own id. `action` is an exact action name; `from`/`to` are dates (whole UTC days) or instants, inclusive.',
      params: AuditParams,
      querystring: AuditListQuery,
      response: { 200: AuditPage, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listPatientAudit(deps, userOf(req), req.params.pid, req.query))

  app.get('/admin/audit/verify', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags,
      summary: "Recompute the audit log's hash chain",
      description: '`ok` is false when an event was edited, deleted or reordered; `firstBadSeq` names the first bad one.',
      response: { 200: ChainVerification, 403: Problem },
    },
  }, async (req) => verifyAuditLog(deps, userOf(req)))
}
