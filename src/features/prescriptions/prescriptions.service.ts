/**
 * Prescriptions as doctors and patients use them (SPEC §4.9): a verified doctor with an
 * approved consultation issues one; the patient is emailed the items, the reference number,
 * the expiry and the signed QR code; both read it; the prescriber cancels it while active.
 * The pharmacy counter (scan, look up, validate, dispense, reject) is features/dispensing,
 * which loads prescriptions through `loadPrescriptionView`.
 *
 * Numbers: `prescriptionNumber` = `RX-<UTC date of issue YYYYMMDD>-<serial>`, the serial from
 * the `prescription_number_seq` SEQUENCE (at least 4 digits, no daily cap, never reused);
 * `referenceNumber` = 60 random bits in Crockford base32 with a mod-37 check symbol (see
 * reference-number.ts); `qr.data` = a compact Ed25519 JWS over `{rx, n, exp}` (qr-token.ts).
 */
import { randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import QRCode from 'qrcode'
import type { ResolvedConfig } from '../../app/config.js'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import { AppError, ConflictError, NotFoundError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, splitPage } from '../../db/keyset.js'
import { cacheTags, readThrough } from '../../db/node-cache.js'
import type { DB, PrescriberWarning, PrescriberWarnings, ProfileAllergy } from '../../db/schema.js'
import { authorize, can, type Actor, type Granted, type PartyFilter, type PatientScope, type PrescriptionScope, type UserActor } from '../../policy/index.js'
import { withPatientData, withPatientResource } from '../../audit/patient-data.js'
import { checkEncounterLink } from '../encounters/encounter-link.js'
import { loadProfile } from '../profile/profile.service.js'
import type { EmailContent } from '../notifications/notifications.templates.js'
import { findAllergyConflicts } from './allergy-check.js'
import { prescriptionIssuedEmail } from './prescription-email.js'
import * as q from './prescriptions.queries.js'
import { toPrescriptionDto, type CreatePrescriptionInput, type PrescriptionDto, type PrescriptionJoinedRow, type PrescriptionListInput, type PrescriptionStatusValue, type PrescriptionView } from './prescriptions.schema.js'
import { signQrToken } from './qr-token.js'
import { formatReference, generateReferenceCode } from './reference-number.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'

type Db = Kysely<DB> | Transaction<DB>
const DAY_MS = 86_400_000

/** `RX-YYYYMMDD-NNNN`: the UTC date of issue and the serial, zero-padded to at least 4 digits. */
export function formatPrescriptionNumber(issuedAt: Date, serial: number): string {
  return `RX-${utcDate(issuedAt).replace(/-/g, '')}-${String(serial).padStart(4, '0')}`
}

/**
 * The status a reader sees (SPEC §4.9): the stored one, except that an `active` or
 * `partially_dispensed` prescription reads `expired` from `expiresAt` on.
 */
export function prescriptionStatus(row: { status: string; expiresAt: Date }, now: Date): PrescriptionStatusValue {
  if ((row.status === 'active' || row.status === 'partially_dispensed') && row.expiresAt.getTime() <= now.getTime()) return 'expired'
  return row.status as PrescriptionStatusValue
}

/** The QR string of a prescription, signed with the current key (deterministic per key). */
export function qrDataOf(config: Pick<ResolvedConfig, 'prescriptionSigningKey' | 'prescriptionVerifyKeys'>, row: { id: string; qrNonce: string; expiresAt: Date }): Promise<string> {
  return signQrToken(config, { prescriptionId: row.id, nonce: row.qrNonce, expiresAt: row.expiresAt })
}

/** A QR code of `data`, made locally: PNG (512 px) or SVG, error correction M. */
export async function renderQr(data: string, format: 'png' | 'svg'): Promise<Buffer | string> {
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 }
  return format === 'png' ? QRCode.toBuffer(data, { ...options, type: 'png', width: 512 }) : QRCode.toString(data, { ...options, type: 'svg' })
}

/** Builds the views of already-loaded rows: items, dispensations, status at `now`, QR string. */
export async function viewsOf(deps: Pick<Deps, 'config'>, db: Db, rows: PrescriptionJoinedRow[], now: Date): Promise<PrescriptionView[]> {
  const ids = rows.map((r) => r.id)
  const [items, dispensations] = [await q.findItems(db, ids), await q.findDispensations(db, ids)]
  return Promise.all(
    rows.map(async (row) => ({
      row,
      items: items.filter((i) => i.prescriptionId === row.id),
      dispensations: dispensations.filter((d) => d.prescriptionId === row.id),
      status: prescriptionStatus(row, now),
      qrData: await qrDataOf(deps.config, row),
      url: `${deps.config.publicUrl}/api/v1/prescriptions/${row.id}`,
    })),
  )
}

