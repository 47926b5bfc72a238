/**
 * What the audit routes show (SPEC §4.7): a patient's own events and the admin's
 * verification of the whole log. Kept apart from `audit.service.ts`, the log services
 * write through (`deps.audit`), which must not import `Deps` back.
 */
import { z } from 'zod'
import type { Deps } from '../app/deps.js'
import { instantBounds } from '../app/dates.js'
import { decodeCursor, toPage } from '../db/keyset.js'
import { authorize, type Actor } from '../policy/index.js'
import { resolvePatientScope } from '../policy/patient-scope.js'
import { eventOfRow, type AuditEvent } from './audit-event.js'
import * as q from './audit.queries.js'
import type { AuditListInput } from './audit.schema.js'
import { verifyAuditTree, type TreeVerification } from './verify.js'

/** `GET /admin/audit/verify`: `verifyAuditTree` for an admin (policy rule 'audit.verify'; 404 otherwise). */
export async function verifyAuditLog(deps: Deps, actor: Actor): Promise<TreeVerification> {
  authorize(actor, 'audit.verify', null)
  return verifyAuditTree(deps.db, deps.audit.signer)
}

/** The audit list's sort key `[seq]`: a chain position (bigint ≥ 1, within JavaScript's safe integers). */
const AuditCursor = z.tuple([z.int().min(1)])

/**
 * `GET /patients/{pid}/audit` (SPEC §4.7, §2): the patient's own events, newest first, as
 * `{items, nextCursor}` keyed on `seq`. Filters: `action` (exact name), `from`/`to` (dates
 * or instants, inclusive). Only the patient (`{pid}` = `me` or their id; 404 otherwise);
 * 400 for a bad cursor or `from` after `to`.
 */
export async function listPatientAudit(deps: Deps, actor: Actor, pid: string, query: AuditListInput): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
  const scope = await resolvePatientScope(deps.db, actor, pid)
  authorize(actor, 'audit.read', scope)
  const beforeSeq = query.cursor !== undefined ? decodeCursor(query.cursor, AuditCursor)[0] : undefined
  const bounds = instantBounds(query.from, query.to)
  const rows = await q.listPatientEvents(deps.db, {
    patientId: scope.patientId,
    action: query.action,
    from: bounds.from,
    before: bounds.before,
    beforeSeq,
    limit: query.limit + 1,
  })
  return toPage(rows, query.limit, (r) => [r.seq], eventOfRow)
}
