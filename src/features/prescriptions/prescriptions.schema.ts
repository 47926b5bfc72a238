/**
 * Prescription schemas (SPEC §4.9): the create body, the list query, the `Prescription`
 * response (which feeds OpenAPI and drops any field it does not list) and the view → DTO
 * mapper. The pharmacy's shapes live in dispensing.schema.ts.
 */
import { z } from 'zod'
import { ListQuery, Uuid, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import type { AcknowledgedWarning, PrescriptionItemRow, PrescriptionRow } from '../../db/schema.js'
import { formatReference } from './reference-number.js'

const text = (max: number) => singleLine(max).min(1)
/** Optional text: null, absent and blank all mean none. */
const optional = (schema: z.ZodString) => schema.nullish().transform((v) => (v ? v : undefined))

export const PRESCRIPTION_STATUSES = ['active', 'partially_dispensed', 'dispensed', 'rejected', 'cancelled', 'expired'] as const
export const PrescriptionStatus = z.enum(PRESCRIPTION_STATUSES)
export type PrescriptionStatusValue = z.infer<typeof PrescriptionStatus>

export const PrescriptionItemBody = z
  .object({
    medicineName: text(200),
    dosage: text(100),
    frequency: text(100),
    quantity: z.int().min(1).max(10_000),
    durationDays: z.int().min(1).max(365).nullish(),
    instructions: optional(singleLine(500)),
  })
  .strict()

/** `POST /prescriptions` (SPEC §4.9). The prescriber is the signed-in doctor, never a field. */
export const CreatePrescriptionBody = z
  .object({
    patientId: Uuid,
    diagnosis: text(500),
    notes: optional(multiLine(2000)),
    validDays: z.int().min(1).max(180).default(30),
    items: z.array(PrescriptionItemBody).min(1, 'At least one item.').max(20, 'At most 20 items.'),
    allergyOverride: z
      .object({ reason: multiLine(1000).min(10, 'Give a reason of at least 10 characters.') })
      .strict()
      .optional()
      .describe("Prescribe despite the allergy warnings of a 409 allergy-warning: the reason is kept with the prescription and shown to the pharmacist"),
    encounterId: Uuid.optional().describe('A visit of this patient that the prescribing doctor recorded (SPEC §10).'),
  })
  .strict()
export type CreatePrescriptionInput = z.infer<typeof CreatePrescriptionBody>

export const PrescriptionListQuery = z.object({ status: PrescriptionStatus.optional(), ...ListQuery }).strict()
export type PrescriptionListInput = z.infer<typeof PrescriptionListQuery>

export const PrescriptionParams = z.object({ id: Uuid }).strict()

const PersonRef = { id: z.uuid(), name: z.string() }
export const PharmacistRef = z.object({ ...PersonRef, pharmacyName: z.string().nullable() })

export const DispensedItem = z.object({
  itemId: z.uuid(),
  quantity: z.int(),
  batchNumber: z.string(),
  expiryDate: z.string().optional(),
  unitPrice: z.number().optional(),
})

export const Dispensation = z.object({
  id: z.uuid(),
  pharmacist: PharmacistRef,
  at: z.string(),
  notes: z.string().nullable(),
  items: z.array(DispensedItem),
  warningsAcknowledged: z.boolean().describe('The pharmacist acknowledged the warnings of the prescription when dispensing'),
  acknowledgedWarnings: z.array(z.object({ code: z.string(), message: z.string() })).describe('The warnings acknowledged; empty when there were none'),
})

/** An allergy warning the prescriber was shown when issuing (SPEC §4.9). */
export const AllergyWarning = z.object({
  code: z.literal('allergy'),
  message: z.string().describe('Names the medicine and the allergy'),
  itemIndex: z.int().describe('Position of the item in the request (and on the prescription)'),
  substance: z.string(),
})

export const Prescription = z.object({
  id: z.uuid(),
  prescriptionNumber: z.string().describe('RX-YYYYMMDD-NNNN (UTC date of issue, then a counter with no daily cap)'),
  referenceNumber: z.string().describe('Crockford base32, XXXX-XXXX-XXXX-C, C a mod-37 check symbol'),
  patient: z.object({ id: z.uuid(), fullName: z.string(), dateOfBirth: z.string().nullable() }),
  doctor: z.object({ ...PersonRef, specialty: z.string().nullable(), licenseNumber: z.string().nullable() }),
  diagnosis: z.string(),
  notes: z.string().nullable(),
  items: z.array(
    z.object({
      id: z.uuid(),
      medicineName: z.string(),
      dosage: z.string(),
      frequency: z.string(),
      quantity: z.int(),
      durationDays: z.int().nullable(),
      instructions: z.string().nullable(),
      dispensedQuantity: z.int(),
    }),
  ),
  status: PrescriptionStatus,
  issuedAt: z.string(),
  expiresAt: z.string(),
  cancelledAt: z.string().nullable(),
  /** The visit it was written at (SPEC §10), or null. */
  encounterId: z.uuid().nullable(),
  qr: z
    .object({
      data: z.string().describe('Compact JWS (Ed25519) with only ids, a nonce and the expiry; at most 300 characters'),
      pngUrl: z.string(),
      svgUrl: z.string(),
    })
    .nullable()
    .describe("What a pharmacist scans to dispense; null for a caregiver who may not collect the medicine (policy `prescription.qr`: only a dependent's `manage` caregiver)"),
  scanCount: z.int(),
  lastScannedAt: z.string().nullable(),
  dispensations: z.array(Dispensation),
  rejection: z.object({ reason: z.string(), by: PharmacistRef, at: z.string() }).optional(),
  prescriberWarnings: z
    .object({ reason: z.string(), warnings: z.array(AllergyWarning.extend({ itemId: z.uuid() })) })
    .nullable()
    .describe('The allergy warnings the prescriber overrode when issuing, with the reason; null when there were none'),
})
export type PrescriptionDto = z.infer<typeof Prescription>

/** A prescription row with the names its DTO shows (see prescriptions.queries.ts). */
export type PrescriptionJoinedRow = PrescriptionRow & {
  patientAccountName: string
  patientFullName: string | null
  patientDateOfBirth: string | null
  doctorName: string
  doctorSpecialty: string | null
  doctorLicenseNumber: string | null
  rejectedByName: string | null
  rejectedByPharmacyName: string | null
}

export interface DispensationView {
  id: string
  pharmacistId: string
  pharmacistName: string
  pharmacyName: string | null
  dispensedAt: Date
  notes: string | null
  acknowledgedWarnings: AcknowledgedWarning[] | null
  items: { itemId: string; quantity: number; batchNumber: string; expiryDate: string | null; unitPrice: number | null }[]
}

/** Everything a `Prescription` shows, loaded and computed by the service. */
export interface PrescriptionView {
  row: PrescriptionJoinedRow
  items: PrescriptionItemRow[]
  dispensations: DispensationView[]
  status: PrescriptionStatusValue
  qrData: string
  /** True when the reader may not have the QR (policy `prescription.qr`): the DTO's `qr` is null. */
  hideQr?: boolean | undefined
  /** `$PUBLIC_URL/api/v1/prescriptions/<id>`. */
  url: string
}

/** The `Prescription` of SPEC §4.9. */
export function toPrescriptionDto(v: PrescriptionView): PrescriptionDto {
  const r = v.row
  return {
    id: r.id,
    prescriptionNumber: r.prescriptionNumber,
    referenceNumber: formatReference(r.referenceCode),
    patient: { id: r.patientId, fullName: r.patientFullName || r.patientAccountName, dateOfBirth: r.patientDateOfBirth },
    doctor: { id: r.doctorId, name: r.doctorName, specialty: r.doctorSpecialty, licenseNumber: r.doctorLicenseNumber },
    diagnosis: r.diagnosis,
    notes: r.notes,
    items: v.items.map((i) => ({
      id: i.id,
      medicineName: i.medicineName,
      dosage: i.dosage,
      frequency: i.frequency,
      quantity: i.quantity,
      durationDays: i.durationDays,
      instructions: i.instructions,
      dispensedQuantity: i.dispensedQuantity,
    })),
    status: v.status,
    issuedAt: toInstant(r.issuedAt),
    expiresAt: toInstant(r.expiresAt),
    cancelledAt: r.cancelledAt ? toInstant(r.cancelledAt) : null,
    encounterId: r.encounterId,
    qr: v.hideQr ? null : { data: v.qrData, pngUrl: `${v.url}/qr.png`, svgUrl: `${v.url}/qr.svg` },
    scanCount: r.scanCount,
    lastScannedAt: r.lastScannedAt ? toInstant(r.lastScannedAt) : null,
    dispensations: v.dispensations.map((d) => ({
      id: d.id,
      pharmacist: { id: d.pharmacistId, name: d.pharmacistName, pharmacyName: d.pharmacyName },
      at: toInstant(d.dispensedAt),
      notes: d.notes,
      items: d.items.map((i) => ({
        itemId: i.itemId,
        quantity: i.quantity,
        batchNumber: i.batchNumber,
        ...(i.expiryDate !== null ? { expiryDate: i.expiryDate } : {}),
        ...(i.unitPrice !== null ? { unitPrice: i.unitPrice } : {}),
      })),
      warningsAcknowledged: d.acknowledgedWarnings !== null,
      acknowledgedWarnings: (d.acknowledgedWarnings ?? []).map((w) => ({ code: w.code, message: w.message })),
    })),
    ...(r.rejectedAt && r.rejectedBy
      ? {
          rejection: {
            reason: r.rejectionReason ?? '',
            by: { id: r.rejectedBy, name: r.rejectedByName ?? '', pharmacyName: r.rejectedByPharmacyName },
            at: toInstant(r.rejectedAt),
          },
        }
      : {}),
    prescriberWarnings: r.prescriberWarnings
      ? {
          reason: r.prescriberWarnings.reason,
          warnings: r.prescriberWarnings.warnings.flatMap((w) => {
            const item = v.items[w.itemIndex]
            return item ? [{ code: w.code, message: w.message, itemIndex: w.itemIndex, itemId: item.id, substance: w.substance }] : []
          }),
        }
      : null,
  }
}
