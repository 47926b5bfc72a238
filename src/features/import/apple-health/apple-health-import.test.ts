/**
 * Apple Health import through `POST /patients/{pid}/import` (SPEC §9, §4.4): the fixture
 * export (.xml, .zip as application/zip and application/octet-stream), generated exports
 * (every unit, blood-pressure correlations, a DOCTYPE with an internal subset, malformed XML,
 * zips without export.xml / encrypted / inflating past MAX_IMPORT_ARCHIVE_MB), the identity
 * check, idempotence, and refusals. After every request the import's temporary directory
 * (TMPDIR of this test process) must be empty.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import yazl from 'yazl'
import { registerUser, registerVerified, type TestUser } from '../../../../test/helpers/factories.js'
import { fixturePath } from '../../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../../test/helpers/test-app.js'

const MB = 1024 * 1024
let t: TestApp
let spoolDir = ''
let base = ''

beforeAll(async () => {
  t = await startTestApp({ MAX_IMPORT_ARCHIVE_MB: '1' })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v1`
  // From here on the import spools into a directory of its own (os.tmpdir() reads TMPDIR).
  spoolDir = await mkdtemp(path.join(os.tmpdir(), 'apple-import-spool-'))
  process.env.TMPDIR = spoolDir
})
afterAll(async () => {
  await t?.close()
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true })
})
beforeEach(async () => {
  expect(await readdir(spoolDir)).toEqual([])
})

/** POSTs `body` to the import with `contentType`; asserts the spool directory is empty after the answer. */
async function importFile(u: TestUser, body: Buffer | string, contentType = 'application/xml', opts: { pid?: string; query?: string } = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/patients/${opts.pid ?? 'me'}/import${opts.query ?? ''}`,
    headers: { ...u.headers, 'content-type': contentType },
    payload: body,
  })
  expect(await readdir(spoolDir), 'the temporary copy is removed').toEqual([])
  return res
}

type Vital = { type: string; value?: number; systolic?: number; diastolic?: number; unit: string; measuredAt: string; source: string; flag: string }
async function vitalsOf(u: TestUser): Promise<Vital[]> {
  const items: Vital[] = []
  let cursor: string | null = null
  do {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/vitals?limit=100${cursor ? `&cursor=${cursor}` : ''}`, headers: u.headers })
    expect(res.statusCode, res.body).toBe(200)
    items.push(...(res.json().items as Vital[]))
    cursor = res.json().nextCursor as string | null
  } while (cursor)
  return items
}
const profileOf = async (u: TestUser) => (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: u.headers })).json()

const ZERO = { allergies: 0, conditions: 0, medications: 0, vitals: 0, labs: 0, records: 0 }
const withVitals = (vitals: number) => ({ ...ZERO, vitals })

// ---------------------------------------------------------------------------------------
// Generated exports

/** The head of a real export.xml: declaration, DOCTYPE with an internal subset (abridged from iOS 17), root. */
const HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|VisionPrescription)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
]>
<HealthData locale="en_GB">
 <ExportDate value="2024-06-01 08:10:05 +0200"/>
`
const me = (dob = '1990-05-20', sex = 'HKBiologicalSexFemale', blood = 'HKBloodTypeONegative') =>
  ` <Me HKCharacteristicTypeIdentifierDateOfBirth="${dob}" HKCharacteristicTypeIdentifierBiologicalSex="${sex}" HKCharacteristicTypeIdentifierBloodType="${blood}" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"/>\n`
const record = (type: string, unit: string, value: string | number, start = '2024-03-01 08:00:00 +0100', source = 'Jane’s iPhone') =>
  ` <Record type="HKQuantityTypeIdentifier${type}" sourceName="${source}" sourceVersion="17.4" unit="${unit}" creationDate="${start}" startDate="${start}" endDate="${start}" value="${value}">\n  <MetadataEntry key="HKWasUserEntered" value="1"/>\n </Record>\n`
