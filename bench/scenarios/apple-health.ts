/**
 * A large Apple Health export imported through real HTTP (SPEC §9; SPEC §7: "a 1 GB Apple
 * Health export imports with memory growth ≤ 128 MB"). The export.xml is stream-generated to a
 * temporary file (never held in memory) with a realistic mix: heart rate every few minutes,
 * steps, energy, distance, sleep, weight, blood pressure (each reading alone and in its
 * correlation, as the Health app writes it), SpO₂, respiratory rate, glucose, temperature,
 * workouts and activity summaries. It is then POSTed streamed from the file with an exact
 * Content-Length; the server's peak RSS growth and the wall time are recorded.
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import { authHeaders, type BenchPatient } from '../api-client.js'
import { MIB, type AppleImportResult } from '../report.js'
import type { BenchServer } from '../server-process.js'
import { withServerMemory } from './memory.js'

const HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED sourceName CDATA #REQUIRED startDate CDATA #REQUIRED endDate CDATA #REQUIRED>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-06-01 08:10:05 +0200"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexNotSet" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>
`
const WATCH = 'sourceName="Bench’s Apple Watch" sourceVersion="10.2" device="&lt;&lt;HKDevice: 0x3012772a0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, hardware:Watch6,7, software:10.2&gt;"'
const PHONE = 'sourceName="Bench’s iPhone" sourceVersion="17.4"'

const pad = (n: number) => String(n).padStart(2, '0')
/** Apple's date format, in UTC+01:00. */
function appleDate(ms: number): string {
  const d = new Date(ms + 3_600_000)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0100`
}
const rec = (type: string, source: string, unit: string, value: string | number, start: number, end = start, inner = '') => {
  const s = appleDate(start)
  const attrs = `type="${type}" ${source} unit="${unit}" creationDate="${appleDate(end + 5_000)}" startDate="${s}" endDate="${appleDate(end)}" value="${value}"`
  return inner ? ` <Record ${attrs}>\n${inner} </Record>\n` : ` <Record ${attrs}/>\n`
}

/** The elements of one 5-minute slot `i` (from 2015-01-01): a heart rate always, the rest now and then. */
function slot(i: number): string {
  const t = Date.UTC(2015, 0, 1) + i * 300_000
  const q = 'HKQuantityTypeIdentifier'
  let out = rec(`${q}HeartRate`, WATCH, 'count/min', 55 + (i % 50), t, t, '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n')
  out += rec(`${q}ActiveEnergyBurned`, WATCH, 'kcal', ((i % 17) / 10).toFixed(2), t, t + 60_000)
  out += rec(`${q}BasalEnergyBurned`, WATCH, 'kcal', '1.21', t, t + 60_000)
  if (i % 2 === 0) out += rec(`${q}StepCount`, PHONE, 'count', 20 + (i % 300), t, t + 240_000)
  if (i % 2 === 1) out += rec(`${q}DistanceWalkingRunning`, PHONE, 'km', ((i % 40) / 100).toFixed(3), t, t + 240_000)
  if (i % 12 === 0) out += rec(`${q}OxygenSaturation`, WATCH, '%', (0.94 + (i % 5) / 100).toFixed(2), t)
  if (i % 12 === 6) out += rec(`${q}RespiratoryRate`, WATCH, 'count/min', 12 + (i % 6), t)
  if (i % 96 === 0) out += rec('HKCategoryTypeIdentifierSleepAnalysis', WATCH, '', 'HKCategoryValueSleepAnalysisAsleepCore', t, t + 1_800_000).replace(' unit=""', '')
  if (i % 288 === 10) out += rec(`${q}BodyMass`, PHONE, 'kg', (70 + (i % 7) / 10).toFixed(1), t)
  if (i % 288 === 20) out += rec(`${q}BloodGlucose`, PHONE, 'mmol&lt;180.1558800000541&gt;/L', (5 + (i % 9) / 10).toFixed(1), t)
  if (i % 288 === 30) out += rec(`${q}BodyTemperature`, PHONE, 'degC', (36.5 + (i % 5) / 10).toFixed(1), t)
  if (i % 288 === 40) {
    const [sys, dia] = [115 + (i % 20), 72 + (i % 10)]
    out += rec(`${q}BloodPressureSystolic`, PHONE, 'mmHg', sys, t) + rec(`${q}BloodPressureDiastolic`, PHONE, 'mmHg', dia, t)
    out += ` <Correlation type="HKCorrelationTypeIdentifierBloodPressure" ${PHONE} creationDate="${appleDate(t)}" startDate="${appleDate(t)}" endDate="${appleDate(t)}">\n` +
      rec(`${q}BloodPressureSystolic`, PHONE, 'mmHg', sys, t).replace(' <', '  <') + rec(`${q}BloodPressureDiastolic`, PHONE, 'mmHg', dia, t).replace(' <', '  <') + ' </Correlation>\n'
  }
  if (i % 288 === 200) {
    out += ` <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" ${WATCH} creationDate="${appleDate(t + 1_800_000)}" startDate="${appleDate(t)}" endDate="${appleDate(t + 1_800_000)}">\n` +
      `  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="${appleDate(t + 600_000)}" duration="10" durationUnit="min"/>\n` +
      `  <WorkoutStatistics type="${q}HeartRate" startDate="${appleDate(t)}" endDate="${appleDate(t + 1_800_000)}" average="142" minimum="120" maximum="171" unit="count/min"/>\n </Workout>\n`
  }
  if (i % 288 === 287) out += ` <ActivitySummary dateComponents="${appleDate(t).slice(0, 10)}" activeEnergyBurned="512" activeEnergyBurnedGoal="500" activeEnergyBurnedUnit="kcal" appleExerciseTime="34" appleStandHours="11"/>\n`
  return out
}

