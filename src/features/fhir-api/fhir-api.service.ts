/**
 * Use cases of the FHIR R4 API (SPEC §9): reads and searches of one patient's locker through
 * the one policy module and `withPatientData` (STYLE §9), with the /api/v1 actions and audit
 * names of the same data where there are some:
 *
 * | FHIR | policy action | audited (anyone but the patient) |
 * |---|---|---|
 * | Patient, AllergyIntolerance, Condition, MedicationStatement | `profile.read` | `profile.viewed` |
 * | Observation, vital signs | `vitals.read` | `vitals.viewed` |
 * | Observation, lab results (SPEC §4.8b) | `labs.read` | `labs.viewed` |
 * | DocumentReference | `record.list` | `record.listed` |
 * | Binary | `record.read` (the records feature's content reader) | `record.downloaded` |
 * | MedicationRequest, MedicationDispense, `$everything`, `$summary` | `fhir.read` | `fhir.viewed` |
 *
 * An Observation search asks for each part it reads (a `category` or `code` may leave one
 * out) and is audited for each. Prescriptions (MedicationRequest), their dispensations
 * (MedicationDispense) and consultations (Consent, in `$everything`) are then narrowed per row
 * as in /api/v1 (`readablePrescriptions`, `readableConsultations`): a doctor sees only the
 * prescriptions they wrote and their own consultations; the patient sees all.
 * | Appointment (SPEC §10; a doctor: only their own) | `fhir.read` | `appointment.viewed` |
 * | Encounter (none exist yet: always empty) | `fhir.read` | nothing (nothing disclosed) |
 *
 * A refusal is 404 (another patient, a doctor without an approved consultation) and is logged
 * as `<feature>.denied`; roles that can never read (pharmacist, admin) are refused by the route gate (403).
 */
import type * as fhir4 from 'fhir/r4.js'
import type { Deps } from '../../app/deps.js'
import { NotFoundError, ValidationError } from '../../app/errors.js'
import { withPatientData, type PatientAction } from '../../audit/patient-data.js'
import { CursorId, CursorInstant, InstantIdCursor, decodeCursor, splitPage } from '../../db/keyset.js'
import { readableAppointments, readableConsultations, readablePrescriptions, type Actor, type PatientScope } from '../../policy/index.js'
import { openRecordContent, type ContentRequest, type RecordContent } from '../records/records-content.service.js'
import { z } from 'zod'
import { appointmentResource } from './appointments.js'
import { recordDocumentReference } from './documents.js'
import * as q from './fhir-api.queries.js'
import { dispensedItem, prescriptionItemRequest } from './medication-orders.js'
import { labObservation, observationTime, vitalObservation } from './observations.js'
import { everythingBundle, fullUrlOf, ipsSummaryBundle } from './patient-bundles.js'
import { listAllowed, loadProfileResources, type FhirContext } from './patient-resources.js'
import { observationQuery, type BaseSearchInput, type ObservationQuery, type ObservationSearchInput } from './search-params.js'

/** The FHIR base of this server: `$PUBLIC_URL/fhir/R4`. */
export const fhirBase = (deps: Deps): string => `${deps.config.publicUrl}/fhir/R4`
/** The bundles' context for `actor` reading `scope`: what of prescriptions and consultations the policy lets it see. */
const contextOf = (deps: Deps, actor: Actor, scope: PatientScope): FhirContext => ({
  baseUrl: fhirBase(deps),
  now: deps.now(),
  readable: { prescriptions: readablePrescriptions(actor, scope), consultations: readableConsultations(actor, scope) },
})

/** How one kind of read is authorized and audited. */
interface ReadAccess {
  action: PatientAction
  audited: string
  resource: (patientId: string) => { type: string; id: string }
}

const PROFILE: ReadAccess = { action: 'profile.read', audited: 'profile.viewed', resource: (id) => ({ type: 'profile', id }) }
const VITALS: ReadAccess = { action: 'vitals.read', audited: 'vitals.viewed', resource: (id) => ({ type: 'vitals', id }) }
const LABS: ReadAccess = { action: 'labs.read', audited: 'labs.viewed', resource: (id) => ({ type: 'labs', id }) }
const RECORDS: ReadAccess = { action: 'record.list', audited: 'record.listed', resource: (id) => ({ type: 'records', id }) }
const fhirRead = (type: string): ReadAccess => ({ action: 'fhir.read', audited: 'fhir.viewed', resource: (id) => ({ type, id }) })

