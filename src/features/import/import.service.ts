/**
 * Imports into a patient's locker (SPEC §4.4, §9) from a FHIR R4 Bundle, a C-CDA document,
 * an Apple Health export or a SMART Health Link: demographics fill empty profile fields;
 * allergies, conditions, medications, vital signs, lab results and document attachments are
 * taken in with their codes. One transaction: a failure imports nothing.
 * Idempotent: resources already imported (by type and FHIR id) are not counted or added
 * again, so a second import of the same bundle reports all counts 0.
 */
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import type { Deps } from '../../app/deps.js'
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../app/errors.js'
import type { Granted, PatientScope, UserActor } from '../../policy/index.js'
import { withPatientData } from '../../audit/patient-data.js'
import { applyImportedProfile } from '../profile/profile.service.js'
import { withImportedRecords, type AddRecordFromBytes, type RecordWriteGrant } from '../records/records-upload.service.js'
import { addImportedVitals } from '../vitals/vitals.service.js'
import { addImportedLabs } from '../labs/lab-results.js'
import { addSkipped, parseFhirBundle, type ImportPlan, type SkippedResources } from './fhir-bundle.js'
import { findImportedKeys, markImported, tryLockPatientImport } from './import.queries.js'
import { claimPatientImport, claimStreamedImportSlot, importInProgress } from './import-guard.js'
import { checkImportIdentity } from './identity-gate.js'
import type { ImportResult } from './import-result.js'
import { importAppleHealthFile } from './apple-health/apple-health-import.js'
import { checkExportXmlInZip } from './apple-health/apple-health-zip.js'
import { parseCcdaDocument } from './ccda/ccda-document.js'
import { spoolImportBody, type SpooledImport } from './import-upload.js'
import { receiveSmartHealthLink } from './shl/shl-receive.js'

export type { ImportResult } from './import-result.js'

type Key = { resourceType: string; fhirId: string }
const keyString = (k: Key) => `${k.resourceType}/${k.fhirId}`

/** Bookkeeping type names: FHIR resource types (both medication kinds share one). */
const TRACKED = {
  allergies: 'AllergyIntolerance',
  conditions: 'Condition',
  medications: 'Medication',
  vitals: 'Observation',
  labs: 'Observation',
} as const

/** Options of one import run: `confirmIdentity` is `?confirm=identity` (SPEC §4.4). */
export interface ImportOptions {
  confirmIdentity?: boolean
}

/** Where an import's content comes from; the route decides by content type (SPEC §9). */
export type ImportSource =
  | { kind: 'fhir'; bundle: unknown }
  | { kind: 'file'; body: Readable }
  | { kind: 'shl'; request: unknown }

/** The source read after the policy has spoken: a plan to write, or a spooled Apple Health export to stream. */
type Prepared = { plan: ImportPlan } | { appleHealth: SpooledImport }

/**
 * Reads `source` into what the transaction writes: a FHIR bundle or a C-CDA document is
 * parsed whole; an XML or zip body is first spooled to a temporary file and sniffed (C-CDA
 * up to `maxImportBytes`, 413 above; an Apple Health export is streamed later, in the
 * transaction); a SMART Health Link is fetched and decrypted.
 */
async function prepareSource(deps: Deps, source: ImportSource, now: Date): Promise<Prepared> {
  if (source.kind === 'fhir') return { plan: parseFhirBundle(source.bundle, { now }) }
  if (source.kind === 'shl') return { plan: await receiveSmartHealthLink(deps, source.request, { now }) }
  const spooled = await spoolImportBody(source.body, deps.config.maxImportArchiveBytes)
  // An Apple Health export is streamed later, from this copy; anything else is done with it here.
  let keep = false
  try {
    if (spooled.kind === 'apple-health-zip') await checkExportXmlInZip(spooled.path, deps.config.maxImportArchiveBytes)
    if (spooled.kind !== 'ccda') {
      keep = true
      return { appleHealth: spooled }
    }
    if (spooled.sizeBytes > deps.config.maxImportBytes) {
      throw new PayloadTooLargeError(`A C-CDA document may be at most ${Math.round(deps.config.maxImportBytes / 1048576)} MB.`)
    }
    return { plan: parseCcdaDocument(await readFile(spooled.path, 'utf8'), { now }) }
  } finally {
    if (!keep) await spooled.dispose()
  }
}

