/**
 * The pharmacy counter (SPEC §4.9), for verified pharmacists only.
 *
 * - Scan (`qrData`) or look up (reference number + the patient's date of birth): both count a
 *   scan (`scanCount`, `lastScannedAt`), remember that this pharmacist scanned it
 *   (`prescription_scans`), are audited as `prescription.scanned` (a lookup is a scan by
 *   another means) and answer `{prescription, isValid, canDispense, problems, warnings}`.
 * - Validate, dispense and reject are for a pharmacist who scanned or looked up the
 *   prescription in the last hour; for anyone else the prescription does not exist (404).
 *   A pharmacist who scanned it earlier learns of a state that forbids the act (409) first.
 * - Warnings (allergy matches, and the prescriber's override of them) never block, but a
 *   dispense of a prescription with warnings needs `warningsAcknowledged: true` (409
 *   `warnings-not-acknowledged` otherwise); the acknowledged warnings are kept on the
 *   dispensation.
 * - Dispensing is one transaction holding the prescription's row lock (`SELECT … FOR
 *   UPDATE`), with one conditional UPDATE per item that can never push `dispensed_quantity`
 *   past `quantity`; any violation is a 409 and nothing is changed.
 */
import type { Deps } from '../../app/deps.js'
import { AppError, ConflictError, GoneError, NotFoundError, UnprocessableError, ValidationError, type FieldError } from '../../app/errors.js'
import { decodeCursor, InstantIdCursor, splitPage } from '../../db/keyset.js'
import type { PrescriberWarnings, ProfileAllergy } from '../../db/schema.js'
import { authorize, can, grant, type PharmacyScope, type UserActor } from '../../policy/index.js'
import { formatUtc, instantBounds, utcDate } from '../../app/dates.js'
import type { PrescriptionView } from '../prescriptions/prescriptions.schema.js'
import { allergyWarningsOf, findPrescriptionHead, loadPrescriptionView, loadPrescriptionViewForScan, prescriptionStatus } from '../prescriptions/prescriptions.service.js'
import { verifyQrToken } from '../prescriptions/qr-token.js'
import { parseReference } from '../prescriptions/reference-number.js'
import { loadProfile } from '../profile/profile.service.js'
import * as q from './dispensing.queries.js'
import type { CounterWarning, DispenseInput, HistoryInput, HistoryRow, LookupInput, PharmacyCheckView, RejectInput } from './dispensing.schema.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'

/** How long a scan or lookup lets the same pharmacist validate, dispense or reject (SPEC §4.9). */
export const SCAN_WINDOW_MS = 60 * 60 * 1000

const target = (patientId: string, id: string) => ({ patientId, resource: { type: 'prescription', id } })
const notFound = () => new NotFoundError('Prescription not found.')

/**
 * The warnings of a prescription at the counter (SPEC §4.9), `items` in prescription order:
 * `allergy`, one per (medicine, allergy) that matches the patient's recorded allergies now
 * (prescriptions/allergy-check.ts); then `prescriber_override` when the prescriber was
 * warned when issuing and prescribed anyway — naming the medicines, the allergies and the
 * prescriber's reason — so the pharmacist sees it on every scan even if the allergy record
 * has changed since.
 */
export function counterWarnings(
  items: readonly { id: string; medicineName: string }[],
  allergies: readonly ProfileAllergy[],
  prescriberWarnings: PrescriberWarnings | null,
): CounterWarning[] {
  const warnings: CounterWarning[] = allergyWarningsOf(items, allergies).map((w) => ({ code: 'allergy', message: w.message, itemId: items[w.itemIndex]!.id, substance: w.substance }))
  if (prescriberWarnings) {
    const what = prescriberWarnings.warnings.map((w) => `${items[w.itemIndex]?.medicineName ?? 'an item'} despite the recorded allergy to "${w.substance}"`)
    warnings.push({
      code: 'prescriber_override',
      message: `The prescriber was warned and prescribed ${[...new Set(what)].join('; ')}, giving the reason: "${prescriberWarnings.reason}"`,
    })
  }
  return warnings
}