type ReadDb = Parameters<Parameters<typeof withPatientData>[4]>[0]['db']

/**
 * Runs `fn` on patient `pid`'s data when `access` allows it (see the module's table); `prepare`
 * (parsing a cursor or filters) runs after the policy, so a refused caller gets 404 before any 400.
 */
function read<T, P = undefined>(deps: Deps, actor: Actor, pid: string, access: ReadAccess, fn: (db: ReadDb, patientId: string, prepared: P, scope: PatientScope) => Promise<T>, prepare?: () => P): Promise<T> {
  return readEach(deps, actor, pid, [access], fn, prepare)
}

/**
 * `read` asking the policy for each of `accesses` in turn (the first refused → 404, logged as
 * its `<feature>.denied`) and writing each one's event; `prepare` runs after all of them.
 */
function readEach<T, P = undefined>(deps: Deps, actor: Actor, pid: string, accesses: readonly ReadAccess[], fn: (db: ReadDb, patientId: string, prepared: P, scope: PatientScope) => Promise<T>, prepare?: () => P): Promise<T> {
  const [access, ...rest] = accesses
  if (!access) throw new Error('readEach needs at least one access')
  const audited = access.audited as `${string}.${string}`
  const last = rest.length === 0
  return withPatientData<T, 'read', PatientAction, P | undefined>(deps, actor, pid, { action: access.action, kind: 'read', resource: access.resource, audited, ...(last && prepare ? { prepare } : {}) }, ({ db, scope, prepared }) =>
    last ? fn(db, scope.patientId, prepared as P, scope) : readEach(deps, actor, pid, rest, fn, prepare),
  )
}

/** A searchset page: the resources, the `self` link and, when there is more, a `next` link carrying the cursor. */
function searchset(deps: Deps, type: string, params: Record<string, string | string[] | undefined>, resources: fhir4.FhirResource[], nextCursor: string | null): fhir4.Bundle {
  const base = fhirBase(deps)
  const query = (cursor?: string) => {
    const u = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) for (const one of v === undefined ? [] : Array.isArray(v) ? v : [v]) u.append(k, one)
    if (cursor) u.set('_cursor', cursor)
    return `${base}/${type}?${u.toString()}`
  }
  const link: fhir4.BundleLink[] = [{ relation: 'self', url: query(params._cursor as string | undefined) }]
  if (nextCursor) link.push({ relation: 'next', url: query(nextCursor) })
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: deps.now().toISOString(),
    link,
    entry: resources.map((resource) => ({ fullUrl: fullUrlOf(base, resource), resource, search: { mode: 'match' } })),
  }
}

const baseParams = (s: BaseSearchInput) => ({ patient: `Patient/${s.patient}`, _count: String(s._count), _cursor: s._cursor })

/** `decodeCursor` with the error naming the FHIR parameter, `_cursor` (400 OperationOutcome, never 500). */
function decodeFhirCursor<S extends z.ZodTuple>(raw: string, schema: S): z.output<S> {
  try {
    return decodeCursor(raw, schema)
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err
    throw new ValidationError(err.message, [{ path: '/_cursor', message: 'Not a cursor this search issued; start again from the first page.' }])
  }
}

const afterOf = (cursor: string | undefined) => {
  if (!cursor) return undefined
  const [at, id] = decodeFhirCursor(cursor, InstantIdCursor)
  return { at, id }
}

// ---------------------------------------------------------------------------------------
// Reads

/** `GET /fhir/R4/Patient/{id}`: the Patient. 404 when `id` is not a patient the actor may read. */
export function readPatient(deps: Deps, actor: Actor, id: string): Promise<fhir4.Patient> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError('Patient not found.')
  return read(deps, actor, id, PROFILE, async (db, patientId) => (await loadProfileResources(db, patientId)).patient)
}

/**
 * `GET /fhir/R4/Binary/{id}`: a record's bytes through the records feature's content reader
 * (streamed, ranges and ETag as SPEC §4.3; `record.read`, audited `record.downloaded`).
 * 404 when no live record has this id or the actor may not read it.
 */
export async function readBinary(deps: Deps, actor: Actor, id: string, req: ContentRequest): Promise<RecordContent> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError('Binary not found.')
  const patientId = await q.findRecordPatient(deps.db, id)
  if (!patientId) throw new NotFoundError('Binary not found.')
  return openRecordContent(deps, actor, patientId, id, req)
}

