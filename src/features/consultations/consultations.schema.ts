/** Schemas of consultations and the doctor's patient list (SPEC §4.8), and their mappers. */
import { z } from 'zod'
import { ListQuery, Uuid, multiLine, toInstant } from '../../app/schemas.js'
import type { ConsultationView } from './consultations.queries.js'

export const ConsultationStatus = z.enum(['pending', 'approved', 'rejected', 'ended', 'cancelled'])

/** `POST /consultations`: the patient names the doctor; the patient is always the caller. */
export const RequestConsultationBody = z
  .object({
    doctorId: Uuid,
    reason: multiLine(1000).min(1).optional(),
  })
  .strict()
export type RequestConsultationInput = z.infer<typeof RequestConsultationBody>

export const ConsultationListQuery = z.object({ status: ConsultationStatus.optional(), ...ListQuery }).strict()
export type ConsultationListInput = z.infer<typeof ConsultationListQuery>

export const ConsultationParams = z.object({ id: Uuid }).strict()

export const DoctorPatientsQuery = z.object(ListQuery).strict()

/** `Consultation` of SPEC §4.8, plus `endedAt` (when it was ended or cancelled). */
export const Consultation = z.object({
  id: z.uuid(),
  patient: z.object({ id: z.uuid(), name: z.string() }),
  doctor: z.object({ id: z.uuid(), name: z.string(), specialty: z.string() }),
  status: ConsultationStatus,
  reason: z.string().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
})
export type ConsultationDto = z.infer<typeof Consultation>

/** One of `GET /doctor/patients`: a patient with an approved consultation with the caller. */
export const DoctorPatient = z.object({
  id: z.uuid(),
  fullName: z.string(),
  dateOfBirth: z.string().nullable(),
  consultationId: z.uuid(),
  /** When the consultation was approved. */
  since: z.string(),
})
export type DoctorPatientDto = z.infer<typeof DoctorPatient>

/** Consultation view → `Consultation`; the patient's name is their profile's full name, else their account name. */
export function toConsultationDto(c: ConsultationView): ConsultationDto {
  return {
    id: c.id,
    patient: { id: c.patientId, name: c.patientName },
    doctor: { id: c.doctorId, name: c.doctorName, specialty: c.doctorSpecialty ?? '' },
    status: c.status,
    reason: c.reason,
    createdAt: toInstant(c.createdAt),
    decidedAt: c.decidedAt ? toInstant(c.decidedAt) : null,
    endedAt: c.endedAt ? toInstant(c.endedAt) : null,
  }
}

/** Approved-patient row → `DoctorPatient`. */
export function toDoctorPatientDto(r: { id: string; fullName: string; dateOfBirth: string | null; consultationId: string; since: Date | string }): DoctorPatientDto {
  return { id: r.id, fullName: r.fullName, dateOfBirth: r.dateOfBirth, consultationId: r.consultationId, since: toInstant(r.since) }
}