/**
 * The check of SPEC §4.9. Problems block dispensing: `cancelled`, `rejected`,
 * `fully_dispensed`, `expired` (at `now`). Warnings don't (`counterWarnings`), but a dispense
 * must acknowledge them. `isValid` = no problems; `canDispense` = valid and something left
 * to dispense.
 */
export function checkPrescription(view: PrescriptionView, allergies: readonly ProfileAllergy[], now: Date): PharmacyCheckView {
  const r = view.row
  const problems: PharmacyCheckView['problems'] = []
  if (r.status === 'cancelled') problems.push({ code: 'cancelled', message: `Cancelled by the prescriber${r.cancelledAt ? ` on ${formatUtc(r.cancelledAt)}` : ''}.` })
  if (r.status === 'rejected') {
    problems.push({ code: 'rejected', message: `Rejected by a pharmacist${r.rejectedAt ? ` on ${formatUtc(r.rejectedAt)}` : ''}: ${r.rejectionReason ?? ''}` })
  }
  if (r.status === 'dispensed') problems.push({ code: 'fully_dispensed', message: 'Everything on this prescription has already been dispensed.' })
  if (r.status !== 'dispensed' && r.expiresAt.getTime() <= now.getTime()) problems.push({ code: 'expired', message: `This prescription expired on ${formatUtc(r.expiresAt)}.` })
  const warnings = counterWarnings(view.items, allergies, r.prescriberWarnings)
  const isValid = problems.length === 0
  return {
    prescription: view,
    isValid,
    canDispense: isValid && view.items.some((i) => i.dispensedQuantity < i.quantity),
    problems,
    warnings,
    allergies: allergies.map((a) => ({ substance: a.substance, reaction: a.reaction, severity: a.severity })),
  }
}

/** Counts a scan, audits it and returns the check — one transaction. */
async function scanAndCheck(deps: Deps, actor: UserActor, view: PrescriptionView, method: 'qr' | 'reference', now: Date): Promise<PharmacyCheckView> {
  // Reads on the pool (node-cached), then the scan row, the counter and the audit event in one
  // statement (atomic, no transaction): parallel scans of one prescription hold its row only that long.
  const prescriptionId = view.row.id
  const patientId = view.row.patientId
  // Holding the code (or number and date of birth) shows the patient's allergies with it.
  const profile = await loadProfile(deps.db, grant(actor, 'prescription.scan', { prescriptionId, patientId }))
  const scanned = deps.audit.inStatement(deps.db, actor, [{ action: 'prescription.scanned', target: target(patientId, prescriptionId) }])
  const counted = await q.recordScan(scanned, { prescriptionId, pharmacistId: actor.id, method, scannedAt: now })
  if (!counted) throw notFound()
  return checkPrescription({ ...view, row: { ...view.row, scanCount: counted.scanCount, lastScannedAt: counted.lastScannedAt } }, profile.allergies, now)
}

/**
 * `POST /pharmacy/scan {qrData}`. 400 (`invalid-qr-code`) for an altered, forged or
 * superseded code; 404 when its prescription no longer exists; 410 when the prescription has
 * expired (no scan is counted). A cancelled, rejected or dispensed one scans with 200 and
 * its problems.
 */
export async function scanPrescription(deps: Deps, actor: UserActor, qrData: string): Promise<PharmacyCheckView> {
  authorize(actor, 'prescription.scan', null)
  const claims = await verifyQrToken(deps.config, qrData)
  const now = deps.now()
  const view = await loadPrescriptionViewForScan(deps, deps.db, grant(actor, 'prescription.scan', { prescriptionId: claims.prescriptionId }), now)
  if (!view) throw notFound()
  const head = view.row
  if (head.qrNonce !== claims.nonce) {
    throw new ValidationError('This QR code is not the current one of its prescription.', [{ path: '/qrData', message: 'Superseded QR code.' }], 'invalid-qr-code')
  }
  if (head.expiresAt.getTime() <= now.getTime() || claims.expiresAt.getTime() <= now.getTime()) {
    throw new GoneError(`This prescription expired on ${formatUtc(head.expiresAt)}.`, 'prescription-expired')
  }
  return scanAndCheck(deps, actor, view, 'qr', now)
}

