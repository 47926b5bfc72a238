/** The doctor's patients (approved consultations, SPEC §4.8), shared by the home page and the patient view. */
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { queryKeys } from '../api/query-keys'

/** `GET /doctor/patients` (first 100), cached under `queryKeys.doctorPatients`. */
export function useDoctorPatients() {
  return useQuery({ queryKey: queryKeys.doctorPatients, queryFn: () => unwrap(api.GET('/api/v1/doctor/patients', { params: { query: { limit: 100 } } })) })
}
