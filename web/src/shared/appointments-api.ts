/**
 * The appointment calls of the web app (SPEC §10 "Appointments"), typed by the generated
 * OpenAPI paths, in one module so the pages (doctor's availability and calendar, patient's
 * appointments and booking) share them:
 *
 * - `GET/PUT /doctor/availability`, `GET/POST /doctor/availability/exceptions`,
 *   `DELETE …/exceptions/{id}` — the signed-in doctor's weekly schedule (IANA zone) and time off;
 * - `GET /doctors/{id}/slots?from&to` (≤ 31 days) — free slots as instants;
 * - `GET /appointments?from&to&status` (either side, one's own), `GET /patients/{pid}/appointments`
 *   (a locker's, for a caregiver), `POST /appointments` (201), `POST /appointments/{id}/cancel`
 *   and `…/reschedule {start}` (200 with the appointment as it now is). A taken slot is 409.
 */
import { useQuery } from '@tanstack/react-query'
import { api, ApiError, unwrap } from '../api/client'
import { problemBody } from '../api/errors'
import { queryKeys } from '../api/query-keys'
import type { Appointment, AppointmentStatus, Availability, AvailabilityInput, BookingInput, ExceptionInput } from '../api/types'

/** The signed-in doctor's weekly availability; null when none is published yet (404). */
export async function getAvailability(): Promise<Availability | null> {
  const { data, error, response } = await api.GET('/api/v1/doctor/availability')
  if (response.status === 404) return null
  if (!response.ok || !data) throw new ApiError(response.status, problemBody(error))
  return data
}

export const putAvailability = (body: AvailabilityInput) => unwrap(api.PUT('/api/v1/doctor/availability', { body }))

export const listExceptions = () => unwrap(api.GET('/api/v1/doctor/availability/exceptions', { params: { query: { limit: 100 } } }))

export const addException = (body: ExceptionInput) => unwrap(api.POST('/api/v1/doctor/availability/exceptions', { body }))

export const deleteException = (id: string) => unwrap(api.DELETE('/api/v1/doctor/availability/exceptions/{id}', { params: { path: { id } } }))

/** Free slots of a doctor between two instants (SPEC: at most 31 days). */
export const listSlots = (id: string, from: string, to: string) => unwrap(api.GET('/api/v1/doctors/{id}/slots', { params: { path: { id }, query: { from, to } } }))

/**
 * Appointments of `pid`'s locker (`'me'`: the caller's own, as patient or doctor) between two
 * instants, at most 100 (one page: a day or a few weeks of a calendar).
 */
export function listAppointments(pid: string, filter: { from?: string; to?: string; status?: AppointmentStatus }) {
  const query = { ...filter, limit: 100 }
  return pid === 'me'
    ? unwrap(api.GET('/api/v1/appointments', { params: { query } }))
    : unwrap(api.GET('/api/v1/patients/{pid}/appointments', { params: { path: { pid }, query } }))
}

export const bookAppointment = (body: BookingInput): Promise<Appointment> => unwrap(api.POST('/api/v1/appointments', { body }))

export const cancelAppointment = (id: string): Promise<Appointment> => unwrap(api.POST('/api/v1/appointments/{id}/cancel', { params: { path: { id } }, body: {} }))

export const rescheduleAppointment = (id: string, start: string): Promise<Appointment> =>
  unwrap(api.POST('/api/v1/appointments/{id}/reschedule', { params: { path: { id } }, body: { start } }))

/** True for the 409 of a slot that is taken, outside availability or past (SPEC §10). */
export const isSlotConflict = (err: unknown): boolean => err instanceof ApiError && err.status === 409

/** Free slots of `doctorId` from `from` to `to` (instants), refreshed every 30 s while shown. */
export function useSlots(doctorId: string | null, from: string, to: string) {
  return useQuery({
    queryKey: queryKeys.slotRange(doctorId ?? '', from, to),
    queryFn: () => listSlots(doctorId ?? '', from, to),
    enabled: doctorId !== null,
    refetchInterval: 30_000,
  })
}
