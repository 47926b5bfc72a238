/**
 * The one call that touches a patient's data (STYLE §9, SPEC §3 and §4.7).
 *
 * A service that reaches a patient's data for a user actor goes through `withPatientData`
 * (data named by `{pid}`, judged on the patient's scope) or `withPatientResource` (one
 * resource judged on its own scope, such as a prescription's parties). Either call:
 *
 * 1. asks the policy module (`authorize`): when it refuses someone other than the patient,
 *    the refusal is logged as `<feature>.denied` (the feature of the policy action:
 *    `record.list` → `record.denied`) and the NotFoundError / ForbiddenError is rethrown;
 * 2. runs `prepare` (optional, outside any transaction: parse, validate, stream a file);
 * 3. runs `fn` and writes its success events:
 *    - `kind: 'read'`: `fn` reads on the pool, then the events are one INSERT
 *      (`deps.audit.recordRead`: none for the patient's own reads) before the answer, so a
 *      failed insert fails the request and no data leaves unlogged — no transaction;
 *    - `kind: 'write'`: always one transaction holding the write and its event(s), whoever
 *      acts; for `withPatientData` the policy is asked again inside it, so consent ended
 *      meanwhile is honoured (404/403, not logged).
 *
 * `openPatientData` is `withPatientData` in two steps (authorize now, run `within` a
 * transaction the caller holds), for a use case that does more in one transaction.
 *
 * `fn` gets no event API: the events are named up front (`audited`), so a handler cannot
 * forget one. `deps.audit.record` stays for what is not a user reaching a patient's data
 * through the policy: logins, share and emergency actors, system jobs, failed lookups.
 * (Share and emergency actors may still pass through these calls — the records reads do:
 * their refusals are not logged here, and their reads are.)
 *
 * When `audited` is a function, annotate its result parameter: TypeScript reads `T` from
 * it before it reaches `fn`.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../app/deps.js'
import type { DB } from '../db/schema.js'
import { currentActor, resolvePatientScope } from '../policy/patient-scope.js'
import { authorize, type Action, type Actor, type Granted, type PatientScope, type can } from '../policy/index.js'
import type { AuditAction, AuditTarget } from './audit.service.js'

type Db = Kysely<DB> | Transaction<DB>

/** What the policy module judges for `action` (its rule's resource). */
type ResourceOf<A extends Action> = Parameters<typeof can<A>>[2]

/** Policy actions judged on a patient's scope (`profile.read`, `record.list`, `note.create`, …). */
export type PatientAction = { [A in Action]: PatientScope extends ResourceOf<A> ? A : never }[Action]

/** A resource as the audit log names it: `{type: 'record', id}`. */
export type AuditResource = AuditTarget['resource']

/** One event written on success. */
export interface AuditedEvent {
  action: AuditAction
  resource: AuditResource
}

/** `read`: the patient's own reads are not logged; `write`: always logged, in the write's transaction. */
export type AccessKind = 'read' | 'write'

/** The database handle `fn` gets: the pool (or the caller's transaction) for reads, the write's transaction for writes. */
export type DbOf<K extends AccessKind> = K extends 'write' ? Transaction<DB> : Db

/** How a call is audited (shared by both entry points). */
interface AuditedAccess<T, K extends AccessKind, P> {
  kind: K
  /**
   * The resource reached, or how to name it from the patient's id (`{pid}` may be `me`):
   * the refusal's `<feature>.denied` event names it, and so does the success event when
   * `audited` is an action name.
   */
  resource: AuditResource | ((patientId: string) => AuditResource)
  /**
   * On success: an action name (one event about `resource`), or the events the result
   * calls for (a created row's id, a second event), given the result and the call's
   * resource. Returning `[]` is for outcomes that wrote and disclosed nothing.
   */
  audited: AuditAction | ((result: T, resource: AuditResource) => readonly AuditedEvent[])
  /**
   * Runs after authorization and before the transaction, holding no connection: input
   * checks whose errors come after the policy's (404 before 400), a file streamed to the
   * blob store. Its value reaches `fn` as `prepared`.
   */
  prepare?: (scope: Granted<PatientScope>) => P | Promise<P>
}

