/**
 * The audit log (SPEC §4.7, STYLE §3): what services call.
 *
 * Services append events through `deps.audit` inside the transaction of the act, so an event
 * exists exactly when the act committed. An append is one INSERT with no lock: the event
 * gets its `seq` and its leaf in the Merkle tree from the sealer (sealer.ts) within 2 s.
 *
 * What is logged (SPEC §4.7): every change of a patient's data (by anyone, the patient
 * included), every read of it by anyone but the patient (`recordRead` skips the
 * patient's own reads), every login and failed login (on an unknown email too: SPEC §6
 * wants both to take the same path), and attempts
 * refused by the policy module for anyone but the patient (`<feature>.denied`, see `guard`).
 */
import type { Kysely, QueryCreator, Transaction } from 'kysely'
import { ForbiddenError, NotFoundError } from '../app/errors.js'
import type { AuditActorKind, DB, Role } from '../db/schema.js'
import type { Actor, RequestMeta } from '../policy/index.js'
import type { AuditSealer } from './sealer.js'
import type { TreeHeadSigner } from './tree-head.js'
import * as q from './audit.queries.js'

/** `feature.verb` in the past tense (SPEC §4.7): `record.viewed`, `auth.login_failed`. */
export type AuditAction = `${string}.${string}`

/** What an event is about: whose data (when it is a patient's) and which resource. */
export interface AuditTarget {
  patientId?: string | null | undefined
  resource: { type: string; id: string }
}

/**
 * Someone who has no session yet, for events before authentication (a failed login): the
 * account that was tried and where the request came from. `account` is null when no
 * account has the email tried: the event is kept as actor kind `patient` (the role anyone
 * may sign up as) with no id or name — the log has no anonymous kind.
 */
export interface AccountAttempt {
  kind: 'attempt'
  account: { id: string; role: Role; name: string } | null
  meta: RequestMeta
}

/**
 * The recipient of a SMART Health Link (SPEC §9): kept as actor kind `share` with the link's
 * id and the name the recipient gave. Not a policy actor: it reads no data through the policy.
 */
export interface ShlRecipient {
  kind: 'shl-recipient'
  linkId: string
  recipient: string
  meta: RequestMeta
}

/** Whoever an event is attributed to: any policy actor, an account attempt, or an SHL recipient. */
export type AuditActor = Actor | AccountAttempt | ShlRecipient

/** The audit API services use (`deps.audit`). */
export interface AuditLog {
  /**
   * Appends an event inside `trx`, the transaction of the act (never a bare connection: the
   * event must commit or roll back with the act). Takes no lock; the sealer gives the event
   * its `seq` after the commit.
   */
  record(trx: Transaction<DB>, actor: AuditActor, action: AuditAction, target: AuditTarget): Promise<void>
  /**
   * The events of reads that have happened, in one INSERT, on the pool or in a transaction;
   * skipped when the actor is the patient reading their own data. Call it after the reads
   * and before answering: when it fails the request fails, so no data leaves without its
   * event (a read needs no transaction of its own: nothing of the read can roll back).
   */
  recordRead(db: Kysely<DB> | Transaction<DB>, actor: Actor, events: ReadonlyArray<{ action: AuditAction; target: AuditTarget }>): Promise<void>
  /**
   * Runs `check` (an `authorize(…)` call). When it throws NotFoundError or ForbiddenError
   * for a user other than the patient, and `target.patientId` is a patient's account, the
   * refusal is recorded as `action` (`record.denied`) in its own transaction; then the error
   * is rethrown. Unknown patient ids are not logged (nothing to attribute them to).
   */
  guard(actor: Actor, action: AuditAction, target: AuditTarget, check: () => void): Promise<void>
  /**
   * A query creator whose next statement also inserts `events` (a data-modifying `WITH`),
   * for a write that is one statement: the write and its events commit together, atomically,
   * without a transaction of their own (two round trips fewer on a hot path, SPEC §7).
   */
  inStatement(db: Kysely<DB> | Transaction<DB>, actor: AuditActor, events: ReadonlyArray<{ action: AuditAction; target: AuditTarget }>): QueryCreator<DB>
  /** Signs and checks tree heads; publishes the keys (`GET /audit/keys`). */
  signer: TreeHeadSigner
  /**
   * Seals every event committed before the call into a signed tree head (see
   * `AuditSealer.sealNow`). For tests and the CLI: requests never wait for the sealer.
   */
  sealNow(): Promise<void>
}

/** True when `actor` is the patient whose data `target` is: their own reads are not logged. */
export function isPatientSelf(actor: AuditActor, patientId: string | null | undefined): boolean {
  return actor.kind === 'user' && actor.role === 'patient' && patientId != null && actor.id === patientId
}

