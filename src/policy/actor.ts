/**
 * Who is acting (STYLE §3). Users act through sessions; share links and emergency tokens
 * are actors with narrow scopes, not bypasses; `system` is for jobs only.
 */
import type { Role, UserStatus } from '../db/schema.js'

export interface UserActor {
  kind: 'user'
  id: string
  role: Role
  status: UserStatus
  name: string
  sessionId: string
  /** The account has a second factor (a confirmed TOTP or a passkey, SPEC §8): the `MFA_REQUIRED_ROLES` gate lets it through. */
  secondFactor: boolean
  /** Where the request came from, for the audit log. */
  meta: RequestMeta
}

export interface ShareActor {
  kind: 'share'
  shareId: string
  recordId: string
  patientId: string
  meta: RequestMeta
}

export interface EmergencyActor {
  kind: 'emergency'
  patientId: string
  /** `YYYY-MM-DD`: the earliest record date this token may read (SPEC §4.6: 6 months back). */
  recordsSince: string
  meta: RequestMeta
}

export interface SystemActor {
  kind: 'system'
}

export type Actor = UserActor | ShareActor | EmergencyActor | SystemActor

export const systemActor: SystemActor = Object.freeze({ kind: 'system' })

/** Request metadata kept for the audit log (never written to application logs). */
export interface RequestMeta {
  ip: string
  userAgent: string
}

export const isUser = (a: Actor | null | undefined): a is UserActor => a?.kind === 'user'
/** An active (verified, not disabled) user of one of `roles`. */
export const isActiveRole = (a: Actor | null | undefined, ...roles: Role[]): a is UserActor =>
  isUser(a) && a.status === 'active' && roles.includes(a.role)
