/**
 * E-prescriptions under load (issue 5, SPEC §4.9), everything through the public API:
 * - pharmacy scan: `POST /pharmacy/scan` with the signed QR strings of 50 prescriptions in
 *   turn (Ed25519 verification, the prescription's reads, the patient's allergies, a scan row,
 *   the scan counter and an audit event per request), through autocannon;
 * - the whole flow as prescriptions per second: a doctor issues one (sequence, reference
 *   number, items, email job, audit), a pharmacist scans its QR and dispenses all of it (row
 *   lock, conditional UPDATE per item, audit). `options.connections` flows run side by side
 *   for the measured seconds; "req/s" is completed prescriptions per second and the latencies
 *   are of whole flows (three requests each).
 * Setup: a bench admin (ADMIN_EMAIL/ADMIN_PASSWORD of the server) verifies a doctor and a
 * pharmacist; the patient asks for a consultation and the doctor approves it.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import autocannon from 'autocannon'
import { authHeaders, registerPatient, requestJson, type BenchPatient } from '../api-client.js'
import type { BenchOptions } from '../options.js'
import type { LoadResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { autocannonStats, hostLoad1m } from './load.js'
import { withServerMemory } from './memory.js'

export const PHARMACY_SCENARIO = {
  scan: 'pharmacy scan (QR)',
  flow: 'prescription create → scan → dispense',
} as const

const PASSWORD = 'bench clinician password 0123'
const SCAN_PRESCRIPTIONS = 50
const ITEM = { medicineName: 'Amoxicillin', dosage: '500 mg', frequency: 'three times a day', quantity: 21, durationDays: 7 }
/** The patient's penicillin allergy matches ITEM (SPEC §4.9): the prescriber overrides it, the pharmacist acknowledges it. */
const OVERRIDE = { reason: 'Bench: tolerated before, monitored.' }

type Headers = Record<string, string>
const json = (headers: Headers) => ({ ...headers, 'content-type': 'application/json' })

async function register(baseUrl: string, role: 'doctor' | 'pharmacist'): Promise<BenchPatient> {
  const email = `bench-${role}-${randomUUID()}@example.test`
  const extra = role === 'doctor' ? { specialty: 'General practice', licenseNumber: 'BENCH-MD' } : { pharmacyName: 'Bench Pharmacy', licenseNumber: 'BENCH-PH' }
  const body = await requestJson<{ user: { id: string } }>(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, role, name: `Bench ${role}`, ...extra }),
  })
  return { id: body.user.id, email, password: PASSWORD }
}

interface Prescription {
  id: string
  items: { id: string; quantity: number }[]
  qr: { data: string }
}

/** A verified doctor with an approved consultation, a verified pharmacist, and their patient. */
async function setUp(baseUrl: string, admin: { email: string; password: string }) {
  const adminHeaders = await authHeaders(baseUrl, { id: '', ...admin })
  const [doctor, pharmacist, patient] = [await register(baseUrl, 'doctor'), await register(baseUrl, 'pharmacist'), await registerPatient(baseUrl, 'pharmacy')]
  for (const u of [doctor, pharmacist]) await requestJson(`${baseUrl}/api/v1/admin/users/${u.id}/verify`, { method: 'POST', headers: adminHeaders })
  const patientHeaders = await authHeaders(baseUrl, patient)
  await requestJson(`${baseUrl}/api/v1/patients/me/profile`, {
    method: 'PUT',
    headers: json(patientHeaders),
    body: JSON.stringify({ fullName: 'Bench Patient', dateOfBirth: '1970-01-01', allergies: [{ substance: 'Penicillin', severity: 'severe' }] }),
  })
  const doctorHeaders = await authHeaders(baseUrl, doctor)
  const consultation = await requestJson<{ id: string }>(`${baseUrl}/api/v1/consultations`, { method: 'POST', headers: json(patientHeaders), body: JSON.stringify({ doctorId: doctor.id }) })
  await requestJson(`${baseUrl}/api/v1/consultations/${consultation.id}/approve`, { method: 'POST', headers: doctorHeaders })
  return { doctor, pharmacist, patient }
}

const issue = (baseUrl: string, doctorHeaders: Headers, patientId: string) =>
  requestJson<Prescription>(`${baseUrl}/api/v1/prescriptions`, {
    method: 'POST',
    headers: json(doctorHeaders),
    body: JSON.stringify({ patientId, diagnosis: 'Bench', items: [ITEM], allergyOverride: OVERRIDE }),
  })

/** Percentile of sorted values (nearest rank), in whole ms like autocannon's. */
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!))

/**
 * Runs the two scenarios. `admin` is the server's bench admin (ADMIN_EMAIL/ADMIN_PASSWORD).
 * Each run is preceded by a probe that must succeed, so a broken setup fails at once.
 */
