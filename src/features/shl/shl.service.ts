/**
 * SMART Health Links, the sending side (SPEC §9, HL7 SMART Health Links IG STU1).
 *
 * A patient makes a link of their IPS summary and chosen records. At creation every file is
 * encrypted as a compact JWE under a fresh 32-byte key and stored as a blob; the key goes
 * into the `shlink:/…` payload shown once and is never stored, so the server can serve the
 * files later but never read them again. The manifest URL carries 256 random bits (only its
 * SHA-256 is stored). Recipients POST the manifest with their name (and the passcode of a
 * `P` link); each file gets a location with a fresh random token that works for an hour.
 *
 * Refusals (IG: "no longer valid" → 404): an unknown, expired, revoked or dead link is 404,
 * the problem `type` telling which (`shl-expired`, `shl-revoked`, `shl-dead`, `not-found`).
 * Wrong passcodes count down over the link's whole life, checked under the link's row lock;
 * the last one kills the link.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { addDays, addMinutes } from 'date-fns'
import QRCode from 'qrcode'
import type { Kysely, Transaction } from 'kysely'
import type { Deps } from '../../app/deps.js'
import { AppError, NotFoundError, UnauthorizedError } from '../../app/errors.js'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'
import type { ShlRecipient } from '../../audit/audit.service.js'
import { withPatientData } from '../../audit/patient-data.js'
import { decodeCursor, InstantIdCursor, toPage } from '../../db/keyset.js'
import type { DB, SmartHealthLinkFilesTable } from '../../db/schema.js'
import type { Granted, PatientScope, RequestMeta, UserActor } from '../../policy/index.js'
import { hashPassword, verifyPassword } from '../accounts/passwords.js'
import { ipsSummaryBundle } from '../fhir-api/patient-bundles.js'
import { openRecordContent } from '../records/records-content.service.js'
import { encodeShlink, encryptShlFile, type OutgoingShlPayload } from './shl-payload.js'
import * as q from './shl.queries.js'
import { SHL_LOCATION_MINUTES, SHL_PASSCODE_ATTEMPTS, shlStatus, toShlLinkDto, type CreateShlInput, type ShlLinkDto } from './shl.schema.js'
import { lockerRecipients, notifyUsers } from '../in-app-notifications/notify.js'

/** Path of the manifest and file routes under the API prefix. */
export const SHL_MANIFEST_PATH = '/api/v1/shl'
export const SHL_FILE_PATH = '/api/v1/shl-files'
const FHIR_JSON = 'application/fhir+json'

/** A file encrypted and stored, before its link's row exists. */
type EncryptedFile = Omit<SmartHealthLinkFilesTable, 'id' | 'linkId'>