/**
 * `POST /pharmacy/lookup {referenceNumber, patientDateOfBirth}` (rate-limited per
 * pharmacist by the route). Case, spaces and hyphens are ignored and Crockford's look-alikes
 * mapped; a malformed number or a failed check symbol is 400; an unknown number and a wrong
 * date of birth are the same 404 (the latter audited for the patient as
 * `prescription.lookup_failed`). Counts a scan like `scanPrescription`; an expired
 * prescription answers 200 with the `expired` problem.
 */
export async function lookupPrescription(deps: Deps, actor: UserActor, input: LookupInput): Promise<PharmacyCheckView> {
  authorize(actor, 'prescription.scan', null)
  const parsed = parseReference(input.referenceNumber)
  if (!parsed.ok) {
    const detail =
      parsed.reason === 'check'
        ? 'The reference number does not check out: a character was probably mistyped.'
        : 'A reference number has 13 characters (XXXX-XXXX-XXXX-C) from 0–9 and A–Z without I, L, O, U.'
    throw new ValidationError(detail, [{ path: '/referenceNumber', message: parsed.reason === 'check' ? 'This number has a typo: check each character against the prescription.' : 'This is not a prescription reference number (XXXX-XXXX-XXXX-C).' }], parsed.reason === 'check' ? 'reference-check-failed' : 'invalid-reference-number')
  }
  const found = await q.findByReferenceCode(deps.db, parsed.code)
  if (!found) throw notFound()
  if (found.dateOfBirth === null || found.dateOfBirth !== input.patientDateOfBirth) {
    await deps.db.transaction().execute((trx) => deps.audit.record(trx, actor, 'prescription.lookup_failed', target(found.patientId, found.id)))
    throw notFound()
  }
  const now = deps.now()
  const view = await loadPrescriptionViewForScan(deps, deps.db, grant(actor, 'prescription.scan', { prescriptionId: found.id }), now)
  if (!view) throw notFound()
  return scanAndCheck(deps, actor, view, 'reference', now)
}

/** What the policy knows of this pharmacist and the prescription: did they scan it, and within the hour? */
async function pharmacyScope(db: Parameters<typeof q.findLatestScan>[0], actor: UserActor, prescriptionId: string, now: Date): Promise<PharmacyScope> {
  const latest = await q.findLatestScan(db, prescriptionId, actor.id)
  return { scannedByActor: latest !== undefined, scannedByActorRecently: latest !== undefined && now.getTime() - latest.getTime() <= SCAN_WINDOW_MS }
}

/**
 * `POST /pharmacy/prescriptions/{id}/validate`: the check again, without counting a scan;
 * 404 unless this pharmacist scanned or looked it up in the last hour. Audited as
 * `prescription.validated`.
 */
export async function validatePrescription(deps: Deps, actor: UserActor, id: string): Promise<PharmacyCheckView> {
  const now = deps.now()
  const head = await findPrescriptionHead(deps.db, id)
  if (!head) throw notFound()
  const allowed = grant(actor, 'prescription.validate', { ...(await pharmacyScope(deps.db, actor, id, now)), prescriptionId: id, patientId: head.patientId })
  return deps.db.transaction().execute(async (trx) => {
    const view = await loadPrescriptionView(deps, trx, allowed, now)
    if (!view) throw notFound()
    const profile = await loadProfile(trx, allowed)
    await deps.audit.record(trx, actor, 'prescription.validated', target(head.patientId, id))
    return checkPrescription(view, profile.allergies, now)
  })
}

/** 409 for a state that forbids dispensing or rejecting, with a problem type per state. */
function assertDispensable(row: { status: string; expiresAt: Date }, now: Date): void {
  switch (prescriptionStatus(row, now)) {
    case 'cancelled':
      throw new ConflictError('This prescription was cancelled by the prescriber.', 'prescription-cancelled')
    case 'rejected':
      throw new ConflictError('This prescription was rejected by a pharmacist.', 'prescription-rejected')
    case 'dispensed':
      throw new ConflictError('Everything on this prescription has already been dispensed.', 'prescription-fully-dispensed')
    case 'expired':
      throw new ConflictError('This prescription has expired and can no longer be dispensed.', 'prescription-expired')
    default:
  }
}

