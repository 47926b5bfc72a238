/**
 * Rules for organizations (SPEC §10): any signed-in, verified user reads the list; only an
 * admin creates or changes one, or sets which organization a doctor or pharmacist belongs to.
 */
import { isActiveRole, isUser, type Actor } from '../actor.js'

/** The organization (or account) an admin acts on; for reads, the reader. */
export interface OrganizationTarget {
  id: string
}

export const organizationRules = {
  'organization.list': (a: Actor, _r: OrganizationTarget) => isUser(a) && a.status === 'active',
  'organization.manage': (a: Actor, _r: OrganizationTarget) => isActiveRole(a, 'admin'),
  'user.organization': (a: Actor, _r: OrganizationTarget) => isActiveRole(a, 'admin'),
} satisfies Record<string, (a: Actor, r: OrganizationTarget) => boolean>