const bloodPressure = (systolic: number | undefined, diastolic: number | undefined, start: string) =>
  ` <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron" sourceVersion="1" creationDate="${start}" startDate="${start}" endDate="${start}">\n` +
  (systolic === undefined ? '' : `  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" startDate="${start}" endDate="${start}" value="${systolic}"/>\n`) +
  (diastolic === undefined ? '' : `  <Record type="HKQuantityTypeIdentifierBloodPressureDiastolic" sourceName="Omron" unit="mmHg" startDate="${start}" endDate="${start}" value="${diastolic}"/>\n`) +
  ' </Correlation>\n'
const TAIL = '</HealthData>\n'

/** A zip of `entries` (name → text), deflated, written by yazl into memory. */
function zipOf(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name)
  zip.end()
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    zip.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject)
  })
}

/** Sets the "encrypted" bit (general purpose flag bit 0, APPNOTE 4.4.4) of every local and central header. */
function markEncrypted(zip: Buffer): Buffer {
  const out = Buffer.from(zip)
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i)
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6)
    if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8)
  }
  return out
}

const EVERY_UNIT =
  HEAD +
  me() +
  record('HeartRate', 'count/min', 72, '2024-03-01 08:00:00 +0100') +
  record('RespiratoryRate', 'count/min', 16, '2024-03-01 08:01:00 +0100') +
  record('BodyMass', 'kg', 70, '2024-03-01 08:02:00 +0100') +
  record('BodyMass', 'lb', 154.32, '2024-03-01 08:03:00 +0100') +
  record('BodyMass', 'st', 11, '2024-03-01 08:04:00 +0100') +
  record('Height', 'cm', 180, '2024-03-01 08:05:00 +0100') +
  record('Height', 'm', 1.8, '2024-03-01 08:06:00 +0100') +
  record('Height', 'in', 70, '2024-03-01 08:07:00 +0100') +
  record('Height', 'ft', 5.9, '2024-03-01 08:08:00 +0100') +
  record('BloodGlucose', 'mg/dL', 95, '2024-03-01 08:09:00 +0100') +
  record('BloodGlucose', 'mmol&lt;180.1558800000541&gt;/L', 5.5, '2024-03-01 08:10:00 +0100') +
  record('OxygenSaturation', '%', 0.97, '2024-03-01 08:11:00 +0100') +
  record('BodyTemperature', 'degC', 36.8, '2024-03-01 08:12:00 +0100') +
  record('BodyTemperature', 'degF', 98.6, '2024-03-01 08:13:00 +0100') +
  // Apple writes each blood pressure twice: alone, and inside its correlation.
  record('BloodPressureSystolic', 'mmHg', 128, '2024-03-02 07:30:00 +0100', 'Omron') +
  record('BloodPressureDiastolic', 'mmHg', 82, '2024-03-02 07:30:00 +0100', 'Omron') +
  bloodPressure(128, 82, '2024-03-02 07:30:00 +0100') +
  bloodPressure(141, undefined, '2024-03-03 07:30:00 +0100') +
  record('HeartRate', 'count/min', 500, '2024-03-04 08:00:00 +0100') +
  record('HeartRate', 'count/s', 1.2, '2024-03-04 08:01:00 +0100') +
  record('StepCount', 'count', 1200, '2024-03-04 09:00:00 +0100') +
  record('StepCount', 'count', 800, '2024-03-04 10:00:00 +0100') +
  ' <Correlation type="HKCorrelationTypeIdentifierFood" sourceName="App" startDate="2024-03-04 12:00:00 +0100" endDate="2024-03-04 12:00:00 +0100">\n' +
  '  <Record type="HKQuantityTypeIdentifierDietaryEnergyConsumed" sourceName="App" unit="kcal" startDate="2024-03-04 12:00:00 +0100" endDate="2024-03-04 12:00:00 +0100" value="500"/>\n </Correlation>\n' +
  ' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" sourceName="Watch" startDate="2024-03-04 18:00:00 +0100" endDate="2024-03-04 18:30:00 +0100">\n  <WorkoutEvent type="HKWorkoutEventTypeSegment" date="2024-03-04 18:10:00 +0100"/>\n </Workout>\n' +
  ' <ActivitySummary dateComponents="2024-03-04" activeEnergyBurned="400" appleStandHours="10"/>\n' +
  TAIL

