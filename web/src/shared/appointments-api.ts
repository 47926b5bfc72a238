/**
 * The appointment calls of the web app (SPEC §10 "Appointments"), in one module so the
 * pages (doctor's availability and calendar, patient's appointments and booking) share
 * their query keys and invalidations:
 *
 * - `GET/PUT /doctor/availability`, `GET/POST /doctor/availability/exceptions`,
 *   `DELETE …/exceptions/{id}` — the signed-in doctor's weekly schedule (IANA zone) and time off;
 * - `GET /doctors/{id}/slots?from&to` (≤ 31 days) — free slots as instants;
 * - `GET /appointments?from&to&status` (either side, one's own), `GET /patients/{pid}/appointments`
 *   (a locker's, for a caregiver), `POST /appointments` (201), `POST /appointments/{id}/cancel`
 *   and `…/reschedule {start}` (200 with the appointment as it now is). A taken slot is 409.
 */
import { useQuery } from '@tanstack/react-query'
import { ApiError, authedFetch } from '../api/client'
import { problemFromText } from '../api/errors'
import { queryKeys } from '../api/query-keys'

// ---- shapes (SPEC §10) --------------------------------------------------------------------

export type AppointmentStatus = 'booked' | 'cancelled' | 'completed' | 'noshow'
export interface Appointment {
  id: string
  patient: { id: string; name: string }
  doctor: { id: string; name: string }
  start: string
  end: string
  status: AppointmentStatus
  reason: string | null
  createdAt: string
}
export interface Slot {
  start: string
  end: string
}
export interface WeeklyWindow {
  weekday: number
  start: string
  end: string
}
export interface Availability {
  timeZone: string
  slotMinutes: number
  weekly: WeeklyWindow[]
}
export interface ScheduleException {
  id: string
  from: string
  to: string
  reason: string | null
}
interface ListPage<T> {
  items: T[]
  nextCursor: string | null
}

// ---- calls ----------------------------------------------------------------------------------

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json, application/problem+json' } }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { ...init.headers, 'content-type': 'application/json' }
  }
  const res = await authedFetch(new Request(`/api/v1${path}`, init))
  const text = await res.text()
  if (!res.ok) throw new ApiError(res.status, problemFromText(text))
  return (text ? JSON.parse(text) : undefined) as T
}

const qs = (query: Record<string, string | number | undefined>): string => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v))
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** The signed-in doctor's weekly availability; null when none is published yet (404). */
export async function getAvailability(): Promise<Availability | null> {
  try {
    return await call<Availability>('GET', '/doctor/availability')
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null
    throw err
  }
}

export const putAvailability = (body: Availability) => call<Availability>('PUT', '/doctor/availability', body)

export const listExceptions = () => call<ListPage<ScheduleException>>('GET', `/doctor/availability/exceptions${qs({ limit: 100 })}`)

export const addException = (body: { from: string; to: string; reason?: string }) => call<ScheduleException>('POST', '/doctor/availability/exceptions', body)

export const deleteException = (id: string) => call<void>('DELETE', `/doctor/availability/exceptions/${encodeURIComponent(id)}`)

/** Free slots of a doctor between two instants (SPEC: at most 31 days). */
export const listSlots = (doctorId: string, from: string, to: string) =>
  call<ListPage<Slot>>('GET', `/doctors/${encodeURIComponent(doctorId)}/slots${qs({ from, to })}`)

/**
 * Appointments of `pid`'s locker (`'me'`: the caller's own, as patient or doctor) between two
 * instants, at most 100 (one page: a day or a few weeks of a calendar).
 */
export const listAppointments = (pid: string, query: { from?: string; to?: string; status?: AppointmentStatus }) =>
  call<ListPage<Appointment>>('GET', `${pid === 'me' ? '' : `/patients/${encodeURIComponent(pid)}`}/appointments${qs({ ...query, limit: 100 })}`)

export const bookAppointment = (body: { doctorId: string; start: string; reason?: string; patientId?: string }) => call<Appointment>('POST', '/appointments', body)

export const cancelAppointment = (id: string) => call<Appointment>('POST', `/appointments/${encodeURIComponent(id)}/cancel`, {})

export const rescheduleAppointment = (id: string, start: string) => call<Appointment>('POST', `/appointments/${encodeURIComponent(id)}/reschedule`, { start })

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