/** One prescription with everything its DTO shows, or undefined. Does not authorize. */
async function findView(deps: Pick<Deps, 'config'>, db: Db, id: string, now: Date): Promise<PrescriptionView | undefined> {
  return (await viewsOf(deps, db, await q.findJoinedByIds(db, [id]), now))[0]
}

/**
 * One prescription with everything its DTO shows, or undefined, for a caller the policy let
 * reach it (`prescription`: a `grant`, e.g. of `prescription.validate`) — another feature's
 * way in (the pharmacy counter): it neither authorizes nor audits (STYLE §9).
 */
export function loadPrescriptionView(deps: Pick<Deps, 'config'>, db: Db, prescription: Granted<{ prescriptionId: string }>, now: Date): Promise<PrescriptionView | undefined> {
  return findView(deps, db, prescription.prescriptionId, now)
}

/**
 * `loadPrescriptionView` for the pharmacy scan (SPEC §7 reads it on every scan): outside a
 * transaction the view is node-cached (src/db/node-cache.ts) with the tags of what it shows —
 * the prescription with its items and dispensations (migration 0016), the patient's profile
 * and the accounts named in it. Its status is judged at `now` on every call. Its scan counter
 * (`scanCount`, `lastScannedAt`) is not kept fresh: the scan answers the counter its own
 * statement returns, and nothing else may show this view's counter.
 */
export async function loadPrescriptionViewForScan(deps: Pick<Deps, 'config'>, db: Db, prescription: Granted<{ prescriptionId: string }>, now: Date): Promise<PrescriptionView | undefined> {
  const id = prescription.prescriptionId
  const loaded = await readThrough(
    db,
    `prescriptionView:${id}`,
    () => findView(deps, db, id, now),
    (v) => [
      cacheTags.prescription(id),
      cacheTags.profile(v.row.patientId),
      ...new Set([v.row.patientId, v.row.doctorId, ...(v.row.rejectedBy ? [v.row.rejectedBy] : []), ...v.dispensations.map((d) => d.pharmacistId)].map(cacheTags.user)),
    ],
  )
  return loaded && { ...loaded, status: prescriptionStatus(loaded.row, now) }
}

/** Parties, state, reference code and QR nonce of one prescription, or undefined (for features/dispensing). */
export function findPrescriptionHead(db: Db, id: string) {
  return q.findPrescriptionHead(db, id)
}

/** The audit resource of one prescription (SPEC §4.7). */
const prescriptionResource = (id: string) => ({ type: 'prescription', id })

/**
 * The allergy warnings of a prescription's items against the patient's recorded allergies
 * (SPEC §4.9, the rule of allergy-check.ts): one per (item, allergy) that matches, in item
 * order, each naming the medicine and the allergy.
 */
export function allergyWarningsOf(items: readonly { medicineName: string }[], allergies: readonly ProfileAllergy[]): PrescriberWarning[] {
  return findAllergyConflicts(items, allergies).map((c) => ({ code: 'allergy', message: c.message, itemIndex: c.itemIndex, substance: c.substance }))
}

/**
 * 409 `allergy-warning` (SPEC §4.9): the prescription matches a recorded allergy and the
 * prescriber gave no `allergyOverride`; `warnings: [{code, message, itemIndex, substance}]`.
 */
export class AllergyWarningError extends AppError {
  constructor(warnings: PrescriberWarning[]) {
    const detail = `${warnings.map((w) => w.message).join(' ')} To prescribe anyway, send allergyOverride: {reason} (at least 10 characters).`
    super(409, 'allergy-warning', 'Allergy warning', detail, { extra: { warnings } })
  }
}

/**
 * `POST /prescriptions` (SPEC §4.9). The prescriber is `actor`; the patient must have an
 * approved consultation with them right now, else 404 (audited as `prescription.denied`).
 * Each item is checked against the patient's recorded allergies (`allergyWarningsOf`): a
 * match without `allergyOverride` is 409 `allergy-warning` with nothing created (audited as
 * `prescription.allergy_warned`); with it, the warnings and the reason are stored as the
 * prescription's `prescriberWarnings` (audited as `prescription.allergy_overridden`).
 * In one transaction: the serial, the row (reference number redrawn on the astronomically
 * rare collision), the items, the `notify.prescription-issued` job (prescriptions.jobs.ts) and `prescription.created`.
 * The allergies are read in that transaction, so the check sees what the row is written with.
 */