describe('Apple Health import (SPEC §9)', () => {
  it('imports the fixture export.xml: heart rates into vitals, Me into the empty profile, the rest skipped by type', async () => {
    const p = await registerUser(t)
    const res = await importFile(p, await readFile(fixturePath('apple-health/apple-health-parser-export.xml')))
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['cache-control']).toContain('no-store')
    expect(res.json().imported).toEqual(withVitals(2))
    expect(res.json().skipped).toEqual(
      expect.arrayContaining([
        { resourceType: 'HKQuantityTypeIdentifierActiveEnergyBurned', count: 2, reason: 'not one of the tracked vital signs' },
        { resourceType: 'HKCategoryTypeIdentifierSleepAnalysis', count: 2, reason: 'not one of the tracked vital signs' },
        { resourceType: 'HKQuantityTypeIdentifierAppleExerciseTime', count: 1, reason: 'not one of the tracked vital signs' },
        { resourceType: 'HKQuantityTypeIdentifierAppleStandTime', count: 1, reason: 'not one of the tracked vital signs' },
      ]),
    )
    expect(res.json().skipped).toHaveLength(4)
    const vitals = await vitalsOf(p)
    expect(vitals.map((v) => [v.type, v.value, v.unit, v.source, new Date(v.measuredAt).toISOString()]).sort()).toEqual([
      ['heart_rate', 74, '/min', 'import', '2023-12-31T23:01:36.000Z'],
      ['heart_rate', 75, '/min', 'import', '2023-12-31T23:01:37.000Z'],
    ])
    expect(await profileOf(p)).toMatchObject({ fullName: 'Test patient', dateOfBirth: '1990-05-20', sex: 'male', bloodGroup: 'A-' })

    // The export's zip, as application/zip and as application/octet-stream: the same readings, nothing added.
    const zip = await readFile(fixturePath('apple-health/apple-health-parser-export.zip'))
    for (const type of ['application/zip', 'application/octet-stream']) {
      const again = await importFile(p, zip, type)
      expect(again.statusCode, again.body).toBe(200)
      expect(again.json().imported).toEqual(ZERO)
      expect(again.json().skipped).toHaveLength(4)
    }
    expect(await vitalsOf(p)).toHaveLength(2)
  })

  it('imports the fixture .zip sent as application/octet-stream into a fresh locker', async () => {
    const p = await registerUser(t)
    const res = await importFile(p, await readFile(fixturePath('apple-health/apple-health-parser-export.zip')), 'application/octet-stream')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(withVitals(2))
  })

  it('converts every Apple unit, takes one blood pressure per correlation, and skips what the catalogue rejects', async () => {
    const p = await registerUser(t)
    const res = await importFile(p, EVERY_UNIT, 'text/xml')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().imported).toEqual(withVitals(15))
    const skipped = res.json().skipped as { resourceType: string; count: number; reason: string }[]
    expect(skipped).toEqual(
      expect.arrayContaining([
        { resourceType: 'HKQuantityTypeIdentifierBloodPressureSystolic', count: 1, reason: 'systolic or diastolic alone: blood pressure is taken from its correlation' },
        { resourceType: 'HKQuantityTypeIdentifierBloodPressureDiastolic', count: 1, reason: 'systolic or diastolic alone: blood pressure is taken from its correlation' },
        { resourceType: 'HKCorrelationTypeIdentifierBloodPressure', count: 1, reason: 'blood-pressure correlation without one systolic and one diastolic value' },
        { resourceType: 'HKQuantityTypeIdentifierHeartRate', count: 1, reason: 'vital sign value outside the plausible range' },
        { resourceType: 'HKQuantityTypeIdentifierHeartRate', count: 1, reason: 'vital sign in a unit that does not fit its type' },
        { resourceType: 'HKQuantityTypeIdentifierStepCount', count: 2, reason: 'not one of the tracked vital signs' },
        { resourceType: 'HKCorrelationTypeIdentifierFood', count: 1, reason: 'not one of the tracked vital signs' },
        { resourceType: 'Workout', count: 1, reason: 'not one of the tracked vital signs' },
        { resourceType: 'ActivitySummary', count: 1, reason: 'not one of the tracked vital signs' },
      ]),
    )
    expect(skipped).toHaveLength(9)
    const byType = (type: string) => (vitals as Vital[]).filter((v) => v.type === type).sort((a, b) => a.measuredAt.localeCompare(b.measuredAt))
    const vitals = await vitalsOf(p)
    expect(byType('heart_rate').map((v) => [v.value, v.unit])).toEqual([[72, '/min']])
    expect(byType('respiratory_rate').map((v) => [v.value, v.unit])).toEqual([[16, '/min']])
    expect(byType('body_weight').map((v) => [v.value, v.unit])).toEqual([[70, 'kg'], [70, 'kg'], [69.85, 'kg']])
    expect(byType('body_height').map((v) => [v.value, v.unit])).toEqual([[180, 'cm'], [180, 'cm'], [177.8, 'cm'], [179.83, 'cm']])
    expect(byType('blood_glucose').map((v) => [v.value, v.unit])).toEqual([[95, 'mg/dL'], [99.09, 'mg/dL']])
    expect(byType('oxygen_saturation').map((v) => [v.value, v.unit, v.flag])).toEqual([[97, '%', 'normal']])
    expect(byType('body_temperature').map((v) => [v.value, v.unit])).toEqual([[36.8, 'Cel'], [37, 'Cel']])
    expect(byType('blood_pressure').map((v) => [v.systolic, v.diastolic, v.unit, v.flag, new Date(v.measuredAt).toISOString()])).toEqual([
      [128, 82, 'mmHg', 'high', '2024-03-02T06:30:00.000Z'],
    ])
    expect(await profileOf(p)).toMatchObject({ dateOfBirth: '1990-05-20', sex: 'female', bloodGroup: 'O-' })

    // Re-importing (as a zip this time, macOS's resource fork first, the folder one level down) adds nothing.
    const zip = await zipOf({ '__MACOSX/apple_health_export/._export.xml': Buffer.from([0, 5, 22, 7]), 'Exports/apple_health_export/export.xml': EVERY_UNIT })
    const again = await importFile(p, zip, 'application/zip')
    expect(again.statusCode, again.body).toBe(200)
    expect(again.json().imported).toEqual(ZERO)
    expect(await vitalsOf(p)).toHaveLength(15)
  })

  it('fills only empty profile fields and refuses a different date of birth (409) unless confirmed', async () => {
    const p = await registerUser(t, 'patient', { name: 'Jane Doe' })
    const put = await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: { fullName: 'Jane Doe', dateOfBirth: '1985-01-02', bloodGroup: 'B+' } })
    expect(put.statusCode, put.body).toBe(200)
    const file = HEAD + me('1990-05-20', 'HKBiologicalSexFemale', 'HKBloodTypeONegative') + record('HeartRate', 'count/min', 61) + TAIL

    const refused = await importFile(p, file)
    expect(refused.statusCode, refused.body).toBe(409)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.json()).toMatchObject({ type: 'https://carelocker.dev/problems/identity-mismatch', differences: [{ field: 'dateOfBirth', locker: '1985-01-02', source: '1990-05-20' }] })
    expect(await vitalsOf(p)).toEqual([])
    expect(await profileOf(p)).toMatchObject({ dateOfBirth: '1985-01-02', sex: null, bloodGroup: 'B+' })

    const confirmed = await importFile(p, file, 'application/xml', { query: '?confirm=identity' })
    expect(confirmed.statusCode, confirmed.body).toBe(200)
    expect(confirmed.json().imported).toEqual(withVitals(1))
    // Empty fields are filled, the others never overwritten; Apple has no name, so the name never differs.
    expect(await profileOf(p)).toMatchObject({ fullName: 'Jane Doe', dateOfBirth: '1985-01-02', sex: 'female', bloodGroup: 'B+' })
    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'resourceType']).where('actorId', '=', p.id).where('action', '=', 'import.completed').execute()
    expect(events).toEqual([{ action: 'import.completed', resourceType: 'import-confirmed' }])
  })

  it('refuses a different sex (409) and imports when Me agrees or says nothing', async () => {
    const p = await registerUser(t)
    await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: p.headers, payload: { fullName: 'Test patient', dateOfBirth: '1990-05-20', sex: 'male' } })
    const other = await importFile(p, HEAD + me('1990-05-20', 'HKBiologicalSexFemale') + record('HeartRate', 'count/min', 60) + TAIL)
    expect(other.statusCode, other.body).toBe(409)
    expect(other.json().differences).toEqual([{ field: 'sex', locker: 'male', source: 'female' }])
    const notSet = await importFile(p, HEAD + me('', 'HKBiologicalSexNotSet', 'HKBloodTypeNotSet') + record('HeartRate', 'count/min', 60) + TAIL)
    expect(notSet.statusCode, notSet.body).toBe(200)
    expect(notSet.json().imported).toEqual(withVitals(1))
  })

  it('answers 400 naming the line of malformed XML, and imports nothing even after a full batch was written', async () => {
    const p = await registerUser(t)
    // 600 readings (more than one batch of 500), then a broken close tag on a known line.
    let body = HEAD + me()
    for (let i = 0; i < 600; i++) body += ` <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} +0000" endDate="2024-01-01 00:00:00 +0000" value="70"/>\n`
    const line = body.split('\n').length
    body += ' <Record type="HKQuantityTypeIdentifierHeartRate" value="70">\n </Recor>\n' + TAIL
    const res = await importFile(p, body)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().type).toBe('https://carelocker.dev/problems/validation-error')
    expect(res.json().detail).toContain(`line ${line + 1}, column`)
    expect(await vitalsOf(p)).toEqual([])
    expect((await profileOf(p)).dateOfBirth).toBeNull()
  })

  it('does not expand an entity declared in the DOCTYPE (400 undefined entity), nor choke on the subset', async () => {
    const p = await registerUser(t)
    const bomb = HEAD.replace(']>', '<!ENTITY lol "lollollollollol">\n<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">\n]>') + record('HeartRate', 'count/min', '&lol2;') + TAIL
    const res = await importFile(p, bomb)
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().detail).toMatch(/undefined entity/)
    expect(await vitalsOf(p)).toEqual([])
  })

  it('answers 400 for a root that is not HealthData inside a zip, a zip without export.xml, a damaged zip, an encrypted entry', async () => {
    const p = await registerUser(t)
    const notHealth = await importFile(p, await zipOf({ 'apple_health_export/export.xml': '<?xml version="1.0"?><Other/>' }), 'application/zip')
    expect(notHealth.statusCode, notHealth.body).toBe(400)
    expect(notHealth.json().detail).toContain('<Other>')

    // macOS's resource fork of export.xml, the CDA twin and a .DS_Store are not the export.
    const without = await zipOf({
      '__MACOSX/apple_health_export/._export.xml': Buffer.from([0, 5, 22, 7]),
      'apple_health_export/export_cda.xml': '<ClinicalDocument/>',
      'apple_health_export/.DS_Store': Buffer.alloc(16),
    })
    const missing = await importFile(p, without, 'application/zip')
    expect(missing.statusCode, missing.body).toBe(400)
    expect(missing.json().detail).toContain('apple_health_export/export.xml')

    const whole = await zipOf({ 'apple_health_export/export.xml': EVERY_UNIT })
    const damaged = await importFile(p, whole.subarray(0, whole.length - 30), 'application/octet-stream')
    expect(damaged.statusCode, damaged.body).toBe(400)

    const encrypted = await importFile(p, markEncrypted(whole), 'application/zip')
    expect(encrypted.statusCode, encrypted.body).toBe(400)
    expect(encrypted.json().detail).toContain('encrypted')
    expect(await vitalsOf(p)).toEqual([])
  })

  it('answers 413 for an entry inflating past MAX_IMPORT_ARCHIVE_MB (zip bomb) and for a body over it', async () => {
    const p = await registerUser(t)
    const inflated = HEAD + me() + record('HeartRate', 'count/min', 70) + `<!-- ${' '.repeat(2 * MB)} -->` + TAIL
    const bomb = await zipOf({ 'apple_health_export/export.xml': inflated })
    expect(bomb.length).toBeLessThan(64 * 1024)
    const res = await importFile(p, bomb, 'application/zip')
    expect(res.statusCode, res.body).toBe(413)
    expect(res.json().type).toBe('https://carelocker.dev/problems/payload-too-large')

    const big = await importFile(p, inflated, 'application/xml')
    expect(big.statusCode, big.body).toBe(413)
    expect(await vitalsOf(p)).toEqual([])
  })

  it('refuses other people before reading the body: another patient and a doctor without consent get 404, a pharmacist 403', async () => {
    const owner = await registerUser(t)
    const stranger = await registerUser(t)
    const doctor = await registerVerified(t, 'doctor')
    const pharmacist = await registerVerified(t, 'pharmacist')
    // Not even well-formed: a 400 would mean the body was read before the policy spoke.
    const junk = '<HealthData><Record'
    for (const u of [stranger, doctor]) {
      const res = await importFile(u, junk, 'application/xml', { pid: owner.id })
      expect(res.statusCode, res.body).toBe(404)
    }
    const res = await importFile(pharmacist, junk, 'application/xml', { pid: owner.id })
    expect(res.statusCode, res.body).toBe(403)
    expect(await vitalsOf(owner)).toEqual([])
  })

  it('answers 400 for an unknown query parameter and 415 for a body that is no import format', async () => {
    const p = await registerUser(t)
    const unknown = await importFile(p, EVERY_UNIT, 'application/xml', { query: '?confirm=identity&force=1' })
    expect(unknown.statusCode, unknown.body).toBe(400)
    const text = await importFile(p, 'just some text', 'application/octet-stream')
    expect(text.statusCode, text.body).toBe(415)
    const empty = await importFile(p, '', 'application/xml')
    expect(empty.statusCode, empty.body).toBe(415)
  })
})

