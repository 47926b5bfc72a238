/** Pharmacy counter schemas (SPEC §4.9): scan, lookup, dispense and reject bodies, the check result, history. */
import { z } from 'zod'
import { CalendarDate, DateOrInstant, ListQuery, Uuid, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import { Prescription, toPrescriptionDto, type PrescriptionView } from '../prescriptions/prescriptions.schema.js'
import { QR_DATA_MAX_LENGTH } from '../prescriptions/qr-token.js'


export const ScanBody = z.object({ qrData: z.string().trim().min(1).max(4 * QR_DATA_MAX_LENGTH) }).strict()
export type ScanInput = z.infer<typeof ScanBody>

export const LookupBody = z
  .object({
    referenceNumber: z.string().min(1).max(64).describe('As printed (XXXX-XXXX-XXXX-C); case, spaces and hyphens are ignored'),
    patientDateOfBirth: CalendarDate,
  })
  .strict()
export type LookupInput = z.infer<typeof LookupBody>

/** A price with at most two decimals (it is stored as numeric(12,2), never rounded silently). */
const Price = z
  .number()
  .nonnegative()
  .max(9_999_999_999.99)
  .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'At most two decimals.')

export const DispenseItemBody = z
  .object({
    itemId: Uuid,
    quantity: z.int().min(1).max(10_000),
    batchNumber: singleLine(64).min(1),
    expiryDate: CalendarDate.optional(),
    unitPrice: Price.optional(),
  })
  .strict()

export const DispenseBody = z
  .object({
    items: z.array(DispenseItemBody).min(1, 'Dispense at least one item.').max(20),
    notes: multiLine(1000).optional(),
    warningsAcknowledged: z
      .boolean()
      .optional()
      .describe('Required (true) when the prescription has warnings: the pharmacist checked them with the patient or prescriber (SPEC §4.9)'),
  })
  .strict()
export type DispenseInput = z.infer<typeof DispenseBody>

export const RejectBody = z.object({ reason: multiLine(1000).min(1) }).strict()
export type RejectInput = z.infer<typeof RejectBody>

export const PROBLEM_CODES = ['expired', 'cancelled', 'rejected', 'fully_dispensed'] as const

export const CheckIssue = z.object({ code: z.string(), message: z.string() })

/**
 * A warning at the counter (SPEC §4.9): `allergy` (a medicine matching a recorded allergy,
 * with the item and the allergy) or `prescriber_override` (the prescriber was warned when
 * issuing and prescribed anyway; the message gives their reason).
 */
export const CounterWarningSchema = z.object({
  code: z.enum(['allergy', 'prescriber_override']),
  message: z.string(),
  itemId: z.uuid().optional(),
  substance: z.string().optional(),
})
export type CounterWarning = z.infer<typeof CounterWarningSchema>

/** `{prescription, isValid, canDispense, problems, warnings}` (SPEC §4.9), plus what the pharmacist may know of the patient's allergies (SPEC §3). */
export const PharmacyCheck = z.object({
  prescription: Prescription,
  isValid: z.boolean().describe('No problems'),
  canDispense: z.boolean().describe('Valid and something left to dispense'),
  problems: z.array(z.object({ code: z.enum(PROBLEM_CODES), message: z.string() })),
  warnings: z.array(CounterWarningSchema).describe('Do not block dispensing, but a dispense must acknowledge them (warningsAcknowledged: true)'),
  allergies: z
    .array(z.object({ substance: z.string(), reaction: z.string().optional(), severity: z.enum(['mild', 'moderate', 'severe']).optional() }))
    .describe("The patient's recorded allergies (SPEC §3: a pharmacist sees name, date of birth and allergies only)"),
})
export type PharmacyCheckDto = z.infer<typeof PharmacyCheck>

/** What the service computes for a check; the prescription becomes a DTO here. */
export interface PharmacyCheckView {
  prescription: PrescriptionView
  isValid: boolean
  canDispense: boolean
  problems: { code: (typeof PROBLEM_CODES)[number]; message: string }[]
  warnings: CounterWarning[]
  allergies: { substance: string; reaction?: string | undefined; severity?: 'mild' | 'moderate' | 'severe' | undefined }[]
}

/** The check as the API shows it: the prescription as a `Prescription`, allergies without ids or codes. */
export function toPharmacyCheckDto(v: PharmacyCheckView): PharmacyCheckDto {
  return {
    ...v,
    prescription: toPrescriptionDto(v.prescription),
    allergies: v.allergies.map((a) => ({
      substance: a.substance,
      ...(a.reaction !== undefined ? { reaction: a.reaction } : {}),
      ...(a.severity !== undefined ? { severity: a.severity } : {}),
    })),
  }
}

export const HistoryQuery = z.object({ from: DateOrInstant.optional(), to: DateOrInstant.optional(), ...ListQuery }).strict()
export type HistoryInput = z.infer<typeof HistoryQuery>

/** One act of the pharmacist's: a dispensation or a rejection. */
export const HistoryEntry = z.object({
  kind: z.enum(['dispensation', 'rejection']),
  /** The dispensation's id, or the rejected prescription's. */
  id: z.uuid(),
  at: z.string(),
  prescriptionId: z.uuid(),
  prescriptionNumber: z.string(),
  items: z
    .array(
      z.object({
        itemId: z.uuid(),
        medicineName: z.string(),
        quantity: z.int(),
        batchNumber: z.string(),
        expiryDate: z.string().optional(),
        unitPrice: z.number().optional(),
      }),
    )
    .optional(),
  notes: z.string().nullable().optional(),
  reason: z.string().optional(),
})
export type HistoryEntryDto = z.infer<typeof HistoryEntry>

/** A dispensation or rejection as the service assembles it. */
export interface HistoryRow {
  kind: 'dispensation' | 'rejection'
  id: string
  at: Date
  prescriptionId: string
  prescriptionNumber: string
  notes?: string | null
  reason?: string
  items?: { itemId: string; medicineName: string; quantity: number; batchNumber: string; expiryDate: string | null; unitPrice: number | null }[]
}

/** One history entry: dispensations with their lines, rejections with their reason. */
export function toHistoryEntryDto(r: HistoryRow): HistoryEntryDto {
  return {
    kind: r.kind,
    id: r.id,
    at: toInstant(r.at),
    prescriptionId: r.prescriptionId,
    prescriptionNumber: r.prescriptionNumber,
    ...(r.items
      ? {
          items: r.items.map((i) => ({
            itemId: i.itemId,
            medicineName: i.medicineName,
            quantity: i.quantity,
            batchNumber: i.batchNumber,
            ...(i.expiryDate !== null ? { expiryDate: i.expiryDate } : {}),
            ...(i.unitPrice !== null ? { unitPrice: i.unitPrice } : {}),
          })),
        }
      : {}),
    ...(r.kind === 'dispensation' ? { notes: r.notes ?? null } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  }
}
