/**
 * An audit event as patients see it (SPEC §4.7) and as it enters the Merkle tree: leaf
 * `seq` is tree index `seq − 1`, and its input is the RFC 8785 (JCS) canonical JSON of the
 * event exactly as `GET /patients/me/audit` returns it. Anyone holding an event can
 * recompute its leaf hash and check it against an inclusion proof.
 */
import canonicalize from 'canonicalize'
import type { AuditActorKind, AuditEventRow } from '../db/schema.js'
import { leafHash } from './merkle.js'

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

/** A stored event that the sealer has given its place in the tree. */
export type SealedEventRow = Omit<AuditEventRow, 'id' | 'seq'> & { seq: number }

/** The event a sealed row represents (the inverse of how the writer stores it). */
export function eventOfRow(row: SealedEventRow): AuditEvent {
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

/** The leaf input: the event's RFC 8785 canonical JSON, UTF-8. */
export function leafInput(event: AuditEvent): string {
  return canonicalize(event) as string
}

/** The event's leaf hash, `SHA-256(0x00 ‖ JCS(event))` (RFC 9162 §2.1.1). */
export function eventLeafHash(event: AuditEvent): Buffer {
  return leafHash(Buffer.from(leafInput(event), 'utf8'))
}
