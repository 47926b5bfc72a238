import { describe, expect, it } from 'vitest'
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../app/errors.js'
import type { Role, UserStatus } from '../db/schema.js'
import { authorize, can, checkRouteAccess, systemActor, type Action, type UserActor } from './index.js'

const PATIENT_ID = '11111111-1111-4111-8111-111111111111'
const user = (role: Role, id = '22222222-2222-4222-8222-222222222222', status: UserStatus = 'active'): UserActor => ({
  kind: 'user', id, role, status, name: role, sessionId: 's', secondFactor: false, meta: { ip: '127.0.0.1', userAgent: 'test' },
})

const patientActions = ['profile.read', 'profile.write', 'record.list', 'record.read', 'record.create', 'record.update', 'record.delete', 'vitals.read', 'vitals.create', 'labs.read', 'summary.read', 'import.run', 'fhir.read'] as const
/** SPEC §3: what a consenting doctor may do with a patient's data. */
const doctorWithConsent = new Set<Action>(['profile.read', 'record.list', 'record.read', 'record.create', 'vitals.read', 'vitals.create', 'labs.read', 'summary.read', 'fhir.read'])

describe('policy matrix for patient data (SPEC §3)', () => {
  const cases: { who: string; actor: UserActor; consent: boolean; allowed: (a: Action) => boolean }[] = [
    { who: 'the patient (owner)', actor: user('patient', PATIENT_ID), consent: false, allowed: () => true },
    { who: 'another patient', actor: user('patient'), consent: false, allowed: () => false },
    { who: 'a doctor without consent', actor: user('doctor'), consent: false, allowed: () => false },
    { who: 'a doctor with an approved consultation', actor: user('doctor'), consent: true, allowed: (a) => doctorWithConsent.has(a) },
    { who: 'a pending doctor with consent', actor: user('doctor', undefined, 'pending'), consent: true, allowed: () => false },
    { who: 'a disabled owner', actor: user('patient', PATIENT_ID, 'disabled'), consent: false, allowed: () => false },
    { who: 'a pharmacist', actor: user('pharmacist'), consent: true, allowed: () => false },
    { who: 'an admin', actor: user('admin'), consent: true, allowed: () => false },
  ]
  for (const c of cases) {
    for (const action of patientActions) {
      it(`${c.who}: ${action} → ${c.allowed(action) ? 'allowed' : 'denied'}`, () => {
        expect(can(c.actor, action, { patientId: PATIENT_ID, actorHasApprovedConsultation: c.consent })).toBe(c.allowed(action))
      })
    }
  }

  it('denies by default: no actor, or an action without a rule', () => {
    expect(can(null, 'record.read', { patientId: PATIENT_ID, actorHasApprovedConsultation: false })).toBe(false)
    expect(can(user('admin'), 'no.such.action' as Action, { patientId: PATIENT_ID, actorHasApprovedConsultation: true } as never)).toBe(false)
  })

  it('authorize hides what the actor cannot see (404) and refuses what it can see but not do (403)', () => {
    const scope = { patientId: PATIENT_ID, actorHasApprovedConsultation: true }
    expect(() => authorize(user('patient'), 'record.delete', scope, 'record.read')).toThrow(NotFoundError)
    expect(() => authorize(user('doctor'), 'record.delete', scope, 'record.read')).toThrow(ForbiddenError)
    expect(() => authorize(user('patient', PATIENT_ID), 'record.delete', scope, 'record.read')).not.toThrow()
  })
})

describe('account administration rules', () => {
  it('only an active admin lists, verifies, disables and enables; never disables themselves', () => {
    for (const role of ['patient', 'doctor', 'pharmacist'] as const) {
      expect(can(user(role), 'user.list', { userId: 'x' })).toBe(false)
      expect(can(user(role), 'user.verify', { userId: 'x' })).toBe(false)
      expect(can(user(role), 'user.enable', { userId: 'x' })).toBe(false)
    }
    const admin = user('admin')
    expect(can(admin, 'user.verify', { userId: 'x' })).toBe(true)
    expect(can(admin, 'user.enable', { userId: 'x' })).toBe(true)
    expect(can(user('admin', undefined, 'disabled'), 'user.enable', { userId: 'x' })).toBe(false)
    expect(can(admin, 'user.disable', { userId: admin.id })).toBe(false)
    expect(can(user('admin', undefined, 'disabled'), 'user.list', { userId: 'x' })).toBe(false)
  })
})

