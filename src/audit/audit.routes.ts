/** HTTP routes of the audit log (SPEC §4.7). One service call per handler. */
import { userOf } from '../app/actor-of.js'
import type { FeatureRoutes } from '../app/deps.js'
import { Problem } from '../app/schemas.js'
import {
  AuditListQuery,
  AuditPage,
  AuditParams,
  ConsistencyProof,
  ConsistencyQuery,
  InclusionProof,
  InclusionProofParams,
  InclusionProofQuery,
  SignedTreeHead,
  TreeHeadKeys,
  TreeVerification,
} from './audit.schema.js'
import { listPatientAudit, verifyAuditLog } from './audit-views.service.js'
import { getConsistencyProof, getInclusionProof, getTreeHead, getTreeHeadKeys } from './proofs.service.js'

const tags = ['audit']

/** Mounts the patient's audit log and proofs, the public tree head, keys and consistency proofs, and the admin's verification. */
export const auditRoutes: FeatureRoutes = async (app, { deps }) => {
  app.get('/patients/:pid/audit', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: 'Who read or changed my data: my audit events, newest first',
      description:
        '`{pid}` is `me` or the caller\'s own id. `action` is an exact action name; `from`/`to` are dates (whole UTC days) or instants, inclusive. An event appears once it is sealed into the log (within 2 s).',
      params: AuditParams,
      querystring: AuditListQuery,
      response: { 200: AuditPage, 400: Problem, 403: Problem, 404: Problem },
    },
  }, async (req) => listPatientAudit(deps, userOf(req), req.params.pid, req.query))

  app.get('/patients/:pid/audit/:seq/proof', {
    config: { access: { roles: ['patient'] } },
    schema: {
      tags,
      summary: 'Proof that one of my events is in the log (RFC 9162 inclusion proof)',
      description:
        '`treeSize` defaults to the newest signed tree head\'s size. Verify `auditPath` from `leafHash` (SHA-256 of 0x00 and the event\'s RFC 8785 JSON) to `rootHash`, and compare `rootHash` with a signed tree head of that size.',
      params: InclusionProofParams,
      querystring: InclusionProofQuery,
      response: { 200: InclusionProof, 400: Problem, 403: Problem, 404: Problem, 409: Problem },
    },
  }, async (req) => getInclusionProof(deps, userOf(req), req.params.pid, req.params.seq, req.query.treeSize))

  app.get('/audit/tree-head', {
    config: { access: 'public' },
    schema: { tags, summary: "The audit log's newest signed tree head (public)", response: { 200: SignedTreeHead, 503: Problem } },
  }, async () => getTreeHead(deps))

  app.get('/audit/keys', {
    config: { access: 'public' },
    schema: { tags, summary: 'Public keys of tree-head signatures, retired ones included (JWKS, public)', response: { 200: TreeHeadKeys } },
  }, async () => getTreeHeadKeys(deps))

  app.get('/audit/consistency', {
    config: { access: 'public' },
    schema: {
      tags,
      summary: 'Proof that the log of size `second` extends the log of size `first` (RFC 9162 consistency proof, public)',
      querystring: ConsistencyQuery,
      response: { 200: ConsistencyProof, 400: Problem, 503: Problem },
    },
  }, async (req) => getConsistencyProof(deps, req.query.first, req.query.second))

  app.get('/admin/audit/verify', {
    config: { access: { roles: ['admin'] } },
    schema: {
      tags,
      summary: 'Recompute every event, node and the signed root of the audit log',
      description: '`ok` is false when an event was edited or deleted, a tree node changed, or the signed head does not match; `firstBadSeq` names the first bad event.',
      response: { 200: TreeVerification, 403: Problem },
    },
  }, async (req) => verifyAuditLog(deps, userOf(req)))
}
