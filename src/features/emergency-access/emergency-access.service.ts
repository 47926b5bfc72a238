/**
 * Emergency access (SPEC §4.6). Each patient has one lifetime link until they rotate it.
 * Its token is derived, not stored: HMAC-SHA256(MASTER_KEY, "carelocker/emergency-token/v1|"
 * ‖ salt) with a random 256-bit salt per rotation, so the patient can see it again, the
 * database alone cannot produce it, and only its SHA-256 is indexed. Whoever presents it
 * acts as an `emergency` actor: the profile basics and the records of the last 6 months.
 * Every access is audited; the patient is emailed and each emergency contact gets an SMS,
 * at most one round per EMERGENCY_ALERT_COOLDOWN_MIN and 3 per 24 h, through the job queue.
 * While the patient's account is disabled the link answers 410.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { Transaction } from 'kysely'
import { subMonths } from 'date-fns'
import QRCode from 'qrcode'
import { utcDate } from '../../app/dates.js'
import type { Deps } from '../../app/deps.js'
import { ConflictError, GoneError, NotFoundError } from '../../app/errors.js'
import { hashToken } from '../../app/opaque-tokens.js'
import type { DB, ProfileRow } from '../../db/schema.js'
import { authorize, grant, type EmergencyActor, type Granted, type PatientScope, type RequestMeta, type UserActor } from '../../policy/index.js'
import { resolvePatientScope } from '../../policy/patient-scope.js'
import { enqueueEmail, enqueueSms } from '../notifications/notifications.service.js'
import { emergencyCardSelection } from '../profile/emergency-card.js'
import { loadProfile } from '../profile/profile.service.js'
import { openRecordContent, type ContentRequest, type RecordContent } from '../records/records-content.service.js'
import { prepareRecordList, readRecordList } from '../records/records.service.js'
import type { RecordDto } from '../records/records.schema.js'
import { withinAlertCooldown } from './alert-cooldown.js'
import * as q from './emergency-access.queries.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'

/** How far back the emergency view shows records (SPEC §4.6). */
export const EMERGENCY_RECORD_MONTHS = 6
const TOKEN_CONTEXT = 'carelocker/emergency-token/v1|'

const deriveToken = (masterKey: Buffer, salt: string) => createHmac('sha256', masterKey).update(TOKEN_CONTEXT + salt).digest('base64url')
const newSalt = () => randomBytes(32).toString('base64url')

export interface EmergencyLink {
  url: string
  token: string
  createdAt: Date
}

/**
 * The live link of `row`, derived again. During a master key rotation (SPEC §11) a link made
 * under a previous key (MASTER_KEY_PREVIOUS) is derived with that key, so the patient keeps
 * seeing the link their printed card holds. Once that key is gone the token cannot be derived
 * (it still opens the view: only its hash is looked up): ConflictError 409
 * `emergency-link-underivable`, asking for a new link.
 */
const linkOf = (deps: Deps, row: { salt: string; tokenHash: string; createdAt: Date }): EmergencyLink => {
  for (const key of [deps.config.masterKey, ...deps.config.previousMasterKeys]) {
    const token = deriveToken(key, row.salt)
    if (hashToken(token) === row.tokenHash) return { url: `${deps.config.publicUrl}/e/${token}`, token, createdAt: row.createdAt }
  }
  throw new ConflictError(
    'Your emergency link was made under an encryption key this server no longer holds, so it cannot be shown again. The printed card still works; make a new link (rotate) to see and print it here.',
    'emergency-link-underivable',
  )
}

async function ownScope(deps: Deps, actor: UserActor) {
  const scope = await resolvePatientScope(deps.db, actor, 'me')
  authorize(actor, 'emergency.manage', scope)
  return scope
}

/** The caller's emergency link, created on first use (SPEC §4.6 `GET /patients/me/emergency`). */
export async function getEmergencyLink(deps: Deps, actor: UserActor): Promise<EmergencyLink> {
  const scope = await ownScope(deps, actor)
  const existing = await q.findEmergencyAccess(deps.db, scope.patientId)
  if (existing) return linkOf(deps, existing)
  const salt = newSalt()
  const row = await q.insertEmergencyAccessIfMissing(deps.db, {
    patientId: scope.patientId,
    tokenHash: hashToken(deriveToken(deps.config.masterKey, salt)),
    salt,
    createdAt: deps.now(),
  })
  return linkOf(deps, row)
}

