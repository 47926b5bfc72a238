/**
 * Rules for in-app notifications (SPEC §10): every signed-in account — any role, pending
 * doctors and pharmacists too (a new-sign-in notice is theirs as well) — reads, marks and
 * streams its own notifications, and nobody else's. Disabled accounts never get here (their
 * sessions are refused at authentication).
 */
import { isUser, type Actor } from '../actor.js'
import type { SelfTarget } from './consultations.js'

const isSelf = (a: Actor, r: SelfTarget) => isUser(a) && a.status !== 'disabled' && a.id === r.userId

export const notificationRules = {
  /** List, count and mark read one's own notifications. */
  'notification.read': isSelf,
  /** Ask for a stream ticket and open the stream, for oneself. */
  'notification.stream': isSelf,
} satisfies Record<string, (a: Actor, r: never) => boolean>
