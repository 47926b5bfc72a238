/** The streamed walk over export.xml (SPEC §9, §7): batches, and a bounded text between tags. */
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../app/errors.js'
import type { ImportedVitalInput } from '../../vitals/vitals.service.js'
import { walkAppleExport } from './apple-health-xml.js'

const bytes = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)), { objectMode: false })
const heartRate = (i: number) =>
  `<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="W" unit="count/min" startDate="2024-01-01 00:00:${String(i % 60).padStart(2, '0')} +0000" endDate="2024-01-01 00:00:00 +0000" value="${60 + (i % 30)}"/>`

describe('walkAppleExport', () => {
  it('hands the vitals over in batches, Me first, and counts the rest as skipped', async () => {
    const batches: ImportedVitalInput[][] = []
    const seen: string[] = []
    const records = Array.from({ length: 25 }, (_, i) => heartRate(i))
    const skipped = await walkAppleExport(
      bytes('<HealthData><Me HKCharacteristicTypeIdentifierDateOfBirth="1990-01-02"/>', ...records.map((r) => `${r}\n`), '<Workout/><Workout/></HealthData>'),
      {
        async me(d) {
          seen.push(`me ${d.dateOfBirth}`)
        },
        async vitals(batch) {
          seen.push(`batch ${batch.length}`)
          batches.push(batch)
        },
      },
      { batchSize: 10 },
    )
    expect(seen[0]).toBe('me 1990-01-02')
    expect(batches.flat()).toHaveLength(25)
    expect(batches.every((b) => b.length <= 10)).toBe(true)
    expect(skipped).toEqual([{ resourceType: 'Workout', count: 2, reason: 'not one of the tracked vital signs' }])
  })

  it('refuses a text, comment or DOCTYPE longer than the limit instead of holding it', async () => {
    const sink = { me: async () => undefined, vitals: async () => undefined }
    const long = Array.from({ length: 20 }, () => 'x'.repeat(500))
    for (const input of [
      bytes('<HealthData><Record type="a">', ...long, '</Record></HealthData>'),
      bytes('<HealthData><!--', ...long, '--></HealthData>'),
      bytes('<!DOCTYPE HealthData [<!--', ...long, '-->]><HealthData/>'),
    ]) {
      const err = await walkAppleExport(input, sink, { maxCharsWithoutTag: 4000 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as Error).message).toContain('more than 4000 characters')
    }
    // The same sizes under the limit are fine.
    await expect(walkAppleExport(bytes('<HealthData><!--', ...long, '--></HealthData>'), sink, { maxCharsWithoutTag: 20_000 })).resolves.toEqual([])
  })
})