/**
 * Runs the import of `source` into `pid` (SPEC §4.4, §9). 404/403 per policy (only the
 * patient imports into their own locker) before the source is read; then ValidationError
 * (400) for a malformed source, UnsupportedMediaTypeError (415) for an unknown one,
 * PayloadTooLargeError (413; also a zip whose export.xml is compressed above
 * MAX_EXPORT_XML_RATIO, before the transaction).
 *
 * Concurrency (security review M2): ConflictError 409 `import-in-progress` while another
 * import into the same locker runs (this process: import-guard.ts; any node: an advisory
 * lock in the transaction); 503 `imports-busy` with `Retry-After` when this process already
 * streams MAX_STREAMED_IMPORTS Apple Health exports.
 *
 * Whose record is it? (SPEC §4.4): before anything is taken in, the source's patient is
 * compared with the locker's profile (see identity-check.ts). When they differ and
 * `confirmIdentity` is not set, ConflictError 409 `identity-mismatch` with
 * `differences: [{field, locker, source}]` — and nothing is imported.
 *
 * Audited (SPEC §4.7), in the import's transaction: `import.completed` with resource
 * `{type: 'import', id}` (a fresh id per run), or `{type: 'import-confirmed', id}` when the
 * patient confirmed an import whose identity differed; `import.denied` when the policy
 * refuses someone. A refused mismatch writes nothing, so it leaves no event.
 */
export async function runImport(deps: Deps, actor: UserActor, pid: string, source: ImportSource, options: ImportOptions = {}): Promise<ImportResult> {
  const now = deps.now()
  const confirmIdentity = options.confirmIdentity === true
  const completed = (run: { confirmed: boolean }) => [{ action: 'import.completed', resource: { type: run.confirmed ? 'import-confirmed' : 'import', id: randomUUID() } }] as const
  let spooled: SpooledImport | undefined
  const releases: (() => void)[] = []
  const access = {
    action: 'import.run',
    visibility: 'record.read',
    kind: 'write',
    resource: (patientId: string) => ({ type: 'import', id: patientId }),
    audited: completed,
    // Read once the policy has spoken: someone who may not import gets 404/403, not 400.
    // One import per patient at a time, and few streamed ones per process (security review M2).
    prepare: async (scope: Granted<PatientScope>) => {
      releases.push(claimPatientImport(scope.patientId))
      const prepared = await prepareSource(deps, source, now)
      if ('appleHealth' in prepared) {
        spooled = prepared.appleHealth
        releases.push(claimStreamedImportSlot())
      }
      return prepared
    },
  } as const
  try {
    // The records' blobs are written outside the transaction: withImportedRecords removes them if it rolls back.
    const run = await withImportedRecords(deps, (addRecord) =>
      withPatientData(deps, actor, pid, access, async ({ scope, db: trx, prepared }) => {
        // Another node's import into this locker holds the lock: 409, nothing written.
        if (!(await tryLockPatientImport(trx, scope.patientId))) throw importInProgress()
        return 'plan' in prepared
          ? importPlan({ actor, scope, db: trx }, { plan: prepared.plan, now, confirmIdentity, addRecord })
          : importAppleHealthFile({ actor, scope, db: trx, file: prepared.appleHealth, now, confirmIdentity, maxArchiveBytes: deps.config.maxImportArchiveBytes })
      }),
    )
    return run.result
  } finally {
    for (const release of releases) release()
    await spooled?.dispose()
  }
}

/** `runImport` of a FHIR R4 Bundle (SPEC §4.4). */
export const importBundle = (deps: Deps, actor: UserActor, pid: string, bundle: unknown, options: ImportOptions = {}): Promise<ImportResult> =>
  runImport(deps, actor, pid, { kind: 'fhir', bundle }, options)

