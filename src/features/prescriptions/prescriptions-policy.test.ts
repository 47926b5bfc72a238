import { describe, expect, it } from 'vitest'
import type { Role, UserStatus } from '../../db/schema.js'
import { can, type UserActor } from '../../policy/index.js'

const PATIENT = '11111111-1111-4111-8111-111111111111'
const DOCTOR = '22222222-2222-4222-8222-222222222222'
const OTHER = '33333333-3333-4333-8333-333333333333'
const user = (role: Role, id = OTHER, status: UserStatus = 'active'): UserActor => ({
  kind: 'user', id, role, status, name: role, sessionId: 's', secondFactor: false, meta: { ip: '127.0.0.1', userAgent: 'test' },
})
const rx = { patientId: PATIENT, doctorId: DOCTOR }

describe('policy matrix for prescriptions (SPEC §3)', () => {
  const cases: { who: string; actor: UserActor; read: boolean; cancel: boolean; email: boolean }[] = [
    { who: 'its patient', actor: user('patient', PATIENT), read: true, cancel: false, email: true },
    { who: 'another patient', actor: user('patient'), read: false, cancel: false, email: false },
    { who: 'its prescriber', actor: user('doctor', DOCTOR), read: true, cancel: true, email: true },
    { who: 'its prescriber, disabled', actor: user('doctor', DOCTOR, 'disabled'), read: false, cancel: false, email: false },
    { who: 'another doctor', actor: user('doctor'), read: false, cancel: false, email: false },
    { who: 'a pharmacist', actor: user('pharmacist'), read: false, cancel: false, email: false },
    { who: 'an admin', actor: user('admin'), read: false, cancel: false, email: false },
  ]
  for (const c of cases) {
    it(`${c.who}: read ${c.read}, cancel ${c.cancel}, email ${c.email}`, () => {
      expect(can(c.actor, 'prescription.read', rx)).toBe(c.read)
      expect(can(c.actor, 'prescription.cancel', rx)).toBe(c.cancel)
      expect(can(c.actor, 'prescription.email', rx)).toBe(c.email)
    })
  }

  it('only a verified doctor with an approved consultation creates one', () => {
    expect(can(user('doctor'), 'prescription.create', { patientId: PATIENT, actorHasApprovedConsultation: true })).toBe(true)
    expect(can(user('doctor'), 'prescription.create', { patientId: PATIENT, actorHasApprovedConsultation: false })).toBe(false)
    expect(can(user('doctor', OTHER, 'pending'), 'prescription.create', { patientId: PATIENT, actorHasApprovedConsultation: true })).toBe(false)
    for (const role of ['patient', 'pharmacist', 'admin'] as const) {
      expect(can(user(role), 'prescription.create', { patientId: PATIENT, actorHasApprovedConsultation: true })).toBe(false)
    }
  })

  it('lists are for patients and doctors, each their own', () => {
    expect(can(user('patient', PATIENT), 'prescription.list', { userId: PATIENT })).toBe(true)
    expect(can(user('doctor', DOCTOR), 'prescription.list', { userId: DOCTOR })).toBe(true)
    expect(can(user('doctor', DOCTOR), 'prescription.list', { userId: PATIENT })).toBe(false)
    expect(can(user('pharmacist'), 'prescription.list', { userId: OTHER })).toBe(false)
  })
})

describe('policy matrix for the pharmacy counter (SPEC §3, §4.9)', () => {
  const recent = { scannedByActor: true, scannedByActorRecently: true }
  const old = { scannedByActor: true, scannedByActorRecently: false }
  const never = { scannedByActor: false, scannedByActorRecently: false }
  const acts = ['prescription.validate', 'prescription.dispense', 'prescription.reject'] as const

  it('a verified pharmacist scans; validates, dispenses and rejects only what they scanned in the last hour', () => {
    const ph = user('pharmacist')
    expect(can(ph, 'prescription.scan', null)).toBe(true)
    for (const a of acts) {
      expect(can(ph, a, recent)).toBe(true)
      expect(can(ph, a, old)).toBe(false)
      expect(can(ph, a, never)).toBe(false)
    }
    expect(can(ph, 'prescription.handle', old)).toBe(true)
    expect(can(ph, 'prescription.handle', never)).toBe(false)
  })

  it('nobody else: pending or disabled pharmacists, patients, doctors, admins', () => {
    for (const actor of [user('pharmacist', OTHER, 'pending'), user('pharmacist', OTHER, 'disabled'), user('patient', PATIENT), user('doctor', DOCTOR), user('admin')]) {
      expect(can(actor, 'prescription.scan', null)).toBe(false)
      for (const a of acts) expect(can(actor, a, recent)).toBe(false)
      expect(can(actor, 'pharmacy.history', { pharmacistId: actor.id })).toBe(false)
    }
  })

  it('history is the pharmacist’s own', () => {
    expect(can(user('pharmacist'), 'pharmacy.history', { pharmacistId: OTHER })).toBe(true)
    expect(can(user('pharmacist'), 'pharmacy.history', { pharmacistId: PATIENT })).toBe(false)
  })
})
