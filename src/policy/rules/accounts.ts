/** Rules for account administration (SPEC §3: users and queue status are admin-only). */
import { isActiveRole, type Actor } from '../actor.js'

/** The account being administered. */
export interface UserTarget {
  userId: string
}

export const accountRules = {
  'user.list': (a: Actor, _r: UserTarget) => isActiveRole(a, 'admin'),
  'user.verify': (a: Actor, _r: UserTarget) => isActiveRole(a, 'admin'),
  // An admin cannot lock themselves out.
  'user.disable': (a: Actor, r: UserTarget) => isActiveRole(a, 'admin') && a.id !== r.userId,
  'user.enable': (a: Actor, _r: UserTarget) => isActiveRole(a, 'admin'),
} satisfies Record<string, (a: Actor, r: UserTarget) => boolean>
