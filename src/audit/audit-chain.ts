/**
 * The audit log's hash chain (SPEC §4.7), as pure functions: the event shape, its canonical
 * JSON (RFC 8785, JCS) and `hash = SHA-256(prevHash ‖ canonicalJson(event))`. The same event
 * object is what `GET /patients/me/audit` returns, so anyone holding an event and the
 * previous hash can recompute its hash.
 */
import { createHash } from 'node:crypto'
import type { AuditActorKind, AuditEventRow } from '../db/schema.js'

/** `prevHash` of the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * One audit event (SPEC §4.7). Optional members are absent (not null) when unknown;
 * `ip` and `userAgent` are null only for the system actor (jobs), which has no request.
 */
export interface AuditEvent {
  seq: number
  /** ISO-8601 UTC with milliseconds. */
  at: string
  /** `feature.verb`, past tense: `record.viewed`. */
  action: string
  actor: { kind: AuditActorKind; id?: string; name?: string }
  patientId?: string
  resource: { type: string; id: string }
  ip: string | null
  userAgent: string | null
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined }

/**
 * Canonical JSON of RFC 8785 (JSON Canonicalization Scheme) for the values audit events
 * hold: object members sorted by their UTF-16 code units (JavaScript's default string
 * order), no whitespace, strings and numbers serialized as ECMAScript's JSON.stringify
 * does (which is what JCS prescribes). Members whose value is `undefined` are omitted.
 * Throws TypeError for non-finite numbers, which JSON cannot represent.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('Canonical JSON cannot hold a non-finite number.')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const members = Object.keys(value)
    .filter((k) => value[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`)
  return `{${members.join(',')}}`
}

/** `SHA-256(prevHash ‖ canonicalJson(event))` as lower-case hex; both parts UTF-8 (SPEC §4.7). */
export function hashEvent(prevHash: string, event: AuditEvent): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update(canonicalJson(event as unknown as Json), 'utf8')
    .digest('hex')
}

/** The event a stored row represents (the inverse of how the writer stores it). */
export function eventOfRow(row: Omit<AuditEventRow, 'prevHash' | 'hash'>): AuditEvent {
  const actor: AuditEvent['actor'] = { kind: row.actorKind }
  if (row.actorId !== null) actor.id = row.actorId
  if (row.actorName !== null) actor.name = row.actorName
  const event: AuditEvent = {
    seq: row.seq,
    at: row.at.toISOString(),
    action: row.action,
    actor,
    resource: { type: row.resourceType, id: row.resourceId },
    ip: row.ip,
    userAgent: row.userAgent,
  }
  if (row.patientId !== null) event.patientId = row.patientId
  return event
}