describe('route gate', () => {
  const none = { mfaRequiredRoles: [] }
  it('401 without a user, 403 for a role that can never use the route, 403 account-not-verified for pending', () => {
    expect(() => checkRouteAccess(null, { roles: ['patient'] }, none)).toThrow(UnauthorizedError)
    expect(() => checkRouteAccess(user('pharmacist'), { roles: ['patient', 'doctor'] }, none)).toThrow(ForbiddenError)
    try {
      checkRouteAccess(user('doctor', undefined, 'pending'), { roles: ['doctor'] }, none)
      expect.unreachable()
    } catch (err) {
      expect((err as ForbiddenError).code).toBe('account-not-verified')
    }
    expect(() => checkRouteAccess(user('doctor', undefined, 'pending'), { roles: ['doctor'], allowPending: true }, none)).not.toThrow()
    expect(() => checkRouteAccess(null, 'public', none)).not.toThrow()
  })

  const codeOf = (fn: () => void) => {
    try {
      fn()
      return 'allowed'
    } catch (err) {
      return (err as ForbiddenError).code
    }
  }
  it('MFA_REQUIRED_ROLES (SPEC §8): a listed role without a second factor gets 403 mfa-setup-required except on routes that allow it; others pass', () => {
    const required = { mfaRequiredRoles: ['doctor', 'admin'] as const }
    const clinical = { roles: ['doctor', 'admin', 'patient'] as const }
    expect(codeOf(() => checkRouteAccess(user('doctor'), clinical, required))).toBe('mfa-setup-required')
    expect(codeOf(() => checkRouteAccess(user('admin'), clinical, required))).toBe('mfa-setup-required')
    expect(codeOf(() => checkRouteAccess({ ...user('doctor'), secondFactor: true }, clinical, required))).toBe('allowed')
    expect(codeOf(() => checkRouteAccess(user('patient'), clinical, required))).toBe('allowed')
    expect(codeOf(() => checkRouteAccess(user('doctor'), { ...clinical, allowWithoutSecondFactor: true }, required))).toBe('allowed')
    expect(codeOf(() => checkRouteAccess(user('doctor'), clinical, none))).toBe('allowed')
    // A pending account hears of its verification first; it may enrol meanwhile.
    expect(codeOf(() => checkRouteAccess(user('doctor', undefined, 'pending'), clinical, required))).toBe('account-not-verified')
    expect(codeOf(() => checkRouteAccess(user('doctor', undefined, 'pending'), { ...clinical, allowPending: true, allowWithoutSecondFactor: true }, required))).toBe('allowed')
    // Every route, even one the role can never use: enrolling is what comes next.
    expect(codeOf(() => checkRouteAccess(user('pharmacist'), clinical, { mfaRequiredRoles: ['pharmacist'] }))).toBe('mfa-setup-required')
    expect(codeOf(() => checkRouteAccess({ ...user('pharmacist'), secondFactor: true }, clinical, { mfaRequiredRoles: ['pharmacist'] }))).toBe('forbidden')
    // A pending account on a route closed to it: the role check, then its verification, as without the gate.
    expect(codeOf(() => checkRouteAccess(user('pharmacist', undefined, 'pending'), clinical, { mfaRequiredRoles: ['pharmacist'] }))).toBe('forbidden')
  })
})

describe('audit log rules (SPEC §3: a patient reads their own log; an admin verifies the chain)', () => {
  it('audit.read is for the owner only; audit.verify for an active admin only', () => {
    const scope = { patientId: PATIENT_ID, actorHasApprovedConsultation: true }
    expect(can(user('patient', PATIENT_ID), 'audit.read', scope)).toBe(true)
    for (const actor of [user('patient'), user('doctor'), user('pharmacist'), user('admin'), user('patient', PATIENT_ID, 'disabled')]) {
      expect(can(actor, 'audit.read', scope)).toBe(false)
    }
    expect(can(user('admin'), 'audit.verify', null)).toBe(true)
    for (const actor of [user('patient', PATIENT_ID), user('doctor'), user('pharmacist'), user('admin', undefined, 'disabled')]) {
      expect(can(actor, 'audit.verify', null)).toBe(false)
    }
  })
})

describe('data freedom rules (SPEC §9: exports and erasure are the patient\'s own business)', () => {
  it('export.request, export.read and locker.erase are for the active owner only, whatever the consultations', () => {
    const scope = { patientId: PATIENT_ID, actorHasApprovedConsultation: true }
    for (const action of ['export.request', 'export.read', 'locker.erase'] as const) {
      expect(can(user('patient', PATIENT_ID), action, scope)).toBe(true)
      for (const actor of [user('patient'), user('doctor'), user('pharmacist'), user('admin'), user('patient', PATIENT_ID, 'disabled'), systemActor]) {
        expect(can(actor, action, scope), `${action} by ${actor.kind === 'user' ? actor.role : actor.kind}`).toBe(false)
      }
    }
  })

  it('export.build is for the system actor (a job), on a pending export only', () => {
    expect(can(systemActor, 'export.build', { patientId: PATIENT_ID, status: 'pending' })).toBe(true)
    expect(can(systemActor, 'export.build', { patientId: PATIENT_ID, status: 'ready' })).toBe(false)
    expect(can(systemActor, 'export.build', { patientId: PATIENT_ID, status: 'failed' })).toBe(false)
    expect(can(user('patient', PATIENT_ID), 'export.build', { patientId: PATIENT_ID, status: 'pending' })).toBe(false)
    expect(can(user('admin'), 'export.build', { patientId: PATIENT_ID, status: 'pending' })).toBe(false)
  })
})

describe('SMART Health Link rules (SPEC §9: only the patient makes, lists and revokes their links)', () => {
  it('shl.create, shl.list and shl.revoke are for the active owner only, even a consenting doctor is refused', () => {
    const scope = { patientId: PATIENT_ID, actorHasApprovedConsultation: true }
    for (const action of ['shl.create', 'shl.list', 'shl.revoke'] as const) {
      expect(can(user('patient', PATIENT_ID), action, scope)).toBe(true)
      for (const actor of [user('patient'), user('doctor'), user('pharmacist'), user('admin'), user('patient', PATIENT_ID, 'disabled')]) {
        expect(can(actor, action, scope), `${actor.role} ${action}`).toBe(false)
      }
    }
  })
})
