/**
 * Care-team scenarios (issue 4, SPEC §4.3 and §4.8 under load):
 * - a doctor with an approved consultation listing the patient's records (route gate, consent
 *   lookup, the keyset list, and an audit event written per request: `record.listed`);
 * - vital trends for a patient with BENCH_VITALS (default 100,000) vitals: the default window
 *   (last 90 days, ISO weeks) and the whole range by month, both bucketed by the database;
 * - the rules health summary of that patient (latest readings, 90-day least-squares sums in SQL);
 * - the FHIR R4 Observation search by code (SPEC §9, §7): the patient's heart rates, 20 per page
 *   (an index scan of vitals by (patient, type, time DESC, id DESC), and one of lab_results).
 */
import { randomUUID } from 'node:crypto'
import { authHeaders, registerPatient, requestJson, type BenchPatient } from '../api-client.js'
import type { BenchOptions } from '../options.js'
import type { LoadResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { runLoad } from './load.js'

export const CARE_SCENARIO = {
  doctorList: 'records list, consenting doctor',
  trends90: 'vitals trends, 90 days by week',
  trendsAll: 'vitals trends, all by month',
  summary: 'health summary (rules)',
  fhirObservation: 'FHIR search, Observation by code, 20 per page',
} as const

const DOCTOR_PASSWORD = 'bench doctor password 0123'

/** Registers a doctor through the API (pending until seeded as verified). */
async function registerDoctor(baseUrl: string): Promise<BenchPatient> {
  const email = `bench-doctor-${randomUUID()}@example.test`
  const body = await requestJson<{ user: { id: string } }>(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DOCTOR_PASSWORD, role: 'doctor', name: 'Bench Doctor', specialty: 'General practice', licenseNumber: 'BENCH-1' }),
  })
  return { id: body.user.id, email, password: DOCTOR_PASSWORD }
}

/**
 * Sets up one patient with `options.records` records and `options.vitals` vitals and a verified
 * doctor with an approved consultation (seeded in the tables), then runs the four scenarios,
 * each after a probe that checks the answer's shape.
 */
export async function runCareTeam(server: BenchServer, options: BenchOptions): Promise<LoadResult[]> {
  const patient = await registerPatient(server.baseUrl, 'care')
  const doctor = await registerDoctor(server.baseUrl)
  const records = await server.seed(patient.id, options.records)
  const vitals = await server.seedCareTeam(patient.id, doctor.id, options.vitals)
  if (records !== options.records || vitals !== options.vitals) {
    throw new Error(`seeding inserted ${records} records and ${vitals} vitals, expected ${options.records} and ${options.vitals}`)
  }

  const results: LoadResult[] = []
  const doctorHeaders = await authHeaders(server.baseUrl, doctor)
  const list = `/api/v1/patients/${patient.id}/records?limit=20`
  const page = await requestJson<{ items: unknown[] }>(`${server.baseUrl}${list}`, { headers: doctorHeaders })
  if (page.items.length !== Math.min(20, options.records)) throw new Error(`the doctor's page 1 has ${page.items.length} items`)
  results.push(await runLoad(server, options, { name: CARE_SCENARIO.doctorList, detail: `${options.records} records`, path: list, headers: doctorHeaders }))

  const trends90 = '/api/v1/patients/me/vitals/trends?type=heart_rate'
  const patientHeaders = await authHeaders(server.baseUrl, patient)
  const week = await requestJson<{ items: { count: number }[] }>(`${server.baseUrl}${trends90}`, { headers: patientHeaders })
  const inWindow = week.items.reduce((n, i) => n + i.count, 0)
  if (inWindow === 0) throw new Error('the 90-day trend has no readings')
  results.push(await runLoad(server, options, { name: CARE_SCENARIO.trends90, detail: `${options.vitals} vitals, ${inWindow} in window`, path: trends90, headers: patientHeaders }))

  const trendsAll = '/api/v1/patients/me/vitals/trends?type=blood_pressure&bucket=month&from=2000-01-01'
  const months = await requestJson<{ items: { count: number }[] }>(`${server.baseUrl}${trendsAll}`, { headers: patientHeaders })
  const all = months.items.reduce((n, i) => n + i.count, 0)
  results.push(await runLoad(server, options, { name: CARE_SCENARIO.trendsAll, detail: `${all} BP readings`, path: trendsAll, headers: await authHeaders(server.baseUrl, patient) }))

  const summary = '/api/v1/patients/me/summary'
  const rules = await requestJson<{ generator: string; highlights: unknown[] }>(`${server.baseUrl}${summary}`, { headers: patientHeaders })
  if (rules.generator !== 'rules' || rules.highlights.length === 0) throw new Error(`unexpected summary: ${rules.generator}, ${rules.highlights.length} highlights`)
  // A heavy route that a person opens now and then: measured with at most 10 connections, so its
  // latency is the route's and not 50 requests queued behind each other.
  const connections = Math.min(10, options.connections)
  results.push(
    await runLoad(server, { ...options, connections }, { name: CARE_SCENARIO.summary, detail: `${options.vitals} vitals, ${connections} conn`, path: summary, headers: await authHeaders(server.baseUrl, patient) }),
  )
  const fhirSearch = `/fhir/R4/Observation?patient=${patient.id}&code=http://loinc.org|8867-4&_count=20`
  const searchset = await requestJson<{ resourceType: string; entry?: unknown[] }>(`${server.baseUrl}${fhirSearch}`, { headers: patientHeaders })
  if (searchset.resourceType !== 'Bundle' || searchset.entry?.length !== 20) throw new Error(`the FHIR search answered ${searchset.resourceType} with ${searchset.entry?.length ?? 0} entries`)
  results.push(await runLoad(server, options, { name: CARE_SCENARIO.fhirObservation, detail: `${options.vitals} vitals`, path: fhirSearch, headers: await authHeaders(server.baseUrl, patient) }))
  return results
}
