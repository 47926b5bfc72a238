/**
 * A streamed walk over an Apple Health `export.xml` (SPEC §9, §7: memory flat on a gigabyte
 * file): saxes reads the text chunk by chunk, never building a DOM; each element is mapped as
 * it closes and only the current batch of vitals is held. The DOCTYPE with its internal subset
 * is read past; saxes expands only the predefined and character entities, so an entity the
 * subset declares is an "undefined entity" error (no billion laughs).
 */
import type { Readable } from 'node:stream'
import { SaxesParser, type SaxesTagPlain } from 'saxes'
import { AppError, ValidationError } from '../../../app/errors.js'
import type { SkippedResources } from '../fhir-bundle.js'
import type { ImportedVitalInput } from '../../vitals/vitals.service.js'
import {
  APPLE_SKIP_REASON,
  BP_CORRELATION,
  mapAppleMe,
  mapAppleRecord,
  mapBloodPressure,
  type AppleDemographics,
  type AppleOutcome,
  type AppleRecord,
} from './apple-health-records.js'

/** What the walk hands over, awaited before it reads on (so a slow database slows the reading, not the memory). */
export interface AppleExportSink {
  /** The `Me` element, once, before any batch that follows it in the file. */
  me(demographics: AppleDemographics): Promise<void>
  /** A batch of at most `batchSize` vitals (one more chunk's worth at most), in file order. */
  vitals(batch: ImportedVitalInput[]): Promise<void>
}

/**
 * Characters read with no tag opening or closing (a text node, comment or DOCTYPE that saxes
 * keeps whole): 16 Mi. Apple's elements are a few hundred bytes; beyond this, a 400 instead of
 * memory growing with the file.
 */
export const MAX_CHARS_WITHOUT_TAG = 16 * 1024 * 1024

/** How many distinct skipped types are named; the rest are counted under `other`. */
const MAX_SKIPPED_GROUPS = 200

/** Groups skipped elements by type and reason, with a bounded number of groups (the types come from the file). */
class SkippedTally {
  private readonly groups = new Map<string, SkippedResources>()

  add(resourceType: string, reason: string): void {
    const type = this.groups.size < MAX_SKIPPED_GROUPS || this.groups.has(`${resourceType}\n${reason}`) ? resourceType : 'other'
    const key = `${type}\n${reason}`
    const group = this.groups.get(key)
    if (group) group.count += 1
    else this.groups.set(key, { resourceType: type, count: 1, reason })
  }

  list(): SkippedResources[] {
    return [...this.groups.values()]
  }
}

/** The attributes the mappers read (a Record's or a Correlation's). */
const recordOf = (tag: SaxesTagPlain): AppleRecord => {
  const a = tag.attributes
  return { type: a.type ?? '', unit: a.unit, value: a.value, startDate: a.startDate, endDate: a.endDate, sourceName: a.sourceName }
}

/** saxes's `line:column: message` as a 400 naming the place (SPEC §9: a malformed file → 400 naming the first problem). */
function malformed(err: Error): ValidationError {
  const m = /^(?:.*?:)?(\d+):(\d+): (.*)$/s.exec(err.message)
  const where = m ? `line ${m[1]}, column ${m[2]}: ${m[3]}` : err.message
  return new ValidationError(`The Apple Health export.xml is not well-formed XML (${where}).`, [{ path: '/', message: `line ${m?.[1] ?? '?'}, column ${m?.[2] ?? '?'}: ${m?.[3] ?? err.message}` }])
}

/**
 * Walks `input` (the bytes of export.xml) and feeds `sink`: `Me` → `sink.me`, Records and
 * blood-pressure Correlations → vitals in batches of about `batchSize`; everything else
 * (other Records, Workout, ActivitySummary, other Correlations, …: the direct children of
 * `HealthData`) is counted as skipped by type and reason. Standalone systolic/diastolic
 * Records are skipped: Apple writes each reading both alone and inside its correlation, and
 * the correlation is the one kept. Returns the skipped summary.
 *
 * Throws ValidationError (400) for malformed XML (line and column), a root that is not
 * `HealthData`, or more than `maxCharsWithoutTag` characters without a tag (saxes would hold them); a stream error of the source (a damaged zip entry) becomes a 400 too, an
 * AppError from the source (413) passes through.
 */
export async function walkAppleExport(
  input: Readable,
  sink: AppleExportSink,
  { batchSize = 500, maxCharsWithoutTag = MAX_CHARS_WITHOUT_TAG }: { batchSize?: number; maxCharsWithoutTag?: number } = {},
): Promise<SkippedResources[]> {
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true })
  const skipped = new SkippedTally()
  let batch: ImportedVitalInput[] = []
  let me: AppleDemographics | undefined
  let depth = 0
  let correlation: { record: AppleRecord; inner: AppleRecord[] } | undefined
  let sinceTag = 0

  const take = (type: string, outcome: AppleOutcome) => {
    if ('vital' in outcome) batch.push(outcome.vital)
    else skipped.add(type, outcome.skip)
  }
  parser.on('opentag', (tag) => {
    sinceTag = 0
    depth += 1
    if (depth === 1) {
      if (tag.name !== 'HealthData') throw new ValidationError(`This is not an Apple Health export: its root element is <${tag.name}>, not <HealthData>.`)
      return
    }
    if (depth === 3 && correlation && tag.name === 'Record') correlation.inner.push(recordOf(tag))
    if (depth !== 2) return
    switch (tag.name) {
      case 'ExportDate':
        return
      case 'Me':
        me = mapAppleMe(tag.attributes)
        return
      case 'Record': {
        const record = recordOf(tag)
        take(record.type, mapAppleRecord(record))
        return
      }
      case 'Correlation': {
        const record = recordOf(tag)
        if (record.type === BP_CORRELATION) correlation = { record, inner: [] }
        else skipped.add(record.type || 'Correlation', APPLE_SKIP_REASON.notVital)
        return
      }
      default:
        skipped.add(tag.name, APPLE_SKIP_REASON.notVital)
    }
  })
  parser.on('closetag', () => {
    sinceTag = 0
    if (depth === 2 && correlation) {
      take(BP_CORRELATION, mapBloodPressure(correlation.record, correlation.inner))
      correlation = undefined
    }
    depth -= 1
  })

  /** Hands `Me` over first, then the batch when full (or at the end). */
  const drain = async (end: boolean) => {
    if (me) {
      const demographics = me
      me = undefined
      await sink.me(demographics)
    }
    if (batch.length >= batchSize || (end && batch.length > 0)) {
      const full = batch
      batch = []
      await sink.vitals(full)
    }
  }
  const feed = (write: () => void) => {
    try {
      write()
    } catch (err) {
      if (err instanceof AppError) throw err
      throw malformed(err as Error)
    }
  }

  input.setEncoding('utf8')
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<string>
  try {
    for (;;) {
      let next: IteratorResult<string>
      try {
        next = await chunks.next()
      } catch (err) {
        if (err instanceof AppError) throw err
        throw new ValidationError(`The Apple Health export could not be read: ${(err as Error).message}`)
      }
      if (next.done) break
      sinceTag += next.value.length
      feed(() => parser.write(next.value))
      if (sinceTag > maxCharsWithoutTag) {
        throw new ValidationError(`The Apple Health export has a text, comment or DOCTYPE of more than ${maxCharsWithoutTag} characters near line ${parser.line}; an export's elements are far smaller.`)
      }
      await drain(false)
    }
  } finally {
    // A refusal half-way (400, 409, a database error) stops the reading and frees the file.
    input.destroy()
  }
  feed(() => parser.close())
  await drain(true)
  return skipped.list()
}
