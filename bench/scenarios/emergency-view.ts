/**
 * The public emergency view of SPEC §4.6 under load (SPEC §7 budget: ≥ 20 % of the
 * one-SELECT yardstick, p99 ≤ 50 ms on PostgreSQL): profile and recent-record reads, an
 * audit-chain append per request and — once per cooldown — the alert jobs. The patient
 * has a full profile with an emergency contact (SMS goes to the log provider).
 */
import { authHeaders, requestJson, type BenchPatient } from '../api-client.js'
import type { BenchOptions } from '../options.js'
import type { LoadResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { runLoad } from './load.js'

export const EMERGENCY_SCENARIO = 'emergency view (public JSON)'

export async function runEmergencyView(server: BenchServer, options: BenchOptions, patient: BenchPatient): Promise<LoadResult> {
  const headers = await authHeaders(server.baseUrl, patient)
  await requestJson(`${server.baseUrl}/api/v1/patients/me/profile`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      fullName: 'Bench Patient',
      dateOfBirth: '1970-01-01',
      bloodGroup: 'O+',
      allergies: [{ substance: 'Penicillin', severity: 'severe' }],
      conditions: [{ name: 'Hypertension', status: 'active' }],
      medications: [{ name: 'Lisinopril', dosage: '10 mg', frequency: 'daily' }],
      emergencyContacts: [{ name: 'Contact', phone: '+14155550123' }],
    }),
  })
  const { token } = await requestJson<{ token: string }>(`${server.baseUrl}/api/v1/patients/me/emergency`, { headers })
  return runLoad(server, options, { name: EMERGENCY_SCENARIO, detail: 'reads + audit write (+ enqueue once per cooldown)', path: `/api/v1/emergency/${token}` })
}