/** `GET /fhir/R4/Patient/{id}/$everything` (see `everythingBundle`), audited `fhir.viewed`. */
export function everything(deps: Deps, actor: Actor, id: string): Promise<fhir4.Bundle> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError('Patient not found.')
  return read(deps, actor, id, fhirRead('fhir-everything'), (db, patientId, _p, scope) => everythingBundle(db, patientId, contextOf(deps, actor, scope)))
}

/** `GET /fhir/R4/Patient/{id}/$summary` (see `ipsSummaryBundle`), audited `fhir.viewed`. */
export function summary(deps: Deps, actor: Actor, id: string): Promise<fhir4.Bundle> {
  if (!z.uuid().safeParse(id).success) throw new NotFoundError('Patient not found.')
  return read(deps, actor, id, fhirRead('fhir-summary'), (db, patientId, _p, scope) => ipsSummaryBundle(db, patientId, contextOf(deps, actor, scope)))
}

// ---------------------------------------------------------------------------------------
// Searches

/** The profile lists searched as FHIR, paged by item id (ascending; the cursor is the last id). */
export type ProfileListType = 'AllergyIntolerance' | 'Condition' | 'MedicationStatement'

const PROFILE_LIST = { AllergyIntolerance: 'allergies', Condition: 'conditions', MedicationStatement: 'medications' } as const
const IdCursor = z.tuple([CursorId])

/** Search of a profile list (`patient`, `_count`, `_cursor`): its items by id. */
export function searchProfileList(deps: Deps, actor: Actor, type: ProfileListType, s: BaseSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => (s._cursor ? decodeFhirCursor(s._cursor, IdCursor)[0] : undefined)
  return read(deps, actor, s.patient, PROFILE, async (db, patientId, after) => {
    const all = (await loadProfileResources(db, patientId))[PROFILE_LIST[type]] as fhir4.FhirResource[]
    const sorted = all.filter((r) => after === undefined || (r.id ?? '') > after).sort((a, b) => ((a.id ?? '') < (b.id ?? '') ? -1 : 1))
    const { page: items, nextCursor: next } = splitPage(sorted, s._count, (r) => [r.id ?? ''])
    return searchset(deps, type, baseParams(s), items, next)
  }, prepare)
}

/**
 * What an Observation search must be allowed, and is audited as: vitals (`vitals.read`) unless
 * its `category`/`code` leave them out, lab results (`labs.read`, SPEC §4.8b) likewise; both
 * when the filters select neither or do not parse (their 400 then comes after the policy).
 */
function observationParts(s: ObservationSearchInput): ReadAccess[] {
  let f: ObservationQuery
  try {
    f = observationQuery(s)
  } catch (err) {
    if (err instanceof ValidationError) return [VITALS, LABS]
    throw err
  }
  const parts = [...(f.vitalTypes?.length === 0 ? [] : [VITALS]), ...(f.labCodes?.length === 0 ? [] : [LABS])]
  return parts.length > 0 ? parts : [VITALS, LABS]
}

/**
 * Observation search: vitals and lab results merged newest first (time, id), filtered by
 * `code`, `category` and `date` (see `observationQuery`); each table read with its
 * (patient, code/type, time DESC, id DESC) index, at most `_count + 1` rows each.
 */
export function searchObservations(deps: Deps, actor: Actor, s: ObservationSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => ({ filter: observationQuery(s), after: afterOf(s._cursor) })
  return readEach(deps, actor, s.patient, observationParts(s), async (db, patientId, { filter, after }) => {
    const params = { ...baseParams(s), code: s.code, date: s.date, category: s.category }
    if (filter.none) return searchset(deps, 'Observation', params, [], null)
    const f: q.ObservationFilter = { patientId, from: filter.from, toExclusive: filter.toExclusive, after, limit: s._count + 1 }
    const [vitals, labs] = await Promise.all([
      filter.vitalTypes?.length === 0 ? [] : q.listVitalRows(db, { ...f, vitalTypes: filter.vitalTypes }),
      filter.labCodes?.length === 0 ? [] : q.listLabRows(db, { ...f, labCodes: filter.labCodes }),
    ])
    const merged = [...vitals.map((v) => ({ row: v, at: v.measuredAt })), ...labs.map((l) => ({ row: l, at: observationTime(l) }))].sort(
      (a, b) => b.at.getTime() - a.at.getTime() || (a.row.id < b.row.id ? 1 : a.row.id > b.row.id ? -1 : 0),
    )
    const { page: rows, nextCursor: next } = splitPage(merged, s._count, (r) => [r.at.toISOString(), r.row.id])
    const resources = rows.map(({ row }) => ('measuredAt' in row ? vitalObservation(patientId, row) : labObservation(patientId, row)))
    return searchset(deps, 'Observation', params, resources, next)
  }, prepare)
}

