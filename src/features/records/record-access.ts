/**
 * How the records services reach a record through the policy (SPEC §3, §4.7): the audit
 * resources they name, the read access of one record, and the record-date rule shared by
 * upload and metadata changes.
 */
import type { Deps } from '../../app/deps.js'
import { ValidationError } from '../../app/errors.js'
import type { PatientDataAccess } from '../../audit/patient-data.js'
import type { Actor } from '../../policy/index.js'
import { findRecordDate } from './records.queries.js'

/** Audit resource of one record (SPEC §4.7). */
export const recordResource = (id: string) => ({ type: 'record', id })

/** Audit resource of a patient's records as a whole (list, upload). */
export const recordsResource = (patientId: string) => ({ type: 'records', id: patientId })

/** The latest calendar date anywhere on Earth right now (UTC+14), so "today" is accepted in every time zone. */
const latestLocalDate = (now: Date): string => new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 10)

/**
 * Refuses a record date after today in every time zone (SPEC §4.3): ValidationError (400)
 * at `path` (`/recordDate`).
 */
export function checkRecordDate(deps: Deps, recordDate: string, path: string): void {
  if (recordDate > latestLocalDate(deps.now())) {
    throw new ValidationError('The record date is in the future.', [{ path, message: 'A record date cannot be in the future.' }])
  }
}

/** What a read of one record is audited as when anyone but the patient reads it. */
export type RecordReadAudit = 'record.viewed' | 'record.downloaded' | 'record.verified'

/**
 * How `actor` reads record `id` (SPEC §3): the patient and a treating doctor any of the
 * patient's records; a share link only its one record; an emergency token only records dated
 * inside its window (so the record's date is looked up first for it). Refusals are audited as
 * `record.denied` and surface as 404; reads by anyone but the patient as `audited`.
 */
export async function recordReadAccess(deps: Deps, actor: Actor, pid: string, id: string, audited: RecordReadAudit) {
  const recordDate = actor.kind === 'emergency' && pid === actor.patientId ? await findRecordDate(deps.db, actor.patientId, id) : undefined
  return { action: 'record.read', facts: { recordId: id, recordDate }, kind: 'read', resource: recordResource(id), audited } satisfies PatientDataAccess<unknown, 'read', undefined, 'record.read'>
}
