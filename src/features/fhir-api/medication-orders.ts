/**
 * Prescriptions and dispensations as FHIR R4 (SPEC §9, §4.9): each prescription item is a
 * MedicationRequest (grouped by the prescription number), each item given out at the
 * pharmacy a MedicationDispense. Medicines are free text as prescribed (no RxNorm code is
 * stored). Pure mappers.
 */
import { createHash } from 'node:crypto'
import type * as fhir4 from 'fhir/r4.js'
import { prescriptionStatus } from '../prescriptions/prescriptions.service.js'
import type { DispensedItemRowOut, PrescriptionItemRowOut } from './fhir-api.queries.js'
import { instant, patientRef } from './fhir-codes.js'

const PRESCRIPTION_NUMBER_SYSTEM = 'urn:carelocker:prescription-number'

/** Prescription state (SPEC §4.9, `expired` computed) → MedicationRequest.status. */
const REQUEST_STATUS = {
  active: 'active',
  partially_dispensed: 'active',
  dispensed: 'completed',
  expired: 'stopped',
  cancelled: 'cancelled',
  rejected: 'stopped',
} as const satisfies Record<string, fhir4.MedicationRequest['status']>

/** One prescription item → an order MedicationRequest; `now` decides whether it has expired. */
export function prescriptionItemRequest(patientId: string, r: PrescriptionItemRowOut, now: Date): fhir4.MedicationRequest {
  const dosage: fhir4.Dosage = { text: [r.dosage, r.frequency].join(', '), timing: { code: { text: r.frequency } } }
  if (r.instructions) dosage.patientInstruction = r.instructions
  const dispense: fhir4.MedicationRequestDispenseRequest = {
    quantity: { value: r.quantity },
    validityPeriod: { start: instant(r.issuedAt), end: instant(r.expiresAt) },
  }
  if (r.durationDays !== null) dispense.expectedSupplyDuration = { value: r.durationDays, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' }
  return {
    resourceType: 'MedicationRequest',
    id: r.id,
    status: REQUEST_STATUS[prescriptionStatus(r, now)],
    intent: 'order',
    groupIdentifier: { system: PRESCRIPTION_NUMBER_SYSTEM, value: r.prescriptionNumber },
    medicationCodeableConcept: { text: r.medicineName },
    subject: patientRef(patientId),
    authoredOn: instant(r.issuedAt),
    requester: { display: r.doctorName },
    reasonCode: [{ text: r.diagnosis }],
    dosageInstruction: [dosage],
    dispenseRequest: dispense,
  }
}

/**
 * The id of an item's dispense: a dispensed item has no id of its own (its key is the
 * dispensation and the item), so it is the UUID-shaped first 128 bits of SHA-256 of both,
 * stable across reads.
 */
export function dispenseId(dispensationId: string, itemId: string): string {
  const h = createHash('sha256').update(`${dispensationId}/${itemId}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** One item given out → a completed MedicationDispense, linked to the item's MedicationRequest. */
export function dispensedItem(patientId: string, r: DispensedItemRowOut): fhir4.MedicationDispense {
  const performer = r.pharmacyName ? `${r.pharmacistName} (${r.pharmacyName})` : r.pharmacistName
  return {
    resourceType: 'MedicationDispense',
    id: dispenseId(r.dispensationId, r.itemId),
    status: 'completed',
    medicationCodeableConcept: { text: r.medicineName },
    subject: patientRef(patientId),
    authorizingPrescription: [{ reference: `MedicationRequest/${r.itemId}` }],
    performer: [{ actor: { display: performer } }],
    quantity: { value: r.quantity },
    whenHandedOver: instant(r.dispensedAt),
    dosageInstruction: [{ text: [r.dosage, r.frequency].join(', ') }],
    note: [{ text: `Batch ${r.batchNumber}` }],
  }
}