/** Encrypts `bytes` as a JWE under `key` and stores it as a blob of its own. */
async function storeJwe(deps: Deps, key: Uint8Array, bytes: Uint8Array, contentType: string, position: number, recordId: string | null): Promise<EncryptedFile> {
  const jwe = await encryptShlFile(key, bytes, contentType)
  const blobKey = `shl-${randomUUID()}`
  const stored = await deps.blobs.write(blobKey, Readable.from([Buffer.from(jwe, 'ascii')]))
  return { position, contentType, recordId, blobKey, wrappedKey: stored.wrappedKey, sizeBytes: stored.sizeBytes }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * The link's files, encrypted and stored: the summary first (an IPS document Bundle), then
 * each record's bytes with its content type, read through the records feature (404 when a
 * record is absent, deleted or another patient's). On failure the blobs stored so far are removed.
 */
async function encryptFiles(deps: Deps, actor: UserActor, scope: Granted<PatientScope>, input: CreateShlInput, key: Uint8Array, now: Date): Promise<EncryptedFile[]> {
  const files: EncryptedFile[] = []
  try {
    if (input.include.summary) {
      // The scope is the policy's grant (`shl.create`, the patient's own data): ipsSummaryBundle does not authorize.
      const bundle = await ipsSummaryBundle(deps.db, scope.patientId, { baseUrl: `${deps.config.publicUrl}/fhir/R4`, now })
      files.push(await storeJwe(deps, key, Buffer.from(JSON.stringify(bundle), 'utf8'), FHIR_JSON, files.length, null))
    }
    for (const recordId of new Set(input.include.recordIds)) {
      const content = await openRecordContent(deps, actor, scope.patientId, recordId, {})
      if (content.status !== 200) throw new NotFoundError('Record not found.')
      const bytes = await readAll(content.stream)
      files.push(await storeJwe(deps, key, bytes, content.record.contentType, files.length, recordId))
    }
    return files
  } catch (err) {
    await removeBlobs(deps, files.map((f) => f.blobKey))
    throw err
  }
}

async function removeBlobs(deps: Deps, keys: readonly string[]): Promise<void> {
  // Best effort: a blob left behind has no row and the orphan sweeper removes it (SPEC §11).
  await Promise.allSettled(keys.map((k) => deps.blobs.remove(k)))
}

/** The answer to a create (SPEC §9): shown once, never again. */
export interface CreatedShlLink {
  id: string
  shlink: string
  viewerUrl: string
  qrPngUrl: string
  expiresAt: Date
  flags: string
}

/**
 * `POST /patients/me/shl` (SPEC §9): makes a link of the caller's summary and records.
 * 404 when a record is not the caller's; 403/404 per policy (`shl.create`, the patient
 * only). Audited `shl.created` about `{type: 'shl', id}`.
 */
export async function createShl(deps: Deps, actor: UserActor, input: CreateShlInput): Promise<CreatedShlLink> {
  const key = new Uint8Array(randomBytes(32))
  const manifestId = newOpaqueToken()
  const now = deps.now()
  const expiresAt = addDays(now, input.expiresInDays)
  const flags = input.passcode ? 'LP' : 'L'
  const passcodeHash = input.passcode ? await hashPassword(input.passcode) : null
  let stored: EncryptedFile[] = []
  try {
    const link = await withPatientData(
      deps,
      actor,
      'me',
      {
        action: 'shl.create',
        kind: 'write',
        resource: (patientId) => ({ type: 'shl', id: patientId }),
        audited: (row: { id: string }) => [{ action: 'shl.created', resource: { type: 'shl', id: row.id } }],
        prepare: async (scope) => (stored = await encryptFiles(deps, actor, scope, input, key, now)),
      },
      async ({ scope, db, prepared }) => {
        const row = await q.insertLink(db, {
          patientId: scope.patientId,
          manifestIdHash: hashToken(manifestId),
          label: input.label ?? null,
          passcodeHash,
          attemptsLeft: SHL_PASSCODE_ATTEMPTS,
          flags,
          includeSummary: input.include.summary,
          recordIds: [...new Set(input.include.recordIds)],
          expiresAt,
          createdAt: now,
        })
        await q.insertFiles(db, prepared.map((f) => ({ ...f, linkId: row.id })))
        return row
      },
    )
    const payload: OutgoingShlPayload = {
      url: `${deps.config.publicUrl}${SHL_MANIFEST_PATH}/${manifestId}`,
      key: Buffer.from(key).toString('base64url'),
      exp: Math.floor(expiresAt.getTime() / 1000),
      flag: flags,
      ...(input.label ? { label: input.label } : {}),
      v: 1,
    }
    const shlink = encodeShlink(payload)
    const viewerUrl = `${deps.config.publicUrl}/shl#${shlink}`
    const qrPngUrl = await QRCode.toDataURL(viewerUrl, { errorCorrectionLevel: 'M', margin: 2, width: 512 })
    return { id: link.id, shlink, viewerUrl, qrPngUrl, expiresAt, flags }
  } catch (err) {
    await removeBlobs(deps, stored.map((f) => f.blobKey))
    throw err
  } finally {
    key.fill(0)
  }
}

/** `GET /patients/me/shl`: the caller's links, newest first, with status and accesses (never the key). */
export function listShl(deps: Deps, actor: UserActor, query: { limit: number; cursor?: string | undefined }): Promise<{ items: ShlLinkDto[]; nextCursor: string | null }> {
  const cursor = query.cursor ? decodeCursor(query.cursor, InstantIdCursor) : undefined
  return withPatientData(
    deps,
    actor,
    'me',
    { action: 'shl.list', kind: 'read', resource: (patientId) => ({ type: 'shl', id: patientId }), audited: () => [] },
    async ({ scope, db }) => {
      const rows = await q.listLinks(db, scope.patientId, query.limit, cursor && { createdAt: cursor[0], id: cursor[1] })
      const accesses = await q.listAccesses(db, rows.map((r) => r.id))
      const now = deps.now()
      return toPage(rows, query.limit, (r) => [r.createdAt.toISOString(), r.id], (r) => toShlLinkDto(r, accesses.filter((a) => a.linkId === r.id), now))
    },
  )
}

/** `DELETE /patients/me/shl/{id}` → 204: revokes the link and deletes its files. 404 when not the caller's or already revoked. Audited `shl.revoked`. */
export async function revokeShl(deps: Deps, actor: UserActor, id: string): Promise<void> {
  const keys = await withPatientData(
    deps,
    actor,
    'me',
    { action: 'shl.revoke', kind: 'write', resource: { type: 'shl', id }, audited: 'shl.revoked' },
    async ({ scope, db }) => {
      const row = await q.revokeLink(db, scope.patientId, id, deps.now())
      if (!row) throw new NotFoundError('SMART Health Link not found.')
      return q.deleteFiles(db, [id])
    },
  )
  await removeBlobs(deps, keys)
}

/**
 * For erasing a locker (SPEC §9 "take your data and go"): deletes every SMART Health Link of
 * `patientId` in `trx` (their files, locations and accesses with them) and returns the files'
 * blob keys, which the caller removes after its commit (a rollback keeps every row with its
 * blob). An account-erasure step (`ERASURE_STEPS`); that use case has authorized it. A blob
 * whose removal fails is left to the orphan sweeper.
 */
export async function eraseSmartHealthLinks(trx: Transaction<DB>, _deps: Deps, patientId: string): Promise<readonly string[]> {
  return q.deleteAllLinks(trx, patientId)
}

// ---------------------------------------------------------------------------------------
// The public protocol (IG "SHL Manifest Request", "Location URLs")

type FoundLink = NonNullable<Awaited<ReturnType<typeof q.findLinkByManifestHash>>>

const notValid = (code: string, detail: string) => new AppError(404, code, 'Not found', detail)

/** 404 unless the link can be used now: expired, revoked, dead, or its patient's account disabled. */
function assertUsable(link: Pick<FoundLink, 'revokedAt' | 'passcodeHash' | 'attemptsLeft' | 'expiresAt' | 'patientStatus'>, now: Date): void {
  if (link.patientStatus === 'disabled') throw notValid('shl-revoked', 'This link is no longer active.')
  const status = shlStatus(link, now)
  if (status === 'revoked') throw notValid('shl-revoked', 'This link was revoked by the patient.')
  if (status === 'dead') throw notValid('shl-dead', 'This link no longer works: too many wrong passcodes were tried.')
  if (status === 'expired') throw notValid('shl-expired', 'This link has expired.')
}

/**
 * 401 `passcode-required` without a passcode; otherwise checks it under the link's row lock
 * and takes a try only for a wrong one (401 `wrong-passcode` with the tries left; 404
 * `shl-dead` when none is left). Checks of one link therefore wait for each other (one
 * argon2 verification each, a pool connection held while waiting).
 */
async function checkPasscode(deps: Deps, link: FoundLink & { passcodeHash: string }, passcode: string | undefined): Promise<void> {
  if (!passcode) {
    throw new UnauthorizedError('This link needs a passcode.', 'passcode-required', { remainingAttempts: link.attemptsLeft })
  }
  // One transaction holding the link's row lock for the check (review L5): parallel guesses
  // can never take more tries than are left, and a right passcode never makes the count look
  // 0 (dead) to a concurrent request — there is no reservation to give back.
  const remainingAttempts = await deps.db.transaction().execute(async (trx) => {
    const row = await q.lockAttemptsLeft(trx, link.id)
    if (!row || row.attemptsLeft <= 0) return 'dead' as const
    if (await verifyPassword(link.passcodeHash, passcode)) return 'right' as const
    return q.takeAttempt(trx, link.id)
  })
  if (remainingAttempts === 'dead') throw notValid('shl-dead', 'This link no longer works: too many wrong passcodes were tried.')
  if (remainingAttempts === 'right') return
  throw new UnauthorizedError(
    remainingAttempts > 0 ? `Wrong passcode. ${remainingAttempts} tries left.` : 'Wrong passcode. The link no longer works.',
    'wrong-passcode',
    { remainingAttempts },
  )
}

export interface ManifestInput {
  recipient: string
  passcode?: string | undefined
  embeddedLengthMax?: number | undefined
}

export type ManifestFileDto = { contentType: string; location: string } | { contentType: string; embedded: string }

/**
 * `POST <manifest url>` (SPEC §9, IG "SHL Manifest Request") → `{files}`: a location per
 * file with a fresh token (≤ 1 hour), or the JWE itself (`embedded`) when it is no longer
 * than `embeddedLengthMax`. Files whose record was deleted since are left out. 404 for an
 * unknown, expired, revoked or dead link; 401 `{remainingAttempts}` for a missing or wrong
 * passcode. Audited: `shl.accessed` (actor kind `share` with the recipient's name) on
 * success, `shl.refused` for a wrong passcode or a link no longer valid. A success raises
 * `shl.opened` for the patient's locker (SPEC §10).
 */
export async function openManifest(deps: Deps, manifestId: string, input: ManifestInput, meta: RequestMeta): Promise<{ files: ManifestFileDto[] }> {
  const link = await q.findLinkByManifestHash(deps.db, hashToken(manifestId))
  if (!link) throw new NotFoundError('This SMART Health Link does not exist.')
  const actor: ShlRecipient = { kind: 'shl-recipient', linkId: link.id, recipient: input.recipient, meta }
  const target = { patientId: link.patientId, resource: { type: 'shl', id: link.id } }
  const now = deps.now()
  try {
    assertUsable(link, now)
    if (link.passcodeHash !== null) await checkPasscode(deps, { ...link, passcodeHash: link.passcodeHash }, input.passcode)
  } catch (err) {
    const counted = err instanceof AppError && (err.status === 404 || err.code === 'wrong-passcode')
    if (counted) await deps.db.transaction().execute((trx) => deps.audit.record(trx, actor, 'shl.refused', target))
    throw err
  }
  const files = await q.listLiveFiles(deps.db, link.id)
  const expiresAt = new Date(Math.min(addMinutes(now, SHL_LOCATION_MINUTES).getTime(), link.expiresAt.getTime()))
  const locations: Array<{ tokenHash: string; fileId: string; expiresAt: Date }> = []
  const answer: ManifestFileDto[] = []
  for (const f of files) {
    if (input.embeddedLengthMax !== undefined && f.sizeBytes <= input.embeddedLengthMax) {
      const stream = await deps.blobs.read(f.blobKey, { wrappedKey: Buffer.from(f.wrappedKey), sizeBytes: f.sizeBytes })
      answer.push({ contentType: f.contentType, embedded: await text(stream) })
      continue
    }
    const token = newOpaqueToken()
    locations.push({ tokenHash: hashToken(token), fileId: f.id, expiresAt })
    answer.push({ contentType: f.contentType, location: `${deps.config.publicUrl}${SHL_FILE_PATH}/${token}` })
  }
  await deps.db.transaction().execute(async (trx) => {
    await q.deleteExpiredLocations(trx, now)
    await q.insertLocations(trx, locations)
    await q.insertAccess(trx, { linkId: link.id, recipient: input.recipient, at: now })
    await deps.audit.record(trx, actor, 'shl.accessed', target)
    // SPEC §10: the patient's locker hears who opened it (the name the recipient gave, as the access list shows).
    const recipients = await lockerRecipients(trx, link.patientId)
    const data = { recipient: input.recipient, openedAt: now.toISOString() }
    await notifyUsers(trx, recipients.map((userId) => ({ userId, type: 'shl.opened', patientId: link.patientId, resource: { type: 'shl', id: link.id }, data })))
  })
  return { files: answer }
}

/**
 * `GET <location>` → the file's compact JWE as stored (`application/jose`). 404 for an
 * unknown or altered token, a file whose record was deleted, or a link no longer valid;
 * 410 `shl-location-expired` an hour after the manifest gave it.
 */
export async function openLocation(deps: Deps, token: string): Promise<{ stream: Readable; length: number }> {
  const found = await q.findLocation(deps.db, hashToken(token))
  if (!found || found.recordDeleted) throw new NotFoundError('This file location does not exist.')
  const now = deps.now()
  assertUsable(found, now)
  if (found.locationExpiresAt.getTime() <= now.getTime()) {
    throw new AppError(410, 'shl-location-expired', 'Gone', 'This file location has expired; ask the manifest again.')
  }
  const stream = await deps.blobs.read(found.blobKey, { wrappedKey: Buffer.from(found.wrappedKey), sizeBytes: found.sizeBytes })
  return { stream, length: found.sizeBytes }
}