/** Replaces the link; the old token answers 410 from now on. Audited as `emergency.rotated`. */
export async function rotateEmergencyLink(deps: Deps, actor: UserActor): Promise<EmergencyLink> {
  const scope = await ownScope(deps, actor)
  const salt = newSalt()
  const row = await deps.db.transaction().execute(async (trx) => {
    const updated = await q.rotateEmergencyToken(trx, scope.patientId, { tokenHash: hashToken(deriveToken(deps.config.masterKey, salt)), salt }, deps.now())
    await deps.audit.record(trx, actor, 'emergency.rotated', { patientId: scope.patientId, resource: { type: 'emergency-link', id: scope.patientId } })
    return updated
  })
  return linkOf(deps, row)
}

/** The QR code of the caller's emergency link, made locally (no third-party QR service). */
export async function emergencyQr(deps: Deps, actor: UserActor, format: 'png' | 'svg'): Promise<Buffer | string> {
  const { url } = await getEmergencyLink(deps, actor)
  const options = { errorCorrectionLevel: 'M' as const, margin: 2 }
  return format === 'png' ? QRCode.toBuffer(url, { ...options, type: 'png', width: 512 }) : QRCode.toString(url, { ...options, type: 'svg' })
}

/**
 * 404 for a token never issued, 410 for a rotated one or while the patient's account is
 * disabled (SPEC §4.6). Returns the actor and whether an alert round may be due (false
 * while the last round is inside the cooldown: then the access needs no transaction).
 */
async function openToken(deps: Deps, token: string, meta: RequestMeta): Promise<{ actor: EmergencyActor; alertMayBeDue: boolean }> {
  const tokenHash = hashToken(token)
  const access = await q.findByTokenHash(deps.db, tokenHash)
  if (!access) {
    if (await q.findRotatedTokenHash(deps.db, tokenHash)) throw new GoneError('This emergency link was replaced by the patient.', 'emergency-link-rotated')
    throw new NotFoundError('This emergency link does not exist.')
  }
  if (access.patientStatus === 'disabled') throw new GoneError('This emergency link is not active.', 'emergency-link-inactive')
  const now = deps.now()
  const recordsSince = utcDate(subMonths(new Date(`${utcDate(now)}T00:00:00Z`), EMERGENCY_RECORD_MONTHS))
  return {
    actor: { kind: 'emergency', patientId: access.patientId, recordsSince, meta },
    alertMayBeDue: !withinAlertCooldown(access.lastAlertAt, now, deps.config.emergencyAlertCooldownMinutes),
  }
}

/** The alert logic in its own transaction, when a round may be due (see `openToken`). */
async function alertIfDue(deps: Deps, patient: Granted<PatientScope>, alertMayBeDue: boolean, now: Date): Promise<void> {
  if (alertMayBeDue) await deps.db.transaction().execute((trx) => runAlertLogic(deps, trx, patient, now))
}

/** SPEC §4.6: at most 3 alert rounds per patient per 24 hours. */
export const MAX_ALERT_ROUNDS_PER_DAY = 3
/** SPEC §4.6: one destination number receives at most 10 alert SMS per 24 hours. */
export const MAX_ALERT_SMS_PER_NUMBER_PER_DAY = 10

/**
 * The alert logic of an emergency access (SPEC §4.6), inside `trx`: claims the patient's
 * alert round (one per `EMERGENCY_ALERT_COOLDOWN_MIN`, at most 3 per 24 h) and, when it
 * is granted, enqueues the email to the patient and one SMS per distinct contact number
 * that is under its own 24-hour cap, and raises the in-app notification of the patient's locker.
 * Delivery happens in the job queue; nothing waits for it. Returns whether a round was sent.
 */
