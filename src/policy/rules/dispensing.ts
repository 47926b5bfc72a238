/**
 * Rules for the pharmacy counter (SPEC §3, §4.9). A verified pharmacist may scan any QR code
 * or look up any reference number (holding the code, or the number and the patient's date of
 * birth, is the patient's consent to show it); afterwards they validate, dispense or reject
 * only what they themselves scanned or looked up in the last hour.
 */
import { isActiveRole, type Actor } from '../actor.js'

/** A prescription as a pharmacist reaches it: through their own scans. */
export interface PharmacyScope {
  /** The acting pharmacist scanned or looked it up at some time. */
  scannedByActor: boolean
  /** … and did so within the last hour (SPEC §4.9). */
  scannedByActorRecently: boolean
  /** What a `grant` of it names (the rules do not read them): the prescription and its patient. */
  prescriptionId?: string
  patientId?: string
}

/** A prescription the pharmacist holds the key to (its QR code, or its number and the patient's date of birth). */
export interface ScannedPrescription {
  prescriptionId: string
  patientId?: string
}

/** The pharmacist's own history. */
export interface PharmacistTarget {
  pharmacistId: string
}

const recentlyScanned = (a: Actor, r: PharmacyScope) => isActiveRole(a, 'pharmacist') && r.scannedByActor && r.scannedByActorRecently

export const dispensingRules = {
  /** Scanning and looking up need no earlier contact: the code (or number + date of birth) is the key. */
  'prescription.scan': (a: Actor, _r: ScannedPrescription | null) => isActiveRole(a, 'pharmacist'),
  /** Seeing a prescription's state at all: a pharmacist who handled it before. */
  'prescription.handle': (a: Actor, r: PharmacyScope) => isActiveRole(a, 'pharmacist') && r.scannedByActor,
  'prescription.validate': recentlyScanned,
  'prescription.dispense': recentlyScanned,
  'prescription.reject': recentlyScanned,
  'pharmacy.history': (a: Actor, r: PharmacistTarget) => isActiveRole(a, 'pharmacist') && a.id === r.pharmacistId,
} satisfies Record<string, (a: Actor, r: never) => boolean>