/**
 * `POST /pharmacy/prescriptions/{id}/dispense` (SPEC §4.9): hands out some or all of what
 * remains, per item with a batch number (and optionally the batch's expiry date and a unit
 * price). Returns the prescription, now `partially_dispensed` or `dispensed`.
 *
 * Errors: 400 for an item that is not on this prescription or listed twice; 422 for a batch
 * already past its expiry date; 404 unless this pharmacist scanned or looked it up in the
 * last hour; 409 when its state forbids dispensing, when the prescription has warnings
 * (`counterWarnings`, judged now) and `warningsAcknowledged` is not true
 * (`warnings-not-acknowledged`, with `warnings`), or when a quantity exceeds what remains
 * (`quantity-exceeds-remaining`) — then nothing at all is changed. The acknowledged warnings
 * are stored on the dispensation. Concurrent requests
 * serialize on the row lock, and each item's conditional UPDATE is the guarantee that the
 * total never exceeds the prescription. Audited as `prescription.dispensed`.
 */
export async function dispensePrescription(deps: Deps, actor: UserActor, id: string, input: DispenseInput): Promise<PrescriptionView> {
  const now = deps.now()
  const seen = new Set<string>()
  const duplicates: FieldError[] = []
  input.items.forEach((item, i) => {
    if (seen.has(item.itemId)) duplicates.push({ path: `/items/${i}/itemId`, message: 'This item is listed twice.' })
    seen.add(item.itemId)
  })
  if (duplicates.length > 0) throw new ValidationError('Each item may appear once per dispensation.', duplicates)
  const expiredBatches = input.items.flatMap((item, i) =>
    item.expiryDate !== undefined && item.expiryDate < utcDate(now) ? [{ path: `/items/${i}/expiryDate`, message: 'This batch has expired.' }] : [],
  )
  if (expiredBatches.length > 0) throw new UnprocessableError('A batch past its expiry date cannot be dispensed.', expiredBatches)

  return deps.db.transaction().execute(async (trx) => {
    const row = await q.lockPrescription(trx, id)
    if (!row) throw notFound()
    const scope = await pharmacyScope(trx, actor, id, now)
    if (!can(actor, 'prescription.handle', scope)) throw notFound()
    assertDispensable(row, now)
    const allowed = grant(actor, 'prescription.dispense', { ...scope, prescriptionId: id, patientId: row.patientId })

    const itemRows = await q.findItemsOf(trx, id)
    const items = new Map(itemRows.map((i) => [i.id, i]))
    const unknown = input.items.flatMap((item, i) => (items.has(item.itemId) ? [] : [{ path: `/items/${i}/itemId`, message: 'Not an item of this prescription.' }]))
    if (unknown.length > 0) throw new ValidationError('An item is not on this prescription.', unknown)
    const warnings = counterWarnings(itemRows, (await loadProfile(trx, allowed)).allergies, row.prescriberWarnings)
    if (warnings.length > 0 && input.warningsAcknowledged !== true) {
      throw new AppError(409, 'warnings-not-acknowledged', 'Warnings not acknowledged', 'This prescription has warnings: check them with the patient or the prescriber, then dispense with warningsAcknowledged: true.', {
        extra: { warnings },
      })
    }
    for (const item of input.items) {
      const current = items.get(item.itemId)!
      const remaining = current.quantity - current.dispensedQuantity
      if (item.quantity > remaining) {
        throw new ConflictError(`${current.medicineName}: ${remaining} of ${current.quantity} left to dispense, ${item.quantity} asked.`, 'quantity-exceeds-remaining')
      }
      // The guarantee: never past the prescribed quantity, whatever ran before.
      if (!(await q.addDispensedQuantity(trx, id, item.itemId, item.quantity))) {
        throw new ConflictError(`${current.medicineName}: the quantity exceeds what remains to dispense.`, 'quantity-exceeds-remaining')
      }
    }
    await q.insertDispensation(
      trx,
      {
        prescriptionId: id,
        pharmacistId: actor.id,
        dispensedAt: now,
        notes: input.notes ? input.notes : null,
        acknowledgedWarnings: warnings.length > 0 ? JSON.stringify(warnings.map((w) => ({ code: w.code, message: w.message }))) : null,
      },
      input.items.map((i) => ({ itemId: i.itemId, quantity: i.quantity, batchNumber: i.batchNumber, expiryDate: i.expiryDate ?? null, unitPrice: i.unitPrice ?? null })),
    )
    if (!(await q.settleDispensedStatus(trx, id, now))) throw new ConflictError('The prescription changed state meanwhile.', 'prescription-not-dispensable')
    const view = await loadPrescriptionView(deps, trx, allowed, now)
    await deps.audit.record(trx, actor, 'prescription.dispensed', target(row.patientId, id))
    // SPEC §10: the patient's locker hears of it in-app (`partial`: items remain to dispense).
    const recipients = await lockerRecipients(trx, row.patientId)
    const data = { pharmacistName: actor.name, partial: view?.status !== 'dispensed' }
    await notifyUsers(trx, recipients.map((userId) => ({ userId, type: 'prescription.dispensed', patientId: row.patientId, resource: { type: 'prescription', id }, data })))
    return view as PrescriptionView
  })
}