/** DocumentReference search: live records, newest upload first. */
export function searchDocuments(deps: Deps, actor: Actor, s: BaseSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => afterOf(s._cursor)
  return read(deps, actor, s.patient, RECORDS, async (db, patientId, after) => {
    const rows = await q.listRecordRows(db, patientId, after, s._count + 1)
    const { page: items, nextCursor: next } = splitPage(rows, s._count, (r) => [r.uploadedAt.toISOString(), r.id])
    return searchset(deps, 'DocumentReference', baseParams(s), items.map((r) => recordDocumentReference(patientId, r, fhirBase(deps))), next)
  }, prepare)
}

/** MedicationRequest search: one per prescription item the actor may read (`readablePrescriptions`), newest prescription first. */
export function searchMedicationRequests(deps: Deps, actor: Actor, s: BaseSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => afterOf(s._cursor)
  return read(deps, actor, s.patient, fhirRead('prescriptions'), async (db, patientId, after, scope) => {
    const rows = await listAllowed(readablePrescriptions(actor, scope), (of) => q.listPrescriptionItemRows(db, patientId, after, s._count + 1, of))
    const { page: items, nextCursor: next } = splitPage(rows, s._count, (r) => [r.issuedAt.toISOString(), r.id])
    const now = deps.now()
    return searchset(deps, 'MedicationRequest', baseParams(s), items.map((r) => prescriptionItemRequest(patientId, r, now)), next)
  }, prepare)
}

const DispenseCursor = z.tuple([CursorInstant, CursorId, CursorId])

/** MedicationDispense search: one per item given out of a prescription the actor may read (`readablePrescriptions`), newest dispensation first. */
export function searchMedicationDispenses(deps: Deps, actor: Actor, s: BaseSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => {
    if (!s._cursor) return undefined
    const [at, id, itemId] = decodeFhirCursor(s._cursor, DispenseCursor)
    return { at, id, itemId }
  }
  return read(deps, actor, s.patient, fhirRead('dispensations'), async (db, patientId, after, scope) => {
    const rows = await listAllowed(readablePrescriptions(actor, scope), (of) => q.listDispensedItemRows(db, patientId, after, s._count + 1, of))
    const { page: items, nextCursor: next } = splitPage(rows, s._count, (r) => [r.dispensedAt.toISOString(), r.dispensationId, r.itemId])
    return searchset(deps, 'MedicationDispense', baseParams(s), items.map((r) => dispensedItem(patientId, r)), next)
  }, prepare)
}

/** Appointment search (SPEC §10): the patient's appointments the actor may read (`readableAppointments`: a doctor only their own), latest start first. */
export function searchAppointments(deps: Deps, actor: Actor, s: BaseSearchInput): Promise<fhir4.Bundle> {
  const prepare = () => afterOf(s._cursor)
  const access: ReadAccess = { action: 'fhir.read', audited: 'appointment.viewed', resource: (id) => ({ type: 'appointments', id }) }
  return read(deps, actor, s.patient, access, async (db, patientId, after, scope) => {
    const rows = await listAllowed(readableAppointments(actor, scope), (of) => q.listAppointmentRows(db, patientId, after, s._count + 1, of))
    const { page: items, nextCursor: next } = splitPage(rows, s._count, (r) => [r.startsAt.toISOString(), r.id])
    return searchset(deps, 'Appointment', baseParams(s), items.map((r) => appointmentResource(patientId, r)), next)
  }, prepare)
}

/** Encounter and Appointment search: authorized like the others; none exist yet (issue 16), so always empty and not audited. */
export function searchNothing(deps: Deps, actor: Actor, type: 'Encounter' | 'Appointment', s: BaseSearchInput): Promise<fhir4.Bundle> {
  return withPatientData(deps, actor, s.patient, { action: 'fhir.read', kind: 'read', resource: (id) => ({ type, id }), audited: () => [] }, async () =>
    searchset(deps, type, baseParams(s), [], null),
  )
}
