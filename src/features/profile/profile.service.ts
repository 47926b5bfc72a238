/**
 * The patient profile (SPEC §4.2): read by the patient and consenting doctors, replaced
 * whole by the patient, and filled from FHIR imports (SPEC §4.4).
 */
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { NotFoundError, ValidationError, type FieldError } from '../../app/errors.js'
import type { Coding, DB, EmergencyCardChoice, ProfileAllergy, ProfileCondition, ProfileMedication, ProfileRow } from '../../db/schema.js'
import type { Actor, Granted } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import * as q from './profile.queries.js'
import { utcDate } from '../../app/dates.js'
import type { ProfileInput } from './profile.schema.js'
import { DEFAULT_EMERGENCY_CARD } from './emergency-card.js'

type Db = Kysely<DB> | Transaction<DB>

/**
 * The profile of a patient the policy let the caller reach (`patient`: the `ctx.scope` of
 * `withPatientData`, or a `grant`) — another feature's way in: it neither authorizes nor
 * audits, the caller's access did (STYLE §9). See `profileOrDefault`.
 */
export function loadProfile(db: Db, patient: Granted<{ patientId: string }>, forUpdate = false): Promise<ProfileRow> {
  return profileOrDefault(db, patient.patientId, forUpdate)
}

/**
 * The stored profile, or — before the first save — the default one: `fullName` from the
 * registration name, everything else empty (SPEC §4.2). NotFoundError if not a patient.
 */
async function profileOrDefault(db: Db, patientId: string, forUpdate: boolean): Promise<ProfileRow> {
  const row = await q.findProfile(db, patientId, forUpdate)
  if (row) return row
  const account = await q.findPatientAccount(db, patientId)
  if (!account) throw new NotFoundError('No such patient.')
  return {
    patientId,
    fullName: account.name,
    dateOfBirth: null,
    sex: null,
    bloodGroup: null,
    heightCm: null,
    organDonor: null,
    notes: null,
    allergies: [],
    conditions: [],
    medications: [],
    emergencyContacts: [],
    emergencyCard: DEFAULT_EMERGENCY_CARD,
    phone: null,
    updatedAt: account.createdAt,
  }
}

/** The audit resource of a patient's profile (SPEC §4.7). */
const profileResource = (patientId: string) => ({ type: 'profile', id: patientId })

/**
 * Reads a profile; 404 unless the actor is the patient or a consenting doctor. Audited
 * (SPEC §4.7): `profile.viewed` when anyone but the patient reads it, `profile.denied` when
 * the policy refuses someone.
 */
export function getProfile(deps: Deps, actor: Actor, pid: string): Promise<ProfileRow> {
  return withPatientData(
    deps,
    actor,
    pid,
    { action: 'profile.read', kind: 'read', resource: profileResource, audited: 'profile.viewed' },
    ({ scope, db }) => loadProfile(db, scope),
  )
}

/** Ensures every list item has an id: a given one is kept, a missing one is generated. */
const withIds = <T extends { id?: string | undefined }>(items: T[] | undefined): (T & { id: string })[] =>
  (items ?? []).map((item) => ({ ...item, id: item.id ?? randomUUID() }))

/**
 * The emergency-card choice of a PUT (SPEC §4.2): omitted lists are the default (null);
 * duplicates are dropped. Throws ValidationError (400, a path per bad id such as
 * `/emergencyCard/conditionIds/0`) for an id that is not one of the profile's conditions or
 * medications in the same body.
 */
function checkEmergencyCard(card: ProfileInput['emergencyCard'], conditions: { id: string }[], medications: { id: string }[]): EmergencyCardChoice {
  const errors: FieldError[] = []
  const check = (ids: string[] | null | undefined, items: { id: string }[], field: 'conditionIds' | 'medicationIds', what: string) => {
    if (ids === null || ids === undefined) return null
    const known = new Set(items.map((i) => i.id))
    ids.forEach((id, i) => {
      if (!known.has(id)) errors.push({ path: `/emergencyCard/${field}/${i}`, message: `Not one of this profile's ${what}.` })
    })
    return [...new Set(ids)]
  }
  const choice = {
    conditionIds: check(card?.conditionIds, conditions, 'conditionIds', 'conditions'),
    medicationIds: check(card?.medicationIds, medications, 'medicationIds', 'medications'),
  }
  if (errors.length) throw new ValidationError('The emergency card names entries the profile does not have.', errors)
  return choice
}

/**
 * Replaces the whole profile (PUT, SPEC §4.2). Omitted fields become null or empty.
 * Throws ValidationError for a birth date in the future (UTC) or an emergency-card id that
 * is not in the profile, 404/403 per policy.
 * Audited: `profile.updated` in the write's transaction; `profile.denied` when refused.
 */
