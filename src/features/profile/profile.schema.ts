/** The patient profile's schemas (SPEC §4.2) and the row → DTO mapper. */
import { differenceInYears, parseISO } from 'date-fns'
import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js'
import { z } from 'zod'
import { utcDate } from '../../app/dates.js'
import { CalendarDate, toInstant } from '../../app/schemas.js'
import type { ProfileRow } from '../../db/schema.js'

export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const
export const MAX_EMERGENCY_CONTACTS = 5


export const Coding = z
  .object({ system: z.string().min(1).max(500), code: z.string().min(1).max(200), display: z.string().max(500).optional() })
  .strict()

const text = (max: number) => z.string().trim().min(1).max(max)
const ItemId = z.uuid().optional()

/** An E.164 number (`+14155550123`), checked with libphonenumber-js metadata. */
export const E164Phone = z
  .string()
  .trim()
  .refine((v) => /^\+[1-9]\d{6,14}$/.test(v) && isValidPhoneNumber(v), 'Expected a valid phone number in E.164 form, e.g. +14155550123.')
  .transform((v) => parsePhoneNumberFromString(v)?.number ?? v)

export const Allergy = z
  .object({ id: ItemId, substance: text(200), reaction: text(500).optional(), severity: z.enum(['mild', 'moderate', 'severe']).optional(), code: Coding.optional() })
  .strict()
export const Condition = z
  .object({ id: ItemId, name: text(300), status: z.enum(['active', 'resolved']).optional(), since: CalendarDate.optional(), code: Coding.optional() })
  .strict()
export const Medication = z
  .object({ id: ItemId, name: text(300), dosage: text(200).optional(), frequency: text(200).optional(), since: CalendarDate.optional(), code: Coding.optional() })
  .strict()
export const EmergencyContact = z
  .object({ id: ItemId, name: text(200), relationship: text(100).optional(), phone: E164Phone, email: z.email().max(254).optional() })
  .strict()

export const ProfileBody = z
  .object({
    fullName: text(200),
    dateOfBirth: CalendarDate.nullable().optional(),
    sex: z.enum(['female', 'male', 'other', 'unknown']).optional(),
    bloodGroup: z.enum(BLOOD_GROUPS).nullable().optional(),
    heightCm: z.number().min(20).max(280).nullable().optional(),
    organDonor: z.boolean().nullable().optional(),
    notes: z.string().max(2000).nullable().optional(),
    allergies: z.array(Allergy).max(100).optional(),
    conditions: z.array(Condition).max(200).optional(),
    medications: z.array(Medication).max(100).optional(),
    emergencyContacts: z.array(EmergencyContact).max(MAX_EMERGENCY_CONTACTS, `At most ${MAX_EMERGENCY_CONTACTS} emergency contacts.`).optional(),
  })
  .strict()
export type ProfileInput = z.infer<typeof ProfileBody>

const withId = { id: z.string() }

export const Profile = z.object({
  fullName: z.string(),
  dateOfBirth: z.string().nullable(),
  age: z.number().int().nullable(),
  sex: z.enum(['female', 'male', 'other', 'unknown']),
  bloodGroup: z.string().nullable(),
  heightCm: z.number().nullable(),
  organDonor: z.boolean().nullable(),
  notes: z.string().nullable(),
  allergies: z.array(Allergy.extend(withId)),
  conditions: z.array(Condition.extend(withId)),
  medications: z.array(Medication.extend(withId)),
  emergencyContacts: z.array(EmergencyContact.extend({ ...withId, phone: z.string() })),
  updatedAt: z.string(),
})
export type ProfileDto = z.infer<typeof Profile>

/** Whole years between `dateOfBirth` and today's UTC date (SPEC §4.2); null without a birth date. */
export function ageOn(dateOfBirth: string | null, now: Date): number | null {
  if (!dateOfBirth) return null
  return differenceInYears(parseISO(utcDate(now)), parseISO(dateOfBirth))
}

export function toProfileDto(row: ProfileRow, now: Date): ProfileDto {
  return {
    fullName: row.fullName,
    dateOfBirth: row.dateOfBirth,
    age: ageOn(row.dateOfBirth, now),
    sex: row.sex ?? 'unknown',
    bloodGroup: row.bloodGroup,
    heightCm: row.heightCm,
    organDonor: row.organDonor,
    notes: row.notes,
    allergies: row.allergies,
    conditions: row.conditions,
    medications: row.medications,
    emergencyContacts: row.emergencyContacts,
    updatedAt: toInstant(row.updatedAt),
  }
}