/** `withPatientData` options: the policy action on the patient's scope, and how it is audited. */
export interface PatientDataAccess<T, K extends AccessKind, P, A extends PatientAction> extends AuditedAccess<T, K, P> {
  action: A
  /**
   * Judged first: refused → 404; then `action` refused → 403 (a consenting doctor who may
   * read but not change). Without it, a refused `action` is 404 (SPEC §2, STYLE §3).
   */
  visibility?: PatientAction
  /** Facts of the one resource the rule needs besides the scope (a record's id and date, a list's `listFrom`). */
  facts?: Omit<ResourceOf<A>, keyof PatientScope>
}

/** What `fn` gets. */
export interface PatientDataContext<K extends AccessKind, P> {
  /**
   * The scope the policy allowed (for writes, as judged inside the transaction): the proof
   * another feature's helper asks for (`loadProfile`).
   */
  scope: Granted<PatientScope>
  db: DbOf<K>
  prepared: P
}

/** The `<feature>.denied` action of a policy action (`record.list` → `record.denied`). */
const deniedActionOf = (action: Action): AuditAction => `${action.slice(0, action.indexOf('.'))}.denied` as AuditAction

const eventsOf = <T>(audited: AuditedAccess<T, AccessKind, unknown>['audited'], resource: AuditResource, result: T): readonly AuditedEvent[] =>
  typeof audited === 'function' ? audited(result, resource) : [{ action: audited, resource }]

/**
 * An access the policy allowed (see `openPatientData`): the scope, what `prepare` returned,
 * and the one way to run the access — `within` the handle the caller holds, which also gets
 * the success events. Call `within` once.
 */
export interface PatientDataGrant<T, K extends AccessKind, P> {
  scope: Granted<PatientScope>
  prepared: P
  /**
   * Runs `fn` with `db` (a write: the caller's transaction), then writes its events there —
   * with `also`, the caller's own events about the same patient (for a read, all in one
   * INSERT; the patient's own reads: none). For a write of `withPatientData`, judges the
   * policy again in the transaction first (404/403, not logged).
   */
  within(db: DbOf<K>, fn: (ctx: PatientDataContext<K, P>) => Promise<T>, also?: readonly AuditedEvent[]): Promise<T>
}

/**
 * The shared path, outside any transaction: the refusal logged by `deps.audit.guard`, then
 * `prepare`. `recheck` re-judges a write inside its transaction and returns the fresh scope.
 */
async function grantAccess<T, K extends AccessKind, P>(
  deps: Deps,
  actor: Actor,
  scope: PatientScope,
  check: { denied: AuditAction; judge: () => void; recheck?: (trx: Transaction<DB>) => Promise<PatientScope> },
  access: AuditedAccess<T, K, P>,
): Promise<PatientDataGrant<T, K, P>> {
  const patientId = scope.patientId
  const resource = typeof access.resource === 'function' ? access.resource(patientId) : access.resource
  await deps.audit.guard(actor, check.denied, { patientId, resource }, check.judge)
  // `guard` ran the policy's judgement and it passed: this module is where a scope becomes a grant.
  const allowed = scope as Granted<PatientScope>
  const prepared = (access.prepare ? await access.prepare(allowed) : undefined) as P
  const write = access.kind === 'write'
  return {
    scope: allowed,
    prepared,
    within: async (db, fn, also = []) => {
      const current = write && check.recheck ? ((await check.recheck(db as Transaction<DB>)) as Granted<PatientScope>) : allowed
      const result = await fn({ scope: current, db, prepared })
      const events = [...eventsOf(access.audited, resource, result), ...also].map((e) => ({ action: e.action, target: { patientId, resource: e.resource } }))
      if (!write) await deps.audit.recordRead(db, actor, events)
      else for (const e of events) await deps.audit.record(db as Transaction<DB>, actor, e.action, e.target)
      return result
    },
  }
}

/** Runs a granted access: a read on the pool (no transaction), a write in a transaction of its own. */
function runGranted<T, K extends AccessKind, P>(deps: Deps, kind: K, grant: PatientDataGrant<T, K, P>, fn: (ctx: PatientDataContext<K, P>) => Promise<T>): Promise<T> {
  if (kind === 'read') return grant.within(deps.db as DbOf<K>, fn)
  return deps.db.transaction().execute((trx) => grant.within(trx as DbOf<K>, fn))
}

