/**
 * CareLocker appointments (SPEC §10) as FHIR R4 Appointment resources: status `booked`,
 * `cancelled`, `fulfilled` (CareLocker's `completed`) or `noshow`; `start`, `end` and
 * `minutesDuration`; the patient and the practitioner as participants (both `accepted`: a
 * booking is made on the doctor's published availability); the reason as `reasonCode.text`.
 * Pure.
 */
import type * as fhir4 from 'fhir/r4.js'
import type { AppointmentRowOut } from './fhir-api.queries.js'

const STATUS: Record<AppointmentRowOut['status'], fhir4.Appointment['status']> = {
  booked: 'booked',
  cancelled: 'cancelled',
  completed: 'fulfilled',
  noshow: 'noshow',
}

/** One appointment row of patient `patientId` → Appointment. */
export function appointmentResource(patientId: string, r: AppointmentRowOut): fhir4.Appointment {
  return {
    resourceType: 'Appointment',
    id: r.id,
    status: STATUS[r.status],
    start: r.startsAt.toISOString(),
    end: r.endsAt.toISOString(),
    minutesDuration: Math.round((r.endsAt.getTime() - r.startsAt.getTime()) / 60_000),
    created: r.createdAt.toISOString(),
    ...(r.reason ? { reasonCode: [{ text: r.reason }] } : {}),
    participant: [
      { actor: { reference: `Patient/${patientId}` }, required: 'required', status: 'accepted' },
      { actor: { reference: `Practitioner/${r.doctorId}`, display: r.doctorName }, required: 'required', status: 'accepted' },
    ],
  }
}