/**
 * Takes `plan` into the grant's patient's locker inside the grant's transaction (see
 * `importBundle`); documents go through `addRecord`. `confirmed`: the identity differed and
 * the patient confirmed it.
 */
async function importPlan(
  grant: RecordWriteGrant & { scope: Granted<PatientScope> },
  run: { plan: ImportPlan; now: Date; confirmIdentity: boolean; addRecord: AddRecordFromBytes },
): Promise<{ result: ImportResult; confirmed: boolean }> {
  const { actor, db: trx } = grant
  const patientId = grant.scope.patientId
  const { plan, now } = run
  const tracked = {
    allergies: plan.allergies.map((a) => ({ item: a, key: { resourceType: TRACKED.allergies, fhirId: a.fhirId } })),
    conditions: plan.conditions.map((c) => ({ item: c, key: { resourceType: TRACKED.conditions, fhirId: c.fhirId } })),
    medications: plan.medications.map((m) => ({ item: m, key: { resourceType: TRACKED.medications, fhirId: m.fhirId } })),
    vitals: plan.vitals.map((v) => ({ item: v, key: { resourceType: TRACKED.vitals, fhirId: v.fhirId } })),
    labs: plan.labs.map((l) => ({ item: l, key: { resourceType: TRACKED.labs, fhirId: l.fhirId } })),
    attachments: plan.attachments.map((a) => ({ item: a, key: { resourceType: a.resourceType, fhirId: a.fhirId } })),
  }
  const allKeys = Object.values(tracked).flatMap((list) => list.map((e) => e.key))

  const confirmed = await checkImportIdentity(trx, grant.scope, plan.demographics, run.confirmIdentity)
  const seen = await findImportedKeys(trx, patientId, allKeys)
  const fresh = <T>(list: { item: T; key: Key }[]) => list.filter((e) => !seen.has(keyString(e.key)))
  const allergies = fresh(tracked.allergies)
  const conditions = fresh(tracked.conditions)
  const medications = fresh(tracked.medications)
  const vitals = fresh(tracked.vitals)
  const labs = fresh(tracked.labs)
  const attachments = fresh(tracked.attachments)

  await applyImportedProfile(
    trx,
    patientId,
    {
      demographics: plan.demographics,
      allergies: allergies.map((e) => e.item),
      conditions: conditions.map((e) => e.item),
      medications: medications.map((e) => e.item),
    },
    now,
  )
  await addImportedVitals(trx, patientId, actor.id, vitals.map((e) => ({ ...e.item, sourceRef: e.item.fhirId })), now)
  await addImportedLabs(trx, patientId, actor.id, labs.map((e) => ({ ...e.item, sourceRef: e.item.fhirId })), now)
  const skipped = [...plan.skipped]
  const taken: typeof attachments = []
  for (const entry of attachments) {
    const { item } = entry
    const row = await run.addRecord(grant, {
      category: item.category,
      contentType: item.contentType,
      data: item.data,
      originalFileName: `${item.resourceType}-${item.fhirId}`.slice(0, 255),
      title: item.title,
      recordDate: item.recordDate,
      doctorName: item.doctorName,
      description: item.description,
      sourceRef: `${item.resourceType}/${item.fhirId}`,
    }).catch((err: unknown) => {
      // A document in a format CareLocker does not store is reported, not fatal.
      if (err instanceof UnsupportedMediaTypeError || err instanceof ValidationError) return undefined
      throw err
    })
    if (!row) {
      addSkipped(skipped, { resourceType: item.resourceType, count: 1, reason: 'attachment type not supported' })
      continue
    }
    taken.push(entry)
  }
  await markImported(trx, patientId, [allergies, conditions, medications, vitals, labs, taken].flatMap((l) => l.map((e) => e.key)), now)
  const result = {
    imported: {
      allergies: allergies.length,
      conditions: conditions.length,
      medications: medications.length,
      vitals: vitals.length,
      labs: labs.length,
      records: taken.length,
    },
    skipped,
  }
  return { result, confirmed }
}
