/**
 * Vital signs (SPEC §4.8): entry by the patient or a consenting doctor, lists with filters and
 * keyset pages, and trends bucketed by the database; plus the vitals a FHIR import takes in
 * (SPEC §4.4), which show up in the same lists and trends.
 *
 * Audit (SPEC §4.7, through `deps.audit`): `vitals.recorded` in the write's transaction,
 * whoever writes; `vitals.viewed` when anyone but the patient lists or trends them;
 * `vitals.denied` when the policy refuses someone other than the patient.
 */
import type { Insertable, Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { ValidationError, type FieldError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { DB, VitalsTable } from '../../db/schema.js'
import { isUser, type Actor, type Granted, type PatientScope } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import { checkEncounterLink } from '../encounters/encounter-link.js'
import { VITAL_CATALOGUE, normalizeVital, type NormalizedVital } from './vital-types.js'
import * as q from './vitals.queries.js'
import type { VitalPoint, VitalView } from './vitals.queries.js'
import { toTrendItem, toVitalDto, type TrendDto, type TrendInput, type VitalBodyInput, type VitalDto, type VitalListInput } from './vitals.schema.js'

export type { VitalPoint } from './vitals.queries.js'

type Db = Kysely<DB> | Transaction<DB>

const MINUTE = 60_000
const DAY = 86_400_000
/** SPEC §4.8: a measurement more than 5 minutes in the future is refused (clock skew allowance). */
export const FUTURE_TOLERANCE_MS = 5 * MINUTE
/** SPEC §4.8: the trends window when `from` is not given. */
export const DEFAULT_TREND_DAYS = 90
const EARLIEST = Date.parse('1900-01-01T00:00:00.000Z')

/** Audit resource: a patient's vitals as a whole (lists, trends, a refused entry); one reading is `{type: 'vital', id}`. */
const vitalsResource = (patientId: string) => ({ type: 'vitals', id: patientId })
/** How lists and trends are reached and audited: `vitals.read`, `vitals.viewed` for anyone but the patient. */
const viewed = { action: 'vitals.read', kind: 'read', resource: vitalsResource, audited: 'vitals.viewed' } as const

const isCalendarDate = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v)
/** Inclusive lower bound of a `from` filter (SPEC §2): a date counts from its start (UTC). */
const lowerBound = (v: string): Date => new Date(isCalendarDate(v) ? `${v}T00:00:00.000Z` : v)
/** Exclusive upper bound of an inclusive `to` filter: a date's next midnight (UTC), or the instant's next millisecond. */
const upperBoundExclusive = (v: string): Date =>
  new Date(isCalendarDate(v) ? Date.parse(`${v}T00:00:00.000Z`) + DAY : Date.parse(v) + 1)

function checkWindow(from: Date | undefined, toExclusive: Date | undefined): void {
  if (from && toExclusive && from.getTime() >= toExclusive.getTime()) {
    throw new ValidationError('`from` is after `to`.', [{ path: '/from', message: 'Must not be after `to`.' }])
  }
}

// ---------------------------------------------------------------------------------------
// Entry

/**
 * `POST /patients/{pid}/vitals` (SPEC §4.8): validates and converts the reading to its
 * canonical unit (`normalizeVital`: mmol/L → mg/dL, lb → kg, in → cm, °F → °C; plausible ranges),
 * flags it, and stores it with `recordedBy` = the actor, `source` "manual". `measuredAt`
 * defaults to now; more than 5 minutes ahead of the server clock, or before 1900, is refused.
 *
 * Errors: ValidationError (400) listing every bad field at once (`/unit`, `/value`,
 * `/systolic`, `/diastolic`, `/context`, `/measuredAt`); NotFoundError (404) when the actor may
 * not see the patient (another patient, a doctor without an approved consultation). Consent is
 * checked again inside the write's transaction, so a consultation ended meanwhile is honoured.
 * `encounterId` (SPEC §10): a visit of this patient, else 404.
 */
export function recordVital(deps: Deps, actor: Actor, pid: string, input: VitalBodyInput): Promise<VitalView> {
  const now = deps.now()
  // Checked once the policy has spoken: someone who may not add vitals gets 404, not 400.
  const prepare = () => {
    if (!isUser(actor)) throw new Error('unreachable: only users may record vitals')
    const errors: FieldError[] = []
    let vital: NormalizedVital | undefined
    try {
      vital = normalizeVital({
        type: input.type,
        value: input.value,
        systolic: input.systolic,
        diastolic: input.diastolic,
        unit: input.unit,
        context: input.context,
      })
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err
      errors.push(...(err.errors ?? []))
    }
    const measuredAt = input.measuredAt ? new Date(input.measuredAt) : now
    if (Number.isNaN(measuredAt.getTime())) {
      errors.push({ path: '/measuredAt', message: 'Not a real instant.' })
    } else if (measuredAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
      errors.push({ path: '/measuredAt', message: 'A measurement cannot be more than 5 minutes in the future.' })
    } else if (measuredAt.getTime() < EARLIEST) {
      errors.push({ path: '/measuredAt', message: 'A measurement is not before 1900-01-01.' })
    }
    if (errors.length > 0 || !vital) throw new ValidationError(`Invalid ${input.type} measurement.`, errors)
    return { v: vital, measuredAt, recordedBy: actor.id }
  }
  const recorded = (view: VitalView) => [{ action: 'vitals.recorded', resource: { type: 'vital', id: view.id } }] as const
  const access = { action: 'vitals.create', kind: 'write', resource: vitalsResource, audited: recorded, prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx, prepared: { v, measuredAt, recordedBy } }) => {
    const encounterId = await checkEncounterLink(trx, scope, input.encounterId)
    const id = await q.insertVital(trx, {
      ...vitalRow(v, { patientId: scope.patientId, measuredAt, recordedBy, source: 'manual', sourceRef: null, note: input.note ? input.note : null, createdAt: now }),
      encounterId,
    })
    const view = await q.findVitalView(trx, scope.patientId, id)
    if (!view) throw new Error('The inserted vital is not visible in its own transaction.')
    return view
  })
}