async function runAlertLogic(deps: Deps, trx: Transaction<DB>, patient: Granted<PatientScope>, now: Date): Promise<boolean> {
  const patientId = patient.patientId
  const limits = { cooldownMinutes: deps.config.emergencyAlertCooldownMinutes, maxPerDay: MAX_ALERT_ROUNDS_PER_DAY }
  if (!(await q.claimAlertRound(trx, patientId, now, limits))) return false
  const accessedAt = now.toISOString()
  await enqueueEmail(deps, trx, { template: 'emergency-access', to: { userId: patientId }, data: { accessedAt } })
  // SPEC §10: the locker hears of it in-app with each alert round (not every access: the view's
  // hot path writes only its audit event; inside the cooldown the patient was already told).
  const recipients = await lockerRecipients(trx, patientId)
  await notifyUsers(trx, recipients.map((userId) => ({ userId, type: 'emergency.accessed', patientId, resource: { type: 'emergency-link', id: patientId }, data: { accessedAt } })))
  const profile = await loadProfile(trx, patient)
  const destinations = new Map(profile.emergencyContacts.map((c) => [hashToken(c.phone), c.phone]))
  for (const [destinationHash, phone] of [...destinations].sort(([a], [b]) => a.localeCompare(b))) {
    if (!(await q.claimAlertSms(trx, destinationHash, patientId, now, MAX_ALERT_SMS_PER_NUMBER_PER_DAY))) continue
    await enqueueSms(deps, trx, { template: 'emergency-alert', to: phone, data: { patientId, accessedAt } })
  }
  return true
}

export interface EmergencyView {
  /** The profile as the card shows it: conditions and medications narrowed to the emergency card. */
  profile: ProfileRow
  records: RecordDto[]
  /** Base of each record's `contentUrl`. */
  contentBase: string
  generatedAt: Date
}

/**
 * The profile as the emergency card shows it (SPEC §4.6): every allergy; the conditions and
 * medications of the patient's `emergencyCard` choice, or by default the active conditions
 * without findings and social history and every medication.
 */
export function onEmergencyCard(profile: ProfileRow): ProfileRow {
  const shown = emergencyCardSelection(profile, profile.emergencyCard)
  const conditionIds = new Set(shown.conditionIds)
  const medicationIds = new Set(shown.medicationIds)
  return {
    ...profile,
    conditions: profile.conditions.filter((c) => conditionIds.has(c.id)),
    medications: profile.medications.filter((m) => medicationIds.has(m.id)),
  }
}

/**
 * The emergency view (SPEC §4.6): profile basics as the emergency card shows them
 * ({@link onEmergencyCard}) and the records dated within the last 6
 * months (newest first, at most 100). Audited as `emergency.accessed` and always run
 * through the alert logic, whoever asks: the only callers that skip it (link-preview bots,
 * HEAD) must not call this at all, since they get no patient data.
 */
export async function viewEmergency(deps: Deps, token: string, meta: RequestMeta): Promise<EmergencyView> {
  const { actor, alertMayBeDue } = await openToken(deps, token, meta)
  const scope = grant(actor, 'emergency.view', await resolvePatientScope(deps.db, actor, actor.patientId))
  const plan = await prepareRecordList(deps, actor, actor.patientId, { from: actor.recordsSince, limit: 100 })
  const now = deps.now()
  // Reads on the pool, then both events in one INSERT, then the alert logic: no data leaves
  // before all three are done. Inside the cooldown (the common case) that is 4 statements
  // and no transaction, so many people opening one link never wait for each other (SPEC §7).
  const profile = await loadProfile(deps.db, scope)
  const accessed = { action: 'emergency.accessed' as const, target: { patientId: actor.patientId, resource: { type: 'emergency-link', id: actor.patientId } } }
  const { items } = await readRecordList(deps.db, plan, [accessed])
  await alertIfDue(deps, scope, alertMayBeDue, now)
  return { profile: onEmergencyCard(profile), records: items, contentBase: `${deps.config.publicUrl}/api/v1/emergency/${token}/records`, generatedAt: now }
}

/**
 * A record's bytes through the emergency link: audited as `record.downloaded` by the
 * records service, and an emergency access like the view, so it goes through the alert
 * logic (SPEC §4.6) before any byte is released.
 */
export async function openEmergencyContent(deps: Deps, token: string, meta: RequestMeta, recordId: string, req: ContentRequest): Promise<RecordContent> {
  const { actor, alertMayBeDue } = await openToken(deps, token, meta)
  const content = await openRecordContent(deps, actor, actor.patientId, recordId, req)
  try {
    // The link's holder reaches this patient's emergency data: the alert reads its contacts.
    const scope = grant(actor, 'emergency.view', await resolvePatientScope(deps.db, actor, actor.patientId))
    await alertIfDue(deps, scope, alertMayBeDue, deps.now())
  } catch (err) {
    if (content.status !== 304) content.stream.destroy()
    throw err
  }
  return content
}
