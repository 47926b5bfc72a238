/**
 * The public emergency view of SPEC §4.6 under load: SPEC §7's "audited writes do not
 * serialise" scenario (budget ≥ 15 % of the bare yardstick, p99 ≤ 50 ms on PostgreSQL).
 * `BENCH_CONNECTIONS` (50) connections open ONE patient's emergency link at once, as a
 * crowd of first responders would. Each request reads the profile and the recent records,
 * runs the alert logic live (locks the patient's emergency row, checks the cooldown) and
 * writes an `emergency.accessed` audit event, in one transaction. The
 * cooldown is the product default (EMERGENCY_ALERT_COOLDOWN_MIN, not set by the bench):
 * the probe request claims the one alert round (email and SMS jobs enqueued; SMS goes to
 * the log provider), and every measured request is within the cooldown, as in real life.
 * Afterwards the scenario counts the audit events and alert rounds the views wrote.
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
  const before = await server.emergencyWrites(patient.id)
  if (before.auditEvents !== 0 || before.alertRounds !== 0) throw new Error(`the emergency patient is not fresh: ${JSON.stringify(before)}`)
  const result = await runLoad(server, options, {
    name: EMERGENCY_SCENARIO,
    detail: `1 link, ${options.connections} conn, alerts live`,
    path: `/api/v1/emergency/${token}`,
  })
  const writes = await server.emergencyWrites(patient.id)
  return { ...result, writes: { ...writes, alertCooldownMinutes: server.info.emergencyAlertCooldownMinutes } }
}
