/** The patient profile's schemas (SPEC §4.2) and the row → DTO mapper. */
import { differenceInYears, parseISO } from 'date-fns'
import { isValidPhoneNumber, parsePhoneNumberFromString } from 'libphonenumber-js'
import { z } from 'zod'
import { utcDate } from '../../app/dates.js'
import { CalendarDate, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import type { ProfileRow } from '../../db/schema.js'
import { emergencyCardSelection } from './emergency-card.js'

export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const
export const MAX_EMERGENCY_CONTACTS = 5
export const Sex = z.enum(['female', 'male', 'other', 'unknown'])


export const Coding = z
  .object({ system: singleLine(500).min(1), code: singleLine(200).min(1), display: singleLine(500).optional() })
  .strict()

const text = (max: number) => singleLine(max).min(1)
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

const CardIds = (what: string) =>
  z.array(z.uuid()).max(200).nullable().optional().describe(`ids of the profile's ${what} to show; null or omitted: the default`)
export const EmergencyCardBody = z
  .object({ conditionIds: CardIds('conditions'), medicationIds: CardIds('medications') })
  .strict()
  .describe('What the emergency view shows (SPEC §4.2, §4.6); null: all active ones except findings')

export const ProfileBody = z
  .object({
    fullName: text(200),
    dateOfBirth: CalendarDate.nullable().optional(),
    sex: Sex.nullable().optional(),
    bloodGroup: z.enum(BLOOD_GROUPS).nullable().optional(),
    heightCm: z.number().min(20).max(280).nullable().optional(),
    organDonor: z.boolean().nullable().optional(),
    notes: multiLine(2000).nullable().optional(),
    allergies: z.array(Allergy).max(100).optional(),
    conditions: z.array(Condition).max(200).optional(),
    medications: z.array(Medication).max(100).optional(),
    emergencyContacts: z.array(EmergencyContact).max(MAX_EMERGENCY_CONTACTS, `At most ${MAX_EMERGENCY_CONTACTS} emergency contacts.`).optional(),
    emergencyCard: EmergencyCardBody.nullable().optional(),
    phone: E164Phone.nullable().optional().describe("The patient's own mobile number: appointment reminders by SMS (SPEC §10)"),
  })
  .strict()
export type ProfileInput = z.infer<typeof ProfileBody>

/**
 * The lists as stored. Responses describe what is there rather than repeat the request
 * rules: a FHIR import (SPEC §4.4) may have stored text a PUT would refuse (a line break, a
 * longer name), and a read must never fail on it.
 */
const StoredCoding = z.object({ system: z.string(), code: z.string(), display: z.string().optional() })
const StoredAllergy = z.object({ id: z.string(), substance: z.string(), reaction: z.string().optional(), severity: Allergy.shape.severity, code: StoredCoding.optional() })
const StoredCondition = z.object({ id: z.string(), name: z.string(), status: Condition.shape.status, since: z.string().optional(), code: StoredCoding.optional() })
const StoredMedication = z.object({
  id: z.string(),
  name: z.string(),
  dosage: z.string().optional(),
  frequency: z.string().optional(),
  since: z.string().optional(),
  code: StoredCoding.optional(),
})
const StoredEmergencyContact = z.object({ id: z.string(), name: z.string(), relationship: z.string().optional(), phone: z.string(), email: z.string().optional() })

export const Profile = z.object({
  fullName: z.string(),
  dateOfBirth: z.string().nullable(),
  age: z.number().int().nullable(),
  sex: Sex.nullable().describe('null until the patient (or an import) records it'),
  bloodGroup: z.string().nullable(),
  heightCm: z.number().nullable(),
  organDonor: z.boolean().nullable(),
  notes: z.string().nullable(),
  allergies: z.array(StoredAllergy),
  conditions: z.array(StoredCondition),
  medications: z.array(StoredMedication),
  emergencyContacts: z.array(StoredEmergencyContact),
  phone: z.string().nullable().describe("The patient's own mobile number (E.164), or null"),
  emergencyCard: z
    .object({ conditionIds: z.array(z.string()).nullable(), medicationIds: z.array(z.string()).nullable() })
    .describe('What the emergency view shows (SPEC §4.2): the chosen ids, or null for the default'),
  emergencyCardDefault: z
    .object({ conditionIds: z.array(z.string()), medicationIds: z.array(z.string()) })
    .describe('Read-only: the ids the default picks (active conditions except SNOMED CT findings, situations and social concepts; all medications)'),
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
    sex: row.sex,
    bloodGroup: row.bloodGroup,
    heightCm: row.heightCm,
    organDonor: row.organDonor,
    notes: row.notes,
    allergies: row.allergies,
    conditions: row.conditions,
    medications: row.medications,
    emergencyContacts: row.emergencyContacts,
    phone: row.phone,
    emergencyCard: row.emergencyCard,
    emergencyCardDefault: emergencyCardSelection(row, { conditionIds: null, medicationIds: null }),
    updatedAt: toInstant(row.updatedAt),
  }
}