/**
 * `POST /pharmacy/prescriptions/{id}/reject {reason}`: the pharmacist refuses to dispense (the
 * rest of) it; status `rejected` with `rejection {reason, by, at}`. 404 unless scanned by this
 * pharmacist in the last hour; 409 when cancelled, rejected, dispensed or expired. Audited as
 * `prescription.rejected`.
 */
export async function rejectPrescription(deps: Deps, actor: UserActor, id: string, input: RejectInput): Promise<PrescriptionView> {
  const now = deps.now()
  return deps.db.transaction().execute(async (trx) => {
    const row = await q.lockPrescription(trx, id)
    if (!row) throw notFound()
    const scope = await pharmacyScope(trx, actor, id, now)
    if (!can(actor, 'prescription.handle', scope)) throw notFound()
    assertDispensable(row, now)
    const allowed = grant(actor, 'prescription.reject', { ...scope, prescriptionId: id })
    if (!(await q.rejectIfOpen(trx, id, actor.id, input.reason, now))) throw new ConflictError('The prescription changed state meanwhile.', 'prescription-not-dispensable')
    const view = await loadPrescriptionView(deps, trx, allowed, now)
    await deps.audit.record(trx, actor, 'prescription.rejected', target(row.patientId, id))
    return view as PrescriptionView
  })
}

/**
 * `GET /pharmacy/history?from&to&limit&cursor`: the calling pharmacist's dispensations and
 * rejections, newest first, keyset pages on (at, id). `from`/`to` are dates (whole UTC days)
 * or instants, inclusive. 400 for a bad cursor or `from` after `to`.
 */
export async function pharmacyHistory(deps: Deps, actor: UserActor, query: HistoryInput): Promise<{ items: HistoryRow[]; nextCursor: string | null }> {
  authorize(actor, 'pharmacy.history', { pharmacistId: actor.id })
  const cursor = query.cursor !== undefined ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  const after = cursor && { at: cursor[0], id: cursor[1] }
  const bounds = instantBounds(query.from, query.to)
  const filter = { pharmacistId: actor.id, from: bounds.from, before: bounds.before, after, limit: query.limit + 1 }
  const [dispensations, rejections] = [await q.listDispensationsBy(deps.db, filter), await q.listRejectionsBy(deps.db, filter)]
  const merged: HistoryRow[] = [
    ...dispensations.map((d) => ({ kind: 'dispensation' as const, id: d.id, at: d.at, prescriptionId: d.prescriptionId, prescriptionNumber: d.prescriptionNumber, notes: d.notes })),
    ...rejections.map((r) => ({ kind: 'rejection' as const, id: r.id, at: r.at as Date, prescriptionId: r.prescriptionId, prescriptionNumber: r.prescriptionNumber, reason: r.rejectionReason ?? '' })),
  ].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
  const { page, nextCursor } = splitPage(merged, query.limit, (e) => [e.at.toISOString(), e.id])
  const lines = await q.findDispensationLines(
    deps.db,
    page.filter((p) => p.kind === 'dispensation').map((p) => p.id),
  )
  for (const entry of page) {
    if (entry.kind === 'dispensation') entry.items = lines.filter((l) => l.dispensationId === entry.id).map(({ dispensationId: _d, ...l }) => l)
  }
  return { items: page, nextCursor }
}