// ---------------------------------------------------------------------------------------
// Lists and trends

function decodeVitalCursor(cursor: string): { measuredAt: Date; id: string } {
  const [measuredAt, id] = decodeCursor(cursor, InstantIdCursor)
  return { measuredAt, id }
}

/**
 * `GET /patients/{pid}/vitals?type&from&to&limit&cursor` (SPEC §4.8, §2): readings newest first
 * by measuredAt (then id), as `{items, nextCursor}`. `from`/`to` are inclusive (a date covers
 * its whole UTC day). 404 when the caller may not see the patient; 400 for a bad cursor or
 * `from` after `to`. Audited as `vitals.viewed` for anyone but the patient.
 */
export function listVitals(deps: Deps, actor: Actor, pid: string, query: VitalListInput): Promise<{ items: VitalDto[]; nextCursor: string | null }> {
  const prepare = () => {
    const from = query.from ? lowerBound(query.from) : undefined
    const toExclusive = query.to ? upperBoundExclusive(query.to) : undefined
    checkWindow(from, toExclusive)
    return { from, toExclusive, after: query.cursor ? decodeVitalCursor(query.cursor) : undefined }
  }
  return withPatientData(deps, actor, pid, { ...viewed, prepare }, async ({ scope, db, prepared: { from, toExclusive, after } }) => {
    const rows = await q.listVitalViews(db, { patientId: scope.patientId, type: query.type, from, toExclusive, after, limit: query.limit })
    return toPage(rows, query.limit, (r) => [r.measuredAt.toISOString(), r.id], toVitalDto)
  })
}

/**
 * `GET /patients/{pid}/vitals/trends?type&from&to&bucket` (SPEC §4.8): the readings of one type
 * in calendar buckets (day, ISO week starting Monday, month; UTC), computed by the database
 * (`date_trunc` + GROUP BY). Window: `to` (inclusive) defaults to now, `from` (inclusive) to
 * 90 days before the end of the window. Items are the buckets with readings, oldest first:
 * `{bucketStart, count, min, max, mean}`, for blood pressure
 * `{bucketStart, count, systolic: {min, max, mean}, diastolic: {…}}`, in the canonical unit;
 * the first and last bucket may be cut by the window. Audited as `vitals.viewed` for anyone
 * but the patient.
 */
export function getTrends(deps: Deps, actor: Actor, pid: string, query: TrendInput): Promise<TrendDto> {
  const prepare = () => {
    const toExclusive = query.to ? upperBoundExclusive(query.to) : new Date(deps.now().getTime() + 1)
    const from = query.from ? lowerBound(query.from) : new Date(toExclusive.getTime() - DEFAULT_TREND_DAYS * DAY)
    checkWindow(from, toExclusive)
    return { from, toExclusive }
  }
  return withPatientData(deps, actor, pid, { ...viewed, prepare }, async ({ scope, db, prepared: { from, toExclusive } }) => {
    const rows = await q.trendBuckets(db, { patientId: scope.patientId, type: query.type, bucket: query.bucket, from, toExclusive })
    return {
      type: query.type,
      unit: VITAL_CATALOGUE[query.type].unit,
      bucket: query.bucket,
      from: from.toISOString(),
      to: new Date(toExclusive.getTime() - 1).toISOString(),
      items: rows.map((r) => toTrendItem(query.type, r)),
    }
  })
}