export async function createPrescription(deps: Deps, actor: UserActor, input: CreatePrescriptionInput): Promise<PrescriptionView> {
  const now = deps.now()
  const expiresAt = new Date(now.getTime() + input.validDays * DAY_MS)
  const created = await withPatientData(
    deps,
    actor,
    input.patientId,
    {
      action: 'prescription.create',
      kind: 'write',
      resource: (patientId) => ({ type: 'patient', id: patientId }),
      // A refusal names the patient's allergies to the prescriber: that disclosure is the event.
      audited: (outcome: IssueOutcome, patient) =>
        outcome.issued
          ? [
              { action: 'prescription.created', resource: { type: 'prescription', id: outcome.view.row.id } },
              ...(outcome.overridden ? [{ action: 'prescription.allergy_overridden', resource: { type: 'prescription', id: outcome.view.row.id } } as const] : []),
            ]
          : [{ action: 'prescription.allergy_warned', resource: patient }],
    },
    ({ scope, db: trx }) => issuePrescription(deps, trx, actor, scope, input, now, expiresAt),
  )
  if (created.issued) return created.view
  throw new AllergyWarningError(created.warnings)
}

/** What `issuePrescription` did: nothing but warn, or issue (`overridden`: despite an allergy warning). */
type IssueOutcome = { issued: false; warnings: PrescriberWarning[] } | { issued: true; view: PrescriptionView; overridden: boolean }

/**
 * The write of `createPrescription` in `trx`: nothing when an allergy matches without an
 * override (`issued: false` with the warnings); else the serial, the row, the items and the
 * email job, the in-app notification of the patient's locker (SPEC §10), and the view of what was written.
 */
async function issuePrescription(
  deps: Deps,
  trx: Transaction<DB>,
  actor: UserActor,
  patient: Granted<PatientScope>,
  input: CreatePrescriptionInput,
  now: Date,
  expiresAt: Date,
): Promise<IssueOutcome> {
  const patientId = patient.patientId
  const encounterId = await checkEncounterLink(trx, patient, input.encounterId, actor.id)
  const warnings = allergyWarningsOf(input.items, (await loadProfile(trx, patient)).allergies)
  if (warnings.length > 0 && !input.allergyOverride) return { issued: false, warnings }
  const prescriberWarnings: PrescriberWarnings | null = warnings.length > 0 && input.allergyOverride ? { reason: input.allergyOverride.reason, warnings } : null
  const prescriptionNumber = formatPrescriptionNumber(now, await q.nextPrescriptionSerial(trx))
  let id: string | undefined
  for (let attempt = 0; id === undefined; attempt += 1) {
    if (attempt === 5) throw new Error('Could not draw an unused reference number.')
    id = await q.insertPrescription(trx, {
      prescriptionNumber,
      referenceCode: generateReferenceCode(),
      qrNonce: randomBytes(16).toString('base64url'),
      patientId,
      doctorId: actor.id,
      diagnosis: input.diagnosis,
      notes: input.notes ?? null,
      status: 'active',
      issuedAt: now,
      expiresAt,
      prescriberWarnings: prescriberWarnings && JSON.stringify(prescriberWarnings),
      encounterId,
      updatedAt: now,
    })
  }
  const prescriptionId = id
  await q.insertItems(
    trx,
    input.items.map((item, position) => ({
      prescriptionId,
      position,
      medicineName: item.medicineName,
      dosage: item.dosage,
      frequency: item.frequency,
      quantity: item.quantity,
      durationDays: item.durationDays ?? null,
      instructions: item.instructions ?? null,
    })),
  )
  await deps.jobs.send(trx, 'notify.prescription-issued', { prescriptionId, to: { userId: patientId } })
  // SPEC §10: the patient's locker hears of it in-app too (a dependent's managers among them).
  const recipients = await lockerRecipients(trx, patientId)
  await notifyUsers(trx, recipients.map((userId) => ({ userId, type: 'prescription.issued', patientId, resource: { type: 'prescription', id: prescriptionId }, data: { doctorName: actor.name, prescriptionNumber } })))
  const view = await findView(deps, trx, prescriptionId, now)
  return { issued: true, view: view as PrescriptionView, overridden: prescriberWarnings !== null }
}

/**
 * `GET /prescriptions?status` (SPEC §4.9, §2): a doctor's issued prescriptions or a patient's
 * own, newest first by issue time, keyset pages of `{items, nextCursor}`. `status=expired`
 * and the active states are judged now. 400 for a bad cursor. A doctor's page is audited as
 * one `prescription.listed` event per patient on it (names and birth dates are their data).
 */
