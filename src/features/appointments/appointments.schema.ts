/**
 * Schemas of appointments (SPEC §10 "Appointments"; FHIR Schedule, Slot, Appointment) and
 * their mappers. Instants are ISO-8601 UTC; availability times are wall-clock `HH:MM` in the
 * doctor's IANA time zone.
 */
import { z } from 'zod'
import { DateOrInstant, ListQuery, PatientIdParam, Uuid, multiLine, toInstant } from '../../app/schemas.js'
import type { AppointmentView, ExceptionRow, ScheduleRow } from './appointments.queries.js'

const Instant = z.iso.datetime({ offset: true })
const WallClock = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'Expected a wall-clock time as HH:MM (00:00–24:00).')

export const AppointmentStatus = z.enum(['booked', 'cancelled', 'completed', 'noshow'])

/** One weekly window: ISO 8601 weekday (Monday = 1 … Sunday = 7), start and end in the doctor's zone. */
export const WeeklyWindow = z.object({ weekday: z.int().min(1).max(7), start: WallClock, end: WallClock }).strict()

/** `PUT /doctor/availability` (FHIR Schedule). A zone that does not exist, start ≥ end or overlapping windows: 400. */
export const AvailabilityBody = z
  .object({
    timeZone: z.string().min(1).max(64).describe('IANA time zone name, e.g. Europe/Paris'),
    weekly: z.array(WeeklyWindow).max(70),
    slotMinutes: z.int().min(10).max(120),
  })
  .strict()
export type AvailabilityInput = z.infer<typeof AvailabilityBody>

export const Availability = z.object({
  timeZone: z.string(),
  weekly: z.array(z.object({ weekday: z.int(), start: z.string(), end: z.string() })),
  slotMinutes: z.int(),
  updatedAt: z.string(),
})
export type AvailabilityDto = z.infer<typeof Availability>

/** `POST /doctor/availability/exceptions`: a span when the doctor is away. */
export const ExceptionBody = z.object({ from: Instant, to: Instant, reason: multiLine(500).optional() }).strict()
export type ExceptionInput = z.infer<typeof ExceptionBody>

export const AvailabilityException = z.object({ id: z.uuid(), from: z.string(), to: z.string(), reason: z.string().nullable(), createdAt: z.string() })
export type AvailabilityExceptionDto = z.infer<typeof AvailabilityException>

export const ExceptionParams = z.object({ id: Uuid }).strict()
export const DoctorParams = z.object({ id: Uuid }).strict()

/** `GET /doctors/{id}/slots?from&to`: a date (its whole UTC day) or an instant each; at most 31 days. */
export const SlotsQuery = z.object({ from: DateOrInstant, to: DateOrInstant }).strict()
export type SlotsInput = z.infer<typeof SlotsQuery>

export const FreeSlot = z.object({ start: z.string(), end: z.string() })
export const SlotList = z.object({ items: z.array(FreeSlot) })

/** `POST /appointments`: the patient books for themself; a `manage` caregiver names `patientId`. */
export const BookBody = z
  .object({
    doctorId: Uuid,
    start: Instant.describe('The start of a free slot (`GET /doctors/{id}/slots`)'),
    reason: multiLine(1000).optional(),
    patientId: Uuid.optional().describe('Booking for a patient you manage as a caregiver; default: yourself'),
  })
  .strict()
export type BookInput = z.infer<typeof BookBody>

export const RescheduleBody = z.object({ start: Instant }).strict()
export type RescheduleInput = z.infer<typeof RescheduleBody>

export const AppointmentParams = z.object({ id: Uuid }).strict()
export const PatientAppointmentsParams = z.object({ pid: PatientIdParam }).strict()

/** Lists: by start, earliest first; `from`/`to` bound the start (SPEC §2: date or instant, inclusive). */
export const AppointmentListQuery = z.object({ from: DateOrInstant.optional(), to: DateOrInstant.optional(), status: AppointmentStatus.optional(), ...ListQuery }).strict()
export type AppointmentListInput = z.infer<typeof AppointmentListQuery>

/** `Appointment` of SPEC §10. */
export const Appointment = z.object({
  id: z.uuid(),
  patient: z.object({ id: z.uuid(), name: z.string() }),
  doctor: z.object({ id: z.uuid(), name: z.string(), specialty: z.string() }),
  start: z.string(),
  end: z.string(),
  status: AppointmentStatus,
  reason: z.string().nullable(),
  createdAt: z.string(),
})
export type AppointmentDto = z.infer<typeof Appointment>

export function toAppointmentDto(a: AppointmentView): AppointmentDto {
  return {
    id: a.id,
    patient: { id: a.patientId, name: a.patientName },
    doctor: { id: a.doctorId, name: a.doctorName, specialty: a.doctorSpecialty ?? '' },
    start: toInstant(a.startsAt),
    end: toInstant(a.endsAt),
    status: a.status,
    reason: a.reason,
    createdAt: toInstant(a.createdAt),
  }
}

export function toAvailabilityDto(s: ScheduleRow): AvailabilityDto {
  return { timeZone: s.timeZone, weekly: s.weekly, slotMinutes: s.slotMinutes, updatedAt: toInstant(s.updatedAt) }
}

export function toExceptionDto(e: ExceptionRow): AvailabilityExceptionDto {
  return { id: e.id, from: toInstant(e.startsAt), to: toInstant(e.endsAt), reason: e.reason, createdAt: toInstant(e.createdAt) }
}