/** One type's readings in the summary window: exact least-squares sums (see `windowSums`) and the readings that bound them. */
export interface VitalWindow {
  type: string
  count: number
  first: VitalPoint
  last: VitalPoint
  /** Integer sums as decimal strings: x = seconds since the window start, y (value or systolic) and yd (diastolic) in hundredths. */
  sums: { x: string; y: string; xx: string; xy: string; yd: string | null; xyd: string | null }
}

/**
 * What the health summary reads of the vitals (SPEC §4.8), with the caller's `db`/transaction
 * and no authorization (the summary service authorizes 'summary.read'): the `latestPerType`
 * most recent readings of each type at any date (newest first per type), and for each type
 * with readings since `since`, the window's least-squares sums computed by the database plus
 * its first and last reading. The work does not grow with the patient's history: three
 * round trips of short index scans and one aggregate over the window.
 */
export async function loadVitalsForSummary(db: Db, patientId: string, since: Date, latestPerType: number): Promise<{ latest: VitalPoint[]; windows: VitalWindow[] }> {
  const types = Object.keys(VITAL_CATALOGUE)
  const latest = await q.listLatestPoints(db, patientId, types, latestPerType)
  const windows: VitalWindow[] = []
  const sums = await q.windowSums(db, patientId, types, since)
  const firsts = sums.length > 0 ? await q.listFirstPointsSince(db, patientId, types, since) : []
  for (const row of sums) {
    const first = firsts.find((p) => p.type === row.type)
    const last = latest.find((p) => p.type === row.type)
    if (!first || !last) continue
    windows.push({
      type: row.type,
      count: row.n,
      first,
      last,
      sums: { x: row.sx, y: row.sy, xx: row.sxx, xy: row.sxy, yd: row.syd, xyd: row.sxyd },
    })
  }
  return { latest, windows }
}

// ---------------------------------------------------------------------------------------
// Import (called by the import feature inside its transaction)

/** A normalized vital from an outside source, identified by `sourceRef` (e.g. the FHIR Observation id). */
export type ImportedVitalInput = NormalizedVital & { sourceRef: string; measuredAt: string }

/**
 * Stores imported vitals inside the caller's transaction; one already imported (same
 * patient and `sourceRef`) is left as it is. Returns how many were added.
 */
export function addImportedVitals(trx: Transaction<DB>, patientId: string, recordedBy: string, vitals: ImportedVitalInput[], now: Date): Promise<number> {
  return q.insertVitals(
    trx,
    vitals.map((v) => vitalRow(v, { patientId, measuredAt: v.measuredAt, recordedBy, source: 'import', sourceRef: v.sourceRef, note: null, createdAt: now })),
  )
}

/**
 * A vitals row: the normalized reading's columns (absent parts stored as NULL) and `rest`.
 * One object literal, not a spread: an import builds millions of these (SPEC §7), and spread
 * rows were large objects that V8 promoted by the hundred megabytes on a 1 GB Apple Health export.
 */
function vitalRow(v: NormalizedVital, rest: Pick<Insertable<VitalsTable>, 'patientId' | 'measuredAt' | 'recordedBy' | 'source' | 'sourceRef' | 'note' | 'createdAt'>): Insertable<VitalsTable> {
  return {
    type: v.type,
    loinc: v.loinc,
    value: v.value ?? null,
    systolic: v.systolic ?? null,
    diastolic: v.diastolic ?? null,
    unit: v.unit,
    context: v.context ?? null,
    flag: v.flag,
    patientId: rest.patientId,
    measuredAt: rest.measuredAt,
    recordedBy: rest.recordedBy,
    source: rest.source,
    sourceRef: rest.sourceRef,
    note: rest.note,
    createdAt: rest.createdAt,
  }
}

/**
 * The vitals taken at visit `encounterId` of the granted patient as `Vital`s, oldest first.
 * For the visit's detail (SPEC §10); neither authorizes nor audits: the caller did.
 */
export async function listEncounterVitals(db: Db, patient: Granted<PatientScope>, encounterId: string): Promise<VitalDto[]> {
  return (await q.listEncounterVitalViews(db, patient.patientId, encounterId)).map(toVitalDto)
}