describe('a refused streamed import does not block the connection (SPEC §9, §4.3)', () => {
  /** Through the real listener with Node's fetch (undici keeps connections alive); a hang fails the 20 s timeout. */
  const call = (u: TestUser, p: string, init: RequestInit = {}) =>
    fetch(`${base}${p}`, { ...init, headers: { ...u.headers, ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(20_000) })

  for (const size of [2 * MB, 6 * MB]) {
    it(`a ${size / MB} MB export refused with 404 (someone else's locker) or 413 is answered, and the next requests work`, async () => {
      const owner = await registerUser(t)
      const stranger = await registerUser(t)
      const body = Buffer.from(HEAD + `<!-- ${' '.repeat(size)} -->` + TAIL)
      const refused = await call(stranger, `/patients/${owner.id}/import`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body })
      expect(refused.status, await refused.text()).toBe(404)
      expect(await readdir(spoolDir)).toEqual([])
      const tooBig = await call(owner, '/patients/me/import', { method: 'POST', headers: { 'content-type': 'application/zip' }, body })
      expect(tooBig.status, await tooBig.text()).toBe(413)
      expect(await readdir(spoolDir)).toEqual([])
      for (let i = 0; i < 3; i++) {
        const next = await call(stranger, '/patients/me/vitals')
        expect(next.status, await next.text()).toBe(200)
      }
    })
  }
})