export function replaceProfile(deps: Deps, actor: Actor, pid: string, input: ProfileInput): Promise<ProfileRow> {
  const now = deps.now()
  // Checked once the policy has spoken: someone who may not write gets 404/403, not 400.
  const prepare = () => {
    if (input.dateOfBirth && input.dateOfBirth > utcDate(now)) {
      throw new ValidationError('The date of birth is in the future.', [{ path: '/dateOfBirth', message: 'Must not be in the future.' }])
    }
    const conditions = withIds(input.conditions)
    const medications = withIds(input.medications)
    return { conditions, medications, emergencyCard: checkEmergencyCard(input.emergencyCard, conditions, medications) }
  }
  const access = { action: 'profile.write', visibility: 'profile.read', kind: 'write', resource: profileResource, audited: 'profile.updated', prepare } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db: trx, prepared }) => {
    await loadProfile(trx, scope, true)
    return q.upsertProfile(trx, {
      patientId: scope.patientId,
      fullName: input.fullName,
      dateOfBirth: input.dateOfBirth ?? null,
      sex: input.sex ?? null,
      bloodGroup: input.bloodGroup ?? null,
      heightCm: input.heightCm ?? null,
      organDonor: input.organDonor ?? null,
      notes: input.notes ?? null,
      allergies: withIds(input.allergies),
      conditions: prepared.conditions,
      medications: prepared.medications,
      emergencyContacts: withIds(input.emergencyContacts),
      emergencyCard: prepared.emergencyCard,
      phone: input.phone ?? null,
      updatedAt: now,
    })
  })
}

/** What a FHIR import contributes to the profile (see the import feature's ImportPlan). */
export interface ImportedProfileData {
  demographics: { fullName?: string | undefined; dateOfBirth?: string | undefined; sex?: ProfileRow['sex'] | undefined; bloodGroup?: ProfileRow['bloodGroup'] | undefined }
  allergies: { recordedAt: string | null; substance: string; reaction?: string | undefined; severity?: ProfileAllergy['severity']; code?: Coding | undefined }[]
  conditions: { recordedAt: string | null; name: string; status: 'active' | 'resolved'; since?: string | undefined; code?: Coding | undefined }[]
  medications: { recordedAt: string | null; name: string; dosage?: string | undefined; frequency?: string | undefined; since?: string | undefined; active: boolean; code?: Coding | undefined }[]
}

/** Identity of a list entry: its code when it has one, else its lower-cased name. */
const entryKey = (code: Coding | undefined, name: string) => (code ? `${code.system}|${code.code}` : `name|${name.toLowerCase()}`)

/** One entry per key, the most recent (by `recordedAt`, then bundle order) winning. */
function latestByKey<T extends { recordedAt: string | null }>(items: T[], keyOf: (t: T) => string): Map<string, T> {
  const out = new Map<string, T>()
  for (const item of items) {
    const key = keyOf(item)
    const seen = out.get(key)
    if (!seen || (item.recordedAt ?? '') >= (seen.recordedAt ?? '')) out.set(key, item)
  }
  return out
}

/** Merges imported entries into an existing list: same key → updated in place (id kept), new key → appended. */
function mergeList<E extends { id: string }>(existing: E[], incoming: Map<string, Omit<E, 'id'>>, keyOfExisting: (e: E) => string): E[] {
  const merged = existing.map((e) => {
    const update = incoming.get(keyOfExisting(e))
    return update ? ({ ...update, id: e.id } as E) : e
  })
  const present = new Set(existing.map(keyOfExisting))
  for (const [key, entry] of incoming) if (!present.has(key)) merged.push({ ...entry, id: randomUUID() } as E)
  return merged
}

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

/**
 * Applies imported data inside the import's transaction (SPEC §4.4): empty demographic
 * fields (name, date of birth, sex, blood group) are filled (never overwritten); allergies, conditions and medications keep one
 * entry per distinct code, the most recent resource winning; medications: active ones.
 */
export async function applyImportedProfile(trx: Transaction<DB>, patientId: string, data: ImportedProfileData, now: Date): Promise<void> {
  const row = await profileOrDefault(trx, patientId, true)
  const d = data.demographics
  const allergies = latestByKey(data.allergies, (a) => entryKey(a.code, a.substance))
  const conditions = latestByKey(data.conditions, (c) => entryKey(c.code, c.name))
  const medications = latestByKey(data.medications.filter((m) => m.active), (m) => entryKey(m.code, m.name))
  await q.upsertProfile(trx, {
    ...row,
    fullName: row.fullName || d.fullName || row.fullName,
    dateOfBirth: row.dateOfBirth ?? d.dateOfBirth ?? null,
    sex: row.sex ?? d.sex ?? null,
    bloodGroup: row.bloodGroup ?? d.bloodGroup ?? null,
    allergies: mergeList<ProfileAllergy>(
      row.allergies,
      new Map([...allergies].map(([k, a]) => [k, defined({ substance: a.substance, reaction: a.reaction, severity: a.severity, code: a.code })])),
      (e) => entryKey(e.code, e.substance),
    ),
    conditions: mergeList<ProfileCondition>(
      row.conditions,
      new Map([...conditions].map(([k, c]) => [k, defined({ name: c.name, status: c.status, since: c.since, code: c.code })])),
      (e) => entryKey(e.code, e.name),
    ),
    medications: mergeList<ProfileMedication>(
      row.medications,
      new Map([...medications].map(([k, m]) => [k, defined({ name: m.name, dosage: m.dosage, frequency: m.frequency, since: m.since, code: m.code })])),
      (e) => entryKey(e.code, e.name),
    ),
    updatedAt: now,
  })
}
