/**
 * The one policy module (SPEC §3, STYLE §3). Every authorization decision is made here:
 * the route gate (`checkRouteAccess`) and the resource rules (`can` / `authorize`).
 * Deny by default: an action with no rule, or no actor, is refused.
 */
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../app/errors.js'
import type { Role } from '../db/schema.js'
import { isUser, type Actor } from './actor.js'
import { accountRules } from './rules/accounts.js'
import { appointmentRules } from './rules/appointments.js'
import { auditRules } from './rules/audit.js'
import { caregiverRules } from './rules/caregivers.js'
import { dispensingRules } from './rules/dispensing.js'
import { prescriptionRules } from './rules/prescriptions.js'
import { consultationRules } from './rules/consultations.js'
import { dataFreedomRules } from './rules/data-freedom.js'
import { encounterRules } from './rules/encounters.js'
import { organizationRules } from './rules/organizations.js'
import { noteRules } from './rules/notes.js'
import { notificationRules } from './rules/notifications.js'
import { isCaregiverReading, patientDataRules, type PatientScope } from './rules/patient-data.js'
import { shareLinkRules } from './rules/share-links.js'
import { shlRules } from './rules/shl.js'

export type { Actor, UserActor, ShareActor, EmergencyActor, RequestMeta } from './actor.js'
export { systemActor, isUser, isActiveRole } from './actor.js'
export type { PatientScope } from './rules/patient-data.js'
export type { PartyFilter } from './rules/patient-data.js'
export { readablePrescriptions } from './rules/prescriptions.js'
export { readableConsultations } from './rules/consultations.js'
export type { PrescriptionScope, PrescriptionListTarget, PrescriptionQrScope } from './rules/prescriptions.js'
export type { PharmacyScope, PharmacistTarget } from './rules/dispensing.js'
export type { ConsultationParties, SelfTarget } from './rules/consultations.js'
export { readableNotes, type NoteScope } from './rules/notes.js'
export type { ExportBuildTarget } from './rules/data-freedom.js'
export { readableAppointments, type AppointmentScope } from './rules/appointments.js'
export { encounterParts } from './rules/encounters.js'
export type { InvitationTarget } from './rules/caregivers.js'

const rules = {
  ...patientDataRules, ...accountRules, ...auditRules, ...shareLinkRules, ...consultationRules, ...noteRules, ...prescriptionRules,
  ...dispensingRules, ...dataFreedomRules, ...shlRules, ...appointmentRules, ...notificationRules, ...encounterRules, ...organizationRules,
  ...caregiverRules,
}

type Rules = typeof rules
export type Action = keyof Rules
type ResourceOf<A extends Action> = Parameters<Rules[A]>[1]

/** True when `actor` may do `action` on `resource`. Unknown actions and null actors: false. */
export function can<A extends Action>(actor: Actor | null | undefined, action: A, resource: ResourceOf<A>): boolean {
  const rule = rules[action] as ((a: Actor, r: ResourceOf<A>) => boolean) | undefined
  return actor != null && rule !== undefined && rule(actor, resource) === true
}

/**
 * Throws unless `actor` may do `action`. When the actor may not even see the resource
 * (`visibility` fails) the error is 404, so existence is not leaked; when it may see it but
 * not act, 403 (SPEC §2, STYLE §3).
 */
export function authorize<A extends Action, V extends Action>(
  actor: Actor | null | undefined,
  action: A,
  resource: ResourceOf<A> & ResourceOf<V>,
  visibility?: V,
): void {
  if (visibility !== undefined && !can(actor, visibility, resource)) throw new NotFoundError()
  if (!can(actor, action, resource)) {
    if (seesTheLocker(actor, resource)) throw new ForbiddenError(CAREGIVER_REFUSED, 'caregiver-not-allowed')
    throw visibility !== undefined ? new ForbiddenError() : new NotFoundError()
  }
}

const CAREGIVER_REFUSED = "A caregiver cannot do this on the patient's locker (your access level, or a part only the patient reaches: audit log, emergency card, caregivers, account, export, deletion)."

/**
 * True when `resource` is a patient's scope and `actor` is an active caregiver of that
 * patient: they see the locker, so a refusal there is 403, not 404 (SPEC §2, §10). A revoked
 * or expired caregiver has no `caregiverAccess` and stays a stranger (404).
 */