export async function listPrescriptions(deps: Deps, actor: UserActor, query: PrescriptionListInput): Promise<{ items: PrescriptionView[]; nextCursor: string | null }> {
  authorize(actor, 'prescription.list', { userId: actor.id })
  const cursor = query.cursor !== undefined ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const before = cursor && { issuedAt: cursor[0], id: cursor[1] }
  const now = deps.now()
  const rows = await q.listJoined(deps.db, {
    ...(actor.role === 'doctor' ? { doctorId: actor.id } : { patientId: actor.id }),
    status: query.status,
    now,
    before,
    limit: query.limit + 1,
  })
  const { page, nextCursor } = splitPage(rows, query.limit, (r) => [r.issuedAt.toISOString(), r.id])
  const items = await viewsOf(deps, deps.db, page, now)
  const patients = [...new Set(page.map((r) => r.patientId))].filter((id) => id !== actor.id)
  if (patients.length > 0) {
    await deps.db.transaction().execute(async (trx) => {
      for (const patientId of patients) await deps.audit.record(trx, actor, 'prescription.listed', { patientId, resource: { type: 'prescription-list', id: patientId } })
    })
  }
  return { items, nextCursor }
}

/**
 * `GET /patients/{pid}/prescriptions?status` (SPEC §10): the prescriptions of one patient's
 * locker, newest first, for the patient and their caregivers of either level (policy
 * `prescription.locker`). 404 for anyone else; 400 for a bad cursor. A caregiver's read is
 * audited as `prescription.listed` (actor kind `caregiver`).
 */
export function listLockerPrescriptions(deps: Deps, actor: Actor, pid: string, query: PrescriptionListInput): Promise<{ items: PrescriptionView[]; nextCursor: string | null }> {
  const prepare = () => (query.cursor !== undefined ? decodeCursor(query.cursor, InstantIdCursor) : undefined)
  const access = {
    action: 'prescription.locker',
    kind: 'read',
    resource: (patientId: string) => ({ type: 'prescription-list', id: patientId }),
    audited: 'prescription.listed',
    prepare,
  } as const
  return withPatientData(deps, actor, pid, access, async ({ scope, db, prepared: cursor }) => {
    const now = deps.now()
    const rows = await q.listJoined(db, { patientId: scope.patientId, status: query.status, now, before: cursor && { issuedAt: cursor[0], id: cursor[1] }, limit: query.limit + 1 })
    const { page, nextCursor } = splitPage(rows, query.limit, (r) => [r.issuedAt.toISOString(), r.id])
    return { items: withQrFor(actor, scope, await viewsOf(deps, db, page, now)), nextCursor }
  })
}

/** `views` with the QR hidden from a reader of the locker `scope` who may not collect the medicine (policy `prescription.qr`, security review M3). */
function withQrFor(actor: Actor, scope: PatientScope, views: PrescriptionView[]): PrescriptionView[] {
  return views.map((v) => ({ ...v, hideQr: !can(actor, 'prescription.qr', { ...scope, doctorId: v.row.doctorId }) }))
}

/** Parties, state, reference code and QR nonce of one prescription. */
type PrescriptionHead = NonNullable<Awaited<ReturnType<typeof q.findPrescriptionHead>>>

/** The parties of prescription `id` for the policy; 404 when it does not exist. */
async function findScope(deps: Deps, id: string) {
  const head = await q.findPrescriptionHead(deps.db, id)
  if (!head) throw new NotFoundError('Prescription not found.')
  return { head, scope: { patientId: head.patientId, doctorId: head.doctorId } satisfies PrescriptionScope }
}

/**
 * The one path of every read of prescription `id` — the JSON and its QR codes alike: its
 * patient or its prescriber, else 404 (audited as `prescription.denied`); `load` runs in the
 * transaction of the `prescription.viewed` event, which the patient's own reads do not write
 * (SPEC §4.7). 404 when `load` finds nothing.
 */
async function readPrescription<T>(
  deps: Deps,
  actor: Actor,
  id: string,
  load: (db: Db, head: PrescriptionHead) => Promise<T | undefined>,
): Promise<T> {
  const { head, scope } = await findScope(deps, id)
  const access = { action: 'prescription.read', scope, kind: 'read', resource: prescriptionResource(id), audited: 'prescription.viewed' } as const
  const result = await withPatientResource(deps, actor, access, ({ db }) => load(db, head))
  if (result === undefined) throw new NotFoundError('Prescription not found.')
  return result
}

/** Reads one prescription: its patient or its prescriber, else 404. Audited as `readPrescription` says. */
export function getPrescription(deps: Deps, actor: Actor, id: string): Promise<PrescriptionView> {
  return readPrescription(deps, actor, id, (db) => findView(deps, db, id, deps.now()))
}

