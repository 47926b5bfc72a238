/** Schemas of encounters (visits, SPEC §10) and the Encounter mapper. */
import { z } from 'zod'
import { ListQuery, PatientIdParam, Uuid, multiLine, singleLine, toInstant } from '../../app/schemas.js'
import type { EncounterDiagnosis, EncounterType } from '../../db/schema.js'
import { Note } from '../notes/notes.schema.js'
import { Prescription } from '../prescriptions/prescriptions.schema.js'
import { Vital } from '../vitals/vitals.schema.js'
import type { EncounterView } from './encounters.queries.js'

export const ENCOUNTER_TYPES = ['in_person', 'video', 'phone'] as const satisfies readonly EncounterType[]

/** An instant the database can hold and a visit can have: ISO-8601 with an offset, not before 1900. */
const VisitInstant = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) >= Date.parse('1900-01-01T00:00:00Z'), 'A visit is not before 1900-01-01.')

/** A code from a terminology (FHIR Coding): SNOMED CT, ICD-10… `system` is the terminology's URI. */
export const Coding = z
  .object({
    system: singleLine(500).min(1).optional().describe('e.g. http://snomed.info/sct, http://hl7.org/fhir/sid/icd-10'),
    code: singleLine(100).min(1),
    display: singleLine(500).min(1).optional(),
  })
  .strict()

export const Diagnosis = z.object({ code: Coding.optional(), text: singleLine(500).min(1) }).strict()

export const EncountersParams = z.object({ pid: PatientIdParam }).strict()
export const EncounterParams = z.object({ pid: PatientIdParam, id: Uuid }).strict()
export const EncounterListQuery = z.object(ListQuery).strict()

/** `POST /patients/{pid}/encounters` (SPEC §10). `end`, when given, is not before `start` (400 at `/end`). */
export const CreateEncounterBody = z
  .object({
    appointmentId: Uuid.optional().describe('A `booked` appointment of this patient with the recording doctor; it becomes `completed`.'),
    start: VisitInstant,
    end: VisitInstant.optional(),
    type: z.enum(ENCOUNTER_TYPES),
    reason: multiLine(1000).min(1).optional(),
    diagnoses: z.array(Diagnosis).max(50, 'At most 50 diagnoses.').default([]),
    summary: multiLine(10_000).min(1).optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.end !== undefined && Date.parse(b.end) < Date.parse(b.start)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'A visit does not end before it starts.' })
  })
export type CreateEncounterInput = z.infer<typeof CreateEncounterBody>

export const Encounter = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  doctor: z.object({ id: z.uuid(), name: z.string(), specialty: z.string() }),
  appointmentId: z.uuid().nullable(),
  start: z.string(),
  end: z.string().nullable(),
  type: z.enum(ENCOUNTER_TYPES),
  reason: z.string().nullable(),
  diagnoses: z.array(Diagnosis),
  summary: z.string().nullable(),
  createdAt: z.string(),
})
export type EncounterDto = z.infer<typeof Encounter>

/** One visit with what points to it: the notes the reader may see, its vitals, the prescriptions the reader may see. */
export const EncounterDetail = Encounter.extend({ notes: z.array(Note), vitals: z.array(Vital), prescriptions: z.array(Prescription) })
export type EncounterDetailDto = z.infer<typeof EncounterDetail>

/** encounters row (with its doctor) → `Encounter`. */
export function toEncounterDto(e: EncounterView): EncounterDto {
  return {
    id: e.id,
    patientId: e.patientId,
    doctor: { id: e.doctorId, name: e.doctorName, specialty: e.doctorSpecialty ?? '' },
    appointmentId: e.appointmentId,
    start: toInstant(e.startsAt),
    end: e.endsAt ? toInstant(e.endsAt) : null,
    type: e.type,
    reason: e.reason,
    diagnoses: e.diagnoses as EncounterDiagnosis[],
    summary: e.summary,
    createdAt: toInstant(e.createdAt),
  }
}