/** Writes `text` respecting back-pressure. */
async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
}

/**
 * Stream-generates an export.xml of at least `bytes` into `file` (about 1 MiB held at a time).
 * Returns the exact size written and how many 5-minute slots it holds.
 */
export async function generateAppleExport(file: string, bytes: number): Promise<{ bytes: number; slots: number }> {
  const out = createWriteStream(file)
  let size = 0
  let i = 0
  await write(out, HEAD)
  size += Buffer.byteLength(HEAD)
  while (size < bytes) {
    let chunk = ''
    while (chunk.length < 1_000_000) chunk += slot(i++)
    await write(out, chunk)
    size += Buffer.byteLength(chunk)
  }
  out.end('</HealthData>\n')
  await once(out, 'finish')
  return { bytes: (await stat(file)).size, slots: i }
}

/** POSTs the file streamed, with its exact Content-Length; resolves with the answer. */
function postFile(url: URL, headers: Record<string, string>, file: string, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(size) } }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    pipeline(createReadStream(file), req).catch(() => undefined)
  })
}

/**
 * Generates an export.xml of `sizeMb` MiB in a temporary directory, imports it into the
 * patient's locker (`POST /patients/me/import`, application/xml) and returns the wall time
 * (first byte sent → end of the answer), the throughput, the counts and the server's RSS
 * growth. The file is removed afterwards, whatever happens.
 */
export async function runAppleHealthImport(server: BenchServer, patient: BenchPatient, sizeMb: number): Promise<AppleImportResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'carelocker-bench-apple-'))
  try {
    const file = path.join(dir, 'export.xml')
    const generated = await generateAppleExport(file, sizeMb * MIB)
    const headers = { ...(await authHeaders(server.baseUrl, patient)), 'content-type': 'application/xml' }
    const url = new URL(`${server.baseUrl}/api/v1/patients/me/import`)
    const { value, memory } = await withServerMemory(server, async () => {
      const t0 = performance.now()
      const answer = await postFile(url, headers, file, generated.bytes)
      return { answer, seconds: (performance.now() - t0) / 1000 }
    })
    const ok = value.answer.status === 200
    if (!ok) console.error(`Apple Health import → ${value.answer.status}: ${value.answer.body.slice(0, 300)}`)
    const body = ok ? (JSON.parse(value.answer.body) as { imported: Record<string, number>; skipped: { count: number }[] }) : undefined
    return {
      kind: 'apple-import',
      name: `import Apple Health export.xml (${sizeMb} MB)`,
      bytes: generated.bytes,
      seconds: Math.round(value.seconds * 10) / 10,
      mbPerSec: Math.round((generated.bytes / MIB / value.seconds) * 10) / 10,
      status: value.answer.status,
      imported: body?.imported,
      skipped: body?.skipped.reduce((n, s) => n + s.count, 0),
      serverMemory: memory,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