/**
 * True when a patient account did something on another patient's data: it can only have been
 * as their caregiver (SPEC §10, `resolvePatientScope`), and the event says so with
 * `actor.kind: "caregiver"` (SPEC §4.7). A refusal (`*.denied`) keeps the account's role: the
 * attempt was not allowed as anything.
 */
export function isCaregiverActing(actor: AuditActor, action: string, patientId: string | null | undefined): boolean {
  return actor.kind === 'user' && actor.role === 'patient' && patientId != null && actor.id !== patientId && !action.endsWith('.denied')
}

/** The actor as the audit log keeps it: kind, id and name at the time, and request metadata. */
function describeActor(actor: AuditActor): { kind: AuditActorKind; id?: string; name?: string; meta: RequestMeta | null } {
  switch (actor.kind) {
    case 'user':
      return { kind: actor.role, id: actor.id, name: actor.name, meta: actor.meta }
    case 'attempt':
      if (!actor.account) return { kind: 'patient', meta: actor.meta }
      return { kind: actor.account.role, id: actor.account.id, name: actor.account.name, meta: actor.meta }
    case 'share':
      return { kind: 'share', id: actor.shareId, meta: actor.meta }
    case 'shl-recipient':
      return { kind: 'share', id: actor.linkId, name: actor.recipient, meta: actor.meta }
    case 'emergency':
      return { kind: 'emergency', meta: actor.meta }
    case 'system':
      return { kind: 'system', meta: null }
  }
}

const ACTION_PATTERN = /^[a-z][a-z_-]*\.[a-z][a-z_]*$/

/** The stored row of an event by `actor` at `at`. Throws for an `action` that is not `feature.verb` (a programming error). */
function eventRow(at: Date, actor: AuditActor, action: AuditAction, target: AuditTarget) {
  if (!ACTION_PATTERN.test(action)) throw new Error(`Not an audit action name: ${action}`)
  const who = describeActor(actor)
  return {
    at: new Date(at.getTime()),
    action,
    actorKind: isCaregiverActing(actor, action, target.patientId) ? ('caregiver' as const) : who.kind,
    actorId: who.id ?? null,
    actorName: who.name ?? null,
    patientId: target.patientId ?? null,
    resourceType: target.resource.type,
    resourceId: target.resource.id,
    ip: who.meta?.ip ?? null,
    userAgent: who.meta?.userAgent ?? null,
  }
}

/**
 * Appends one event (see `AuditLog.record`): one INSERT, `seq` left to the sealer. Throws
 * when `trx` is not a transaction or `action` is not `feature.verb`: both are programming
 * errors, never user input.
 */
export async function appendAuditEvent(trx: Transaction<DB>, at: Date, actor: AuditActor, action: AuditAction, target: AuditTarget): Promise<void> {
  if (!trx.isTransaction) throw new Error('Audit events are written inside the transaction of the act.')
  await q.insertAuditEvents(trx, [eventRow(at, actor, action, target)])
}

/** The `AuditLog` of `deps.audit`, writing with `db`, timestamping with `now`, sealing with `sealer`. */
export function createAuditLog(db: Kysely<DB>, now: () => Date, signer: TreeHeadSigner, sealer: AuditSealer): AuditLog {
  const record: AuditLog['record'] = (trx, actor, action, target) => appendAuditEvent(trx, now(), actor, action, target)
  const recordRead: AuditLog['recordRead'] = async (handle, actor, events) => {
    const rows = events.filter((e) => !isPatientSelf(actor, e.target.patientId)).map((e) => eventRow(now(), actor, e.action, e.target))
    if (rows.length > 0) await q.insertAuditEvents(handle, rows)
  }
  return {
    signer,
    sealNow: () => sealer.sealNow(),
    inStatement: (handle, actor, events) => {
      const rows = events.map((e) => eventRow(now(), actor, e.action, e.target))
      return handle.with('audit_events_written', (qc) => qc.insertInto('auditEvents').values(rows)) as unknown as QueryCreator<DB>
    },
    record,
    recordRead,
    guard: async (actor, action, target, check) => {
      try {
        check()
      } catch (err) {
        const refused = err instanceof NotFoundError || err instanceof ForbiddenError
        if (refused && actor.kind === 'user' && target.patientId && !isPatientSelf(actor, target.patientId)) {
          const patientId = target.patientId
          await db.transaction().execute(async (trx) => {
            if (await q.isPatientAccount(trx, patientId)) await record(trx, actor, action, target)
          })
        }
        throw err
      }
    },
  }
}
