/**
 * What lets a patient check the log themselves (SPEC §4.7, RFC 9162 §2.1): the newest
 * signed tree head, the public keys, inclusion proofs of the patient's own events and
 * consistency proofs between tree sizes. Each proof reads O(log n) stored nodes in one query.
 */
import type { Deps } from '../app/deps.js'
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '../app/errors.js'
import { authorize, type Actor } from '../policy/index.js'
import { resolvePatientScope } from '../policy/patient-scope.js'
import { eventLeafHash, eventOfRow } from './audit-event.js'
import * as q from './audit.queries.js'
import { consistencyProof, getterOf, inclusionPath, nodesRead, rootHash, type NodeGetter } from './merkle.js'
import type { SignedTreeHead } from './tree-head.js'
import * as tree from './tree.queries.js'

/** Runs `compute` over the stored nodes it needs, fetched in one round trip. */
async function withNodes<T>(deps: Deps, compute: (get: NodeGetter) => T): Promise<T> {
  const nodes = await tree.loadNodes(deps.db, nodesRead(compute))
  return compute(getterOf(nodes))
}

/** The newest signed head; 503 before the first seal (the sealer signs one at start). */
async function newestHead(deps: Deps): Promise<SignedTreeHead> {
  const head = await tree.latestHead(deps.db)
  if (!head) throw new ServiceUnavailableError('The audit log has no signed tree head yet; try again in a few seconds.')
  return { treeSize: head.treeSize, rootHash: head.rootHash, timestamp: head.signedAt.toISOString(), signature: head.signature }
}

/** `GET /audit/tree-head` (public). */
export const getTreeHead = (deps: Deps): Promise<SignedTreeHead> => newestHead(deps)

/** `GET /audit/keys` (public): the JWKS of tree-head keys, retired ones included. */
export const getTreeHeadKeys = (deps: Deps) => deps.audit.signer.jwks()

/** `GET /patients/{pid}/audit/{seq}/proof` response (hashes lowercase hex). */
export interface InclusionProof {
  seq: number
  leafHash: string
  treeSize: number
  rootHash: string
  auditPath: string[]
}

/**
 * The inclusion proof of the patient's own event `seq` in the tree of `treeSize` leaves
 * (default: the newest signed head's size). 404 when the event is not the patient's (or
 * does not exist); 409 when it is not in a signed head yet; 400 when `treeSize` is below
 * `seq` or above the newest head's size.
 */
export async function getInclusionProof(deps: Deps, actor: Actor, pid: string, seq: number, treeSize: number | undefined): Promise<InclusionProof> {
  const scope = await resolvePatientScope(deps.db, actor, pid)
  authorize(actor, 'audit.read', scope)
  const row = await q.findPatientEvent(deps.db, scope.patientId, seq)
  if (!row) throw new NotFoundError('No such event in your access log.')
  const stored = await tree.latestHead(deps.db)
  if (!stored || seq > stored.treeSize) throw new ConflictError('This event is not sealed into the log yet; ask again in a few seconds.', 'audit-event-not-sealed')
  const head = { treeSize: stored.treeSize }
  const size = treeSize ?? head.treeSize
  if (size < seq || size > head.treeSize) {
    throw new ValidationError(`treeSize must be between ${seq} and ${head.treeSize}.`, [{ path: '/treeSize', message: `Must be between ${seq} and ${head.treeSize}.` }])
  }
  const proof = await withNodes(deps, (get) => ({ path: inclusionPath(seq - 1, size, get), root: rootHash(size, get) }))
  return {
    seq,
    leafHash: eventLeafHash(eventOfRow(row)).toString('hex'),
    treeSize: size,
    rootHash: proof.root.toString('hex'),
    auditPath: proof.path.map((h) => h.toString('hex')),
  }
}

/** `GET /audit/consistency` response. */
export interface ConsistencyProof {
  first: number
  second: number
  proof: string[]
}

/** The consistency proof between sizes `first` and `second` (RFC 9162 §2.1.4); 400 unless 1 ≤ first ≤ second ≤ the newest head's size. */
export async function getConsistencyProof(deps: Deps, first: number, second: number): Promise<ConsistencyProof> {
  const head = await newestHead(deps)
  if (!(first >= 1 && first <= second && second <= head.treeSize)) {
    throw new ValidationError(`Need 1 ≤ first ≤ second ≤ ${head.treeSize} (the newest tree size).`, [{ path: '/second', message: `Must be between first and ${head.treeSize}.` }])
  }
  const proof = await withNodes(deps, (get) => consistencyProof(first, second, get))
  return { first, second, proof: proof.map((h) => h.toString('hex')) }
}