function seesTheLocker(actor: Actor | null | undefined, resource: unknown): boolean {
  if (actor == null || typeof resource !== 'object' || resource === null || !('caregiverAccess' in resource)) return false
  return isCaregiverReading(actor, resource as PatientScope)
}

declare const granted: unique symbol

/**
 * `R` as the policy allowed it: the proof a helper that reads a patient's data without
 * asking the policy (`loadProfile`, `loadPrescriptionView`) takes from a caller in another
 * feature, instead of a bare id (STYLE §9). Made by `grant`, which authorizes first, and by
 * `withPatientData`/`openPatientData` (`src/audit/patient-data.ts`) for the scope its policy
 * check just allowed (`ctx.scope`). A mark of the type alone: nothing is added at run time.
 */
export type Granted<R> = R & { readonly [granted]: true }

/**
 * `authorize(actor, action, resource, visibility)`, then `resource` itself marked as
 * `Granted`. Throws NotFoundError or ForbiddenError exactly as `authorize`.
 */
export function grant<A extends Action, V extends Action, R extends ResourceOf<A> & ResourceOf<V>>(actor: Actor | null | undefined, action: A, resource: R, visibility?: V): Granted<R> {
  authorize<A, V>(actor, action, resource, visibility)
  return resource as Granted<R>
}

/** What a route declares in `config.access` (STYLE §3); every route must declare one. */
export type RouteAccess =
  | 'public'
  | {
      /** Roles that can ever use this route; others get 403 (SPEC §2). */
      roles: readonly Role[]
      /** Pending doctors and pharmacists may use it (account routes); default false → 403 account-not-verified. */
      allowPending?: boolean
      /**
       * Users of a role in `MFA_REQUIRED_ROLES` without a second factor may use it (the account,
       * MFA and passkey routes, where they enrol one); default false → 403 mfa-setup-required (SPEC §8).
       */
      allowWithoutSecondFactor?: boolean
    }

/** Every role, for routes any signed-in user may call. */
export const ANY_ROLE: readonly Role[] = ['patient', 'doctor', 'pharmacist', 'admin']

/** Routes of the account itself (me, logout, password, sessions, MFA, passkeys, email): every role, pending or not, with or without a second factor. */
export const ACCOUNT_ROUTE_ACCESS = { roles: ANY_ROLE, allowPending: true, allowWithoutSecondFactor: true } as const satisfies RouteAccess

/**
 * The route gate, run before the handler: public routes pass; others need a user actor
 * (401) and then:
 * - when the role is one of `mfaRequiredRoles` (`MFA_REQUIRED_ROLES`, SPEC §8) and the account
 *   has no second factor, 403 mfa-setup-required on every route that does not allow going
 *   without (`allowWithoutSecondFactor`: the account, MFA and passkey routes) — whatever the
 *   route, since enrolling is what the user must do next; except that a pending account on a
 *   route closed to pending accounts hears of its verification (below) — that is what it
 *   waits for, and it may enrol meanwhile;
 * - a role the route serves (403 forbidden);
 * - a verified account unless the route allows pending ones (403 account-not-verified).
 * Disabled accounts never get here: their sessions are refused at authentication.
 */
export function checkRouteAccess(actor: Actor | null, access: RouteAccess, opts: { mfaRequiredRoles: readonly Role[] }): void {
  if (access === 'public') return
  if (!isUser(actor)) throw new UnauthorizedError()
  if (actor.status !== 'active' && actor.status !== 'pending') throw new UnauthorizedError()
  const waitsForVerification = actor.status === 'pending' && !access.allowPending
  if (!actor.secondFactor && !access.allowWithoutSecondFactor && !waitsForVerification && opts.mfaRequiredRoles.includes(actor.role)) {
    throw new ForbiddenError(
      `Accounts of the ${actor.role} role must set up two-factor sign-in (an authenticator app or a passkey) on the Security page first.`,
      'mfa-setup-required',
    )
  }
  if (!access.roles.includes(actor.role)) {
    throw new ForbiddenError(`This route is not available to the ${actor.role} role.`)
  }
  if (waitsForVerification) {
    throw new ForbiddenError('Your account is waiting for verification by an administrator.', 'account-not-verified')
  }
}