/** The policy check of `withPatientData` / `openPatientData` for `pid`. */
async function patientDataCheck<A extends PatientAction>(deps: Deps, actor: Actor, pid: string, access: { action: A; visibility?: PatientAction | undefined; facts?: Omit<ResourceOf<A>, keyof PatientScope> | undefined }) {
  const judge = (scope: PatientScope, who: Actor = actor) => {
    const resource = { ...scope, ...access.facts } as ResourceOf<A>
    if (access.visibility) authorize(who, access.action, resource, access.visibility as never)
    else authorize(who, access.action, resource)
  }
  const scope = await resolvePatientScope(deps.db, actor, pid)
  // In the write's transaction: the actor's account status re-read (an erasure committed
  // meanwhile → refused, security review L3), then the scope.
  const recheck = async (trx: Transaction<DB>) => {
    const who = await currentActor(trx, actor)
    const current = await resolvePatientScope(trx, who, pid)
    judge(current, who)
    return current
  }
  return { scope, check: { denied: deniedActionOf(access.action), judge: () => judge(scope), recheck } }
}

/**
 * Runs `fn` on the data of patient `pid` (an id or `me`) when the policy allows `action`
 * (SPEC §3); writes the success events (`audited`) and logs a refusal of anyone but the
 * patient as `<feature>.denied` (SPEC §4.7). Returns what `fn` returns.
 *
 * Throws NotFoundError or ForbiddenError exactly as the policy decides (`resolvePatientScope`
 * for `me` asked by a non-patient, then `authorize(actor, action, {...scope, ...facts},
 * visibility)`); whatever `prepare` or `fn` throws, after which nothing of the call is
 * committed (its events included). For `kind: 'write'`, the scope is resolved and judged
 * again inside the write's transaction (a consultation ended meanwhile → 404, not logged),
 * with a user actor's account status re-read there (erased or disabled meanwhile → refused).
 */
export async function withPatientData<T, K extends AccessKind, A extends PatientAction, P = undefined>(
  deps: Deps,
  actor: Actor,
  pid: string,
  access: PatientDataAccess<T, K, P, A>,
  fn: (ctx: PatientDataContext<K, P>) => Promise<T>,
): Promise<T> {
  return runGranted(deps, access.kind, await openPatientData(deps, actor, pid, access), fn)
}

/**
 * `withPatientData` in two steps, for a use case that does more around the access (the
 * emergency view: profile, records, its own event): authorizes (refusals logged and thrown
 * exactly as `withPatientData`) and runs `prepare` now, outside any transaction; the caller
 * then runs the access with `grant.within(db, fn, also)`, which writes the success events
 * (and `also`) with `db`.
 */
export async function openPatientData<T, K extends AccessKind, A extends PatientAction, P = undefined>(
  deps: Deps,
  actor: Actor,
  pid: string,
  access: PatientDataAccess<T, K, P, A>,
): Promise<PatientDataGrant<T, K, P>> {
  const { scope, check } = await patientDataCheck(deps, actor, pid, access)
  return grantAccess(deps, actor, scope, check, access)
}

/** `withPatientResource` options: a policy action on the resource's own scope, and how it is audited. */
export interface PatientResourceAccess<T, K extends AccessKind, P, A extends Action> extends AuditedAccess<T, K, P> {
  action: A
  /** The resource as the policy judges it (a prescription's `{patientId, doctorId}`). */
  scope: ResourceOf<A> & { patientId: string }
  /** As in `withPatientData`: judged first, refused → 404; then `action` refused → 403. */
  visibility?: Action
}

/**
 * `withPatientData` for one resource of a patient that the policy judges on a scope of its
 * own (a prescription: its patient and its prescriber), already loaded by the caller.
 * `fn` gets the patient's plain scope (`actorHasApprovedConsultation` false: the resource's
 * rule decided). Refusals are logged as `<feature>.denied` about `resource`; writes are not
 * judged again in the transaction (make the write conditional where state can change).
 * Throws NotFoundError / ForbiddenError as `authorize` decides.
 */
export async function withPatientResource<T, K extends AccessKind, A extends Action, P = undefined>(
  deps: Deps,
  actor: Actor,
  access: PatientResourceAccess<T, K, P, A>,
  fn: (ctx: PatientDataContext<K, P>) => Promise<T>,
): Promise<T> {
  const patientId = access.scope.patientId
  const judge = () => {
    if (access.visibility) authorize(actor, access.action, access.scope as never, access.visibility as never)
    else authorize(actor, access.action, access.scope)
  }
  const scope: PatientScope = { patientId, actorHasApprovedConsultation: false }
  return runGranted(deps, access.kind, await grantAccess(deps, actor, scope, { denied: deniedActionOf(access.action), judge }, access), fn)
}