/**
 * `POST /prescriptions/{id}/cancel`: the prescriber, while the prescription is `active`
 * (one conditional UPDATE); 409 in any other state (partly dispensed, expired, …); 404 for
 * anyone who may not read it. Audited as `prescription.cancelled`.
 */
export async function cancelPrescription(deps: Deps, actor: Actor, id: string): Promise<PrescriptionView> {
  const { head, scope } = await findScope(deps, id)
  const now = deps.now()
  const access = { action: 'prescription.cancel', visibility: 'prescription.read', scope, kind: 'write', resource: prescriptionResource(id), audited: 'prescription.cancelled' } as const
  return withPatientResource(deps, actor, access, async ({ db: trx }) => {
    const cancelled = await q.cancelIfActive(trx, id, now)
    if (!cancelled) {
      const status = prescriptionStatus(head, now)
      throw new ConflictError(`Only an active prescription can be cancelled; this one is ${status.replace('_', ' ')}.`, 'prescription-not-active')
    }
    return (await findView(deps, trx, id, now)) as PrescriptionView
  })
}

/**
 * `POST /prescriptions/{id}/email` → 202: queues the prescription email to the patient again
 * (the patient or the prescriber asks). 409 unless it can still be dispensed (active or
 * partly dispensed, not expired). Audited as `prescription.emailed`.
 */
export async function resendPrescriptionEmail(deps: Deps, actor: Actor, id: string): Promise<void> {
  const { head, scope } = await findScope(deps, id)
  const prepare = () => {
    const status = prescriptionStatus(head, deps.now())
    if (status !== 'active' && status !== 'partially_dispensed') {
      throw new ConflictError(`This prescription is ${status.replace('_', ' ')}; there is nothing to send.`, 'prescription-not-active')
    }
  }
  const access = { action: 'prescription.email', visibility: 'prescription.read', scope, kind: 'write', resource: prescriptionResource(id), audited: 'prescription.emailed', prepare } as const
  await withPatientResource(deps, actor, access, async ({ db: trx }) => {
    await deps.jobs.send(trx, 'notify.prescription-issued', { prescriptionId: id, to: { userId: scope.patientId } })
  })
}

/**
 * `GET /prescriptions/{id}/qr.png|qr.svg`: the QR code of `qr.data`, made locally; patient or
 * prescriber. The code is the prescription at the counter, so it is read (and audited)
 * exactly as `getPrescription`.
 */
export async function prescriptionQr(deps: Deps, actor: Actor, id: string, format: 'png' | 'svg'): Promise<Buffer | string> {
  const qrData = await readPrescription(deps, actor, id, async (_db, head) => qrDataOf(deps.config, { id, qrNonce: head.qrNonce, expiresAt: head.expiresAt }))
  return renderQr(qrData, format)
}

/**
 * The `prescription-issued` email (SPEC §4.9, §5) of prescription `prescriptionId` as it is
 * now, for its job (prescriptions.jobs.ts): items with dosage and frequency, the reference
 * number, the expiry and the QR code as an inline PNG (CID). Undefined when the
 * prescription no longer exists.
 */
export async function prescriptionIssuedContent(deps: Deps, prescriptionId: string): Promise<EmailContent | undefined> {
  const view = await findView(deps, deps.db, prescriptionId, deps.now())
  if (!view) return undefined
  const r = view.row
  return prescriptionIssuedEmail({
    name: r.patientFullName || r.patientAccountName,
    prescriptionNumber: r.prescriptionNumber,
    referenceNumber: formatReference(r.referenceCode),
    doctorName: r.doctorName,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    items: view.items,
    qrPng: (await renderQr(view.qrData, 'png')) as Buffer,
  })
}

/**
 * The prescriptions written at visit `encounterId` of the granted patient as `Prescription`s,
 * newest first, narrowed by `readable` (`readablePrescriptions`-like: all, one doctor's, none),
 * with `qr` only for those `actor` may collect (policy `prescription.qr`).
 * For the visit's detail (SPEC §10); neither authorizes nor audits: the caller did.
 */
export async function listEncounterPrescriptions(
  deps: Pick<Deps, 'config' | 'now'>,
  db: Db,
  actor: Actor,
  patient: Granted<PatientScope>,
  encounterId: string,
  readable: PartyFilter,
): Promise<PrescriptionDto[]> {
  if (readable === null) return []
  const now = deps.now()
  const rows = await q.listJoined(db, { patientId: patient.patientId, encounterId, doctorId: readable === 'all' ? undefined : readable.doctorId, now, limit: 100 })
  return withQrFor(actor, patient, await viewsOf(deps, db, rows, now)).map(toPrescriptionDto)
}