export async function runPharmacy(server: BenchServer, options: BenchOptions, admin: { email: string; password: string }): Promise<LoadResult[]> {
  const base = server.baseUrl
  const { doctor, pharmacist, patient } = await setUp(base, admin)
  const doctorHeaders = await authHeaders(base, doctor)
  const pharmacistHeaders = await authHeaders(base, pharmacist)

  // --- pharmacy scan -----------------------------------------------------------------------
  const codes: string[] = []
  for (let i = 0; i < SCAN_PRESCRIPTIONS; i += 1) codes.push((await issue(base, doctorHeaders, patient.id)).qr.data)
  const probe = await requestJson<{ isValid: boolean; warnings: unknown[] }>(`${base}/api/v1/pharmacy/scan`, {
    method: 'POST',
    headers: json(pharmacistHeaders),
    body: JSON.stringify({ qrData: codes[0] }),
  })
  if (!probe.isValid || probe.warnings.length !== 2) throw new Error(`unexpected scan answer: ${JSON.stringify(probe).slice(0, 200)}`)
  let next = 0
  const scanPath = '/api/v1/pharmacy/scan'
  const { value: r, memory: scanMemory } = await withServerMemory(server, async () =>
    autocannon({
      url: `${base}${scanPath}`,
      title: PHARMACY_SCENARIO.scan,
      connections: options.connections,
      duration: options.durationSeconds,
      timeout: 30,
      method: 'POST',
      headers: json(pharmacistHeaders),
      requests: [
        {
          setupRequest: (req) => {
            next = (next + 1) % codes.length
            return { ...req, body: JSON.stringify({ qrData: codes[next] }) }
          },
        },
      ],
      ...(options.warmupSeconds > 0 ? { warmup: { connections: options.connections, duration: options.warmupSeconds } } : {}),
    }),
  )
  const scanResult: LoadResult = {
    kind: 'load',
    name: PHARMACY_SCENARIO.scan,
    detail: `${SCAN_PRESCRIPTIONS} prescriptions`,
    path: scanPath,
    ...autocannonStats(r, options.connections),
    serverMemory: scanMemory,
    hostLoad1m: hostLoad1m(),
  }

  // --- create → scan → dispense -------------------------------------------------------------
  const statusCodes: Record<string, number> = {}
  let errors = 0
  let non2xx = 0
  const step = async (url: string, headers: Headers, body: unknown): Promise<unknown> => {
    let res: Response
    try {
      res = await fetch(url, { method: 'POST', headers: json(headers), body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) })
    } catch {
      errors += 1
      return undefined
    }
    statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1
    const text = await res.text()
    if (!res.ok) {
      non2xx += 1
      return undefined
    }
    return JSON.parse(text)
  }
  /** One prescription, start to finish; true when all three steps answered 2xx. */
  const flow = async (): Promise<boolean> => {
    const rx = (await step(`${base}/api/v1/prescriptions`, doctorHeaders, { patientId: patient.id, diagnosis: 'Bench', items: [ITEM], allergyOverride: OVERRIDE })) as Prescription | undefined
    if (!rx) return false
    if (!(await step(`${base}/api/v1/pharmacy/scan`, pharmacistHeaders, { qrData: rx.qr.data }))) return false
    const items = rx.items.map((i) => ({ itemId: i.id, quantity: i.quantity, batchNumber: 'BENCH-1', unitPrice: 0.25 }))
    const done = (await step(`${base}/api/v1/pharmacy/prescriptions/${rx.id}/dispense`, pharmacistHeaders, { items, warningsAcknowledged: true })) as { status: string } | undefined
    return done?.status === 'dispensed'
  }
  if (!(await flow())) throw new Error(`the create → scan → dispense probe failed: ${JSON.stringify(statusCodes)}`)
  /** `options.connections` loops until `ms` elapses; returns the latencies of completed flows. */
  const drive = async (ms: number): Promise<number[]> => {
    const until = performance.now() + ms
    const latencies: number[] = []
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        while (performance.now() < until) {
          const started = performance.now()
          if (await flow()) latencies.push(performance.now() - started)
        }
      }),
    )
    return latencies
  }
  if (options.warmupSeconds > 0) await drive(options.warmupSeconds * 1000)
  for (const k of Object.keys(statusCodes)) delete statusCodes[k]
  errors = 0
  non2xx = 0
  const started = performance.now()
  const { value: latencies, memory: flowMemory } = await withServerMemory(server, () => drive(options.durationSeconds * 1000))
  const seconds = (performance.now() - started) / 1000
  const sorted = [...latencies].sort((a, b) => a - b)
  const average = sorted.length === 0 ? 0 : Math.round((sorted.reduce((s, v) => s + v, 0) / sorted.length) * 100) / 100
  const flowResult: LoadResult = {
    kind: 'load',
    name: PHARMACY_SCENARIO.flow,
    detail: 'prescriptions/s, 3 requests each',
    path: 'POST /prescriptions → POST /pharmacy/scan → POST /pharmacy/prescriptions/{id}/dispense',
    connections: options.connections,
    durationSeconds: Math.round(seconds * 100) / 100,
    requests: sorted.length,
    reqPerSec: Math.round((sorted.length / seconds) * 10) / 10,
    latencyMs: { average, p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: percentile(sorted, 100) },
    errors,
    timeouts: 0,
    non2xx,
    statusCodes,
    serverMemory: flowMemory,
    hostLoad1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  }
  return [scanResult, flowResult]
}
