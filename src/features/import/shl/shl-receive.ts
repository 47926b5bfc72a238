/**
 * Receiving a SMART Health Link (HL7 SHL IG STU1; SPEC §9): `{shlink, passcode?}` from this
 * or another CareLocker (or any SHL sharing application) → the manifest, the encrypted
 * files, their content → one import plan.
 *
 * - The link: `shlink:/…` or a viewer URL `…#shlink:/…` (shl-payload.ts).
 * - The manifest: `POST url {recipient: "CareLocker import", passcode?}`; with flag `U`,
 *   the one file itself by `GET url?recipient=…`. Each file from its `location` (GET) or
 *   `embedded`; every fetch goes through `guardedFetch` (SSRF rules, 10 s, size caps).
 * - One budget for the whole receive ({@link ReceiveBudget}): every fetched or embedded body
 *   counts against MAX_IMPORT_MB in all (413 above), every fetch shares one 30 s deadline,
 *   and each file is decrypted and mapped as it arrives (its ciphertext is then dropped).
 * - The files, decrypted with the payload's key: `application/fhir+json` → `parseFhirBundle`
 *   (a lone resource is wrapped in a collection Bundle); `application/smart-health-card` →
 *   each `verifiableCredential` JWS's payload (raw DEFLATE; at most 100 JWS and 16 MB inflated
 *   per receive, 413 above) → its `fhirBundle` — the issuer's
 *   signature is NOT verified (said in `skipped`); PDFs and images → attachments (records);
 *   anything else → `skipped`.
 */
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { inflateRaw } from 'node:zlib'
import { z } from 'zod'
import { utcDate } from '../../../app/dates.js'
import type { Deps } from '../../../app/deps.js'
import { AppError, GoneError, PayloadTooLargeError, UnauthorizedError, ValidationError } from '../../../app/errors.js'
import { decodeShlink, decryptShlFile, keyBytes, type ShlPayload } from '../../shl/shl-payload.js'
import type { ImportedAttachment } from '../fhir-documents.js'
import { addSkipped, parseFhirBundle, type ImportPlan, type ParseOptions, type SkippedResources } from '../fhir-bundle.js'
import { guardedFetch, type FetchPolicy } from './shl-fetch.js'

/** The name this server gives as the recipient when it opens a link (IG: `recipient`). */
export const SHL_IMPORT_RECIPIENT = 'CareLocker import'
const MAX_FILES = 100
const MAX_MANIFEST_BYTES = 1024 * 1024
/** The overall time limit of one receive: every fetch of it shares this deadline. */
export const SHL_RECEIVE_TIMEOUT_MS = 30_000
/** SMART Health Card JWS entries one receive inflates at most. */
export const MAX_HEALTH_CARDS = 100
/** Bytes all SMART Health Card payloads of one receive may inflate to, together. */
export const MAX_HEALTH_CARD_INFLATED_BYTES = 16 * 1024 * 1024

const inflateRawAsync = promisify(inflateRaw)

/**
 * What one receive may still consume (review H1): `bytesLeft` of fetched and embedded bodies
 * (starts at MAX_IMPORT_MB), `cardsLeft` JWS entries and `inflatedBytesLeft` inflated
 * SMART Health Card payload bytes; `signal` aborts every fetch at the overall deadline.
 */
export interface ReceiveBudget {
  bytesLeft: number
  readonly totalBytes: number
  cardsLeft: number
  inflatedBytesLeft: number
  readonly signal?: AbortSignal | undefined
}

/** A fresh budget of `totalBytes` for fetched bodies, the health-card caps above and an optional deadline. */
export function receiveBudget(totalBytes: number, signal?: AbortSignal): ReceiveBudget {
  return { bytesLeft: totalBytes, totalBytes, cardsLeft: MAX_HEALTH_CARDS, inflatedBytesLeft: MAX_HEALTH_CARD_INFLATED_BYTES, signal }
}

const overBudget = (budget: ReceiveBudget) =>
  new PayloadTooLargeError(`The files of the SMART Health Link are larger than the ${Math.round(budget.totalBytes / 1048576)} MB this server imports at once.`)
const cardsTooLarge = () =>
  new PayloadTooLargeError(
    `The SMART Health Cards of the link are more than this server imports at once (${MAX_HEALTH_CARDS} cards, ${MAX_HEALTH_CARD_INFLATED_BYTES / 1048576} MB uncompressed).`,
  )

const ShlImportRequest = z
  .object({
    shlink: z.string().min(1).max(8192),
    passcode: z.string().min(1).max(64).optional(),
  })
  .strict()

const ManifestAnswer = z.object({
  files: z
    .array(z.object({ contentType: z.string().max(200), location: z.string().max(4096).optional(), embedded: z.string().optional() }))
    .max(MAX_FILES),
})

/** Types taken in as records (the bytes still decide the stored type, SPEC §4.3). */
const ATTACHMENT_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'text/plain'])

const SIGNATURE_NOT_VERIFIED = 'SMART Health Card imported without verifying its issuer’s signature'

const emptyPlan = (): ImportPlan => ({ demographics: {}, allergies: [], conditions: [], medications: [], vitals: [], labs: [], attachments: [], skipped: [] })

/** `plans` as one: lists concatenated, demographics filled from the first plan that has each field, skipped counts summed. */
export function mergePlans(plans: ImportPlan[]): ImportPlan {
  const merged = emptyPlan()
  for (const p of plans) {
    for (const [k, v] of Object.entries(p.demographics)) {
      const key = k as keyof ImportPlan['demographics']
      if (merged.demographics[key] === undefined && v !== undefined) (merged.demographics as Record<string, unknown>)[key] = v
    }
    merged.allergies.push(...p.allergies)
    merged.conditions.push(...p.conditions)
    merged.medications.push(...p.medications)
    merged.vitals.push(...p.vitals)
    merged.labs.push(...p.labs)
    merged.attachments.push(...p.attachments)
    for (const s of p.skipped) addSkipped(merged.skipped, s)
  }
  return merged
}

const badFile = (detail: string) => new ValidationError(detail, [{ path: '/shlink', message: detail }], 'shl-bad-file')

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw badFile(`${what} of the SMART Health Link is not JSON.`)
  }
}

/** A FHIR JSON file: a Bundle as it is, a lone resource wrapped in a collection Bundle. */
function planOfFhir(json: unknown, options: ParseOptions): ImportPlan {
  const resource = json as { resourceType?: unknown }
  if (resource && typeof resource === 'object' && typeof resource.resourceType === 'string' && resource.resourceType !== 'Bundle') {
    return parseFhirBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: json }] }, options)
  }
  return parseFhirBundle(json, options)
}

/**
 * The FHIR Bundles of a SMART Health Card file (`{verifiableCredential: [JWS…]}`, SMART
 * Health Cards spec): each JWS payload is raw-DEFLATE-compressed JSON with
 * `vc.credentialSubject.fhirBundle`. The signature is not checked. Inflates asynchronously
 * and draws on `budget` (cards and inflated bytes): PayloadTooLargeError (413) when either
 * runs out. Throws ValidationError for a file that is not that shape.
 */
export async function healthCardBundles(json: unknown, budget: ReceiveBudget): Promise<unknown[]> {
  const jwsList = (json as { verifiableCredential?: unknown })?.verifiableCredential
  if (!Array.isArray(jwsList) || jwsList.some((j) => typeof j !== 'string')) throw badFile('A SMART Health Card file has no verifiableCredential list.')
  if (jwsList.length > budget.cardsLeft) throw cardsTooLarge()
  budget.cardsLeft -= jwsList.length
  const bundles: unknown[] = []
  for (const jws of jwsList as string[]) {
    const parts = jws.split('.')
    if (parts.length !== 3) throw badFile('A SMART Health Card is not a compact JWS.')
    if (budget.inflatedBytesLeft <= 0) throw cardsTooLarge()
    let inflated: Buffer
    try {
      inflated = await inflateRawAsync(Buffer.from(parts[1]!, 'base64url'), { maxOutputLength: budget.inflatedBytesLeft })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw cardsTooLarge()
      throw badFile('A SMART Health Card’s payload does not inflate to JSON.')
    }
    budget.inflatedBytesLeft -= inflated.length
    let payload: unknown
    try {
      payload = JSON.parse(inflated.toString('utf8'))
    } catch {
      throw badFile('A SMART Health Card’s payload does not inflate to JSON.')
    }
    const bundle = (payload as { vc?: { credentialSubject?: { fhirBundle?: unknown } } })?.vc?.credentialSubject?.fhirBundle
    if (!bundle) throw badFile('A SMART Health Card holds no FHIR Bundle.')
    bundles.push(bundle)
  }
  return bundles
}

/**
 * The import plan of one decrypted file of a link (see the module comment). `label` titles
 * an attachment; `budget` (default: a fresh one of 16 MB) limits SMART Health Card inflation.
 * Exported for tests of the content types this server does not send.
 */
export async function planOfFile(
  contentType: string,
  bytes: Uint8Array,
  opts: ParseOptions & { label?: string | undefined; budget?: ReceiveBudget },
): Promise<ImportPlan> {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (type === 'application/fhir+json' || type === 'application/json') return planOfFhir(parseJson(bytes, 'A FHIR file'), opts)
  if (type === 'application/smart-health-card') {
    const bundles = await healthCardBundles(parseJson(bytes, 'A SMART Health Card file'), opts.budget ?? receiveBudget(MAX_HEALTH_CARD_INFLATED_BYTES))
    const plan = mergePlans(bundles.map((b) => planOfFhir(b, opts)))
    addSkipped(plan.skipped, { resourceType: 'SmartHealthCard', count: bundles.length, reason: SIGNATURE_NOT_VERIFIED })
    return plan
  }
  if (ATTACHMENT_TYPES.has(type)) {
    const data = Buffer.from(bytes)
    const attachment: ImportedAttachment = {
      fhirId: `shl-sha256:${createHash('sha256').update(data).digest('hex')}`,
      resourceType: 'DocumentReference',
      contentType: type,
      data,
      title: opts.label ? `${opts.label}`.slice(0, 200) : 'File from a SMART Health Link',
      recordDate: utcDate(opts.now ?? new Date()),
      category: 'other',
    }
    return { ...emptyPlan(), attachments: [attachment] }
  }
  return { ...emptyPlan(), skipped: [{ resourceType: type || 'unknown', count: 1, reason: 'file type not imported from a SMART Health Link' }] }
}

/** The manifest answer's refusals as this server's: 401 with the tries left, 404/410 gone, other failures 502. */
function refusalOf(status: number, body: Buffer): AppError {
  if (status === 401) {
    let remainingAttempts: number | undefined
    try {
      const n = (JSON.parse(body.toString('utf8')) as { remainingAttempts?: unknown }).remainingAttempts
      if (typeof n === 'number' && Number.isInteger(n) && n >= 0) remainingAttempts = n
    } catch {
      // no count given
    }
    return new UnauthorizedError(
      remainingAttempts === undefined ? 'The SMART Health Link needs the right passcode.' : `The SMART Health Link needs the right passcode (${remainingAttempts} tries left).`,
      'shl-passcode',
      remainingAttempts === undefined ? undefined : { remainingAttempts },
    )
  }
  if (status === 404 || status === 410) return new GoneError('The SMART Health Link is no longer valid (expired, revoked or used up).', 'shl-gone')
  return new AppError(502, 'shl-upstream-failed', 'Bad gateway', `The server of the SMART Health Link answered ${status}.`)
}

/** The receive's fetch settings: this server's origin and the budget every fetch draws on. */
interface ReceiveContext {
  publicUrl: string
  budget: ReceiveBudget
}

/**
 * One guarded fetch within the receive's budget: its body may be at most `cap` bytes (502
 * above) and at most what the budget has left (413 above); the body's size is then taken
 * from the budget. Shares the receive's deadline.
 */
async function fetchWithin(ctx: ReceiveContext, url: string, init: { method: 'GET' | 'POST'; json?: unknown }, cap = Number.POSITIVE_INFINITY) {
  const { budget } = ctx
  const budgetBinds = budget.bytesLeft <= cap
  const policy: FetchPolicy = {
    publicUrl: ctx.publicUrl,
    maxBytes: Math.min(cap, budget.bytesLeft),
    ...(budget.signal ? { signal: budget.signal } : {}),
    ...(budgetBinds ? { tooLarge: () => overBudget(budget) } : {}),
  }
  const res = await guardedFetch(url, init, policy)
  budget.bytesLeft -= res.body.length
  return res
}

async function fetchJwe(ctx: ReceiveContext, location: string): Promise<string> {
  const res = await fetchWithin(ctx, location, { method: 'GET' })
  if (res.status !== 200) throw refusalOf(res.status, res.body)
  return res.body.toString('ascii')
}

/**
 * The encrypted files of `payload`, `{contentType?, jwe}` each, one at a time: a location is
 * fetched only when the caller asks for the next file, so each can be decrypted (and its
 * ciphertext dropped) before the next arrives. Embedded files count against the budget too.
 */
async function* fetchFiles(payload: ShlPayload, passcode: string | undefined, ctx: ReceiveContext): AsyncGenerator<{ contentType: string | undefined; jwe: string }> {
  if (payload.flag?.includes('U')) {
    const direct = new URL(payload.url)
    direct.searchParams.set('recipient', SHL_IMPORT_RECIPIENT)
    yield { contentType: undefined, jwe: await fetchJwe(ctx, direct.toString()) }
    return
  }
  const res = await fetchWithin(ctx, payload.url, { method: 'POST', json: { recipient: SHL_IMPORT_RECIPIENT, ...(passcode ? { passcode } : {}) } }, MAX_MANIFEST_BYTES)
  if (res.status !== 200) throw refusalOf(res.status, res.body)
  let manifest: z.infer<typeof ManifestAnswer>
  try {
    manifest = ManifestAnswer.parse(JSON.parse(res.body.toString('utf8')))
  } catch {
    throw new AppError(502, 'shl-upstream-failed', 'Bad gateway', 'The server of the SMART Health Link sent a manifest this server cannot read.')
  }
  for (const f of manifest.files) {
    if (f.embedded !== undefined) {
      if (f.embedded.length > ctx.budget.bytesLeft) throw overBudget(ctx.budget)
      ctx.budget.bytesLeft -= f.embedded.length
      yield { contentType: f.contentType, jwe: f.embedded }
    } else if (f.location !== undefined) {
      yield { contentType: f.contentType, jwe: await fetchJwe(ctx, f.location) }
    }
  }
}

/**
 * `request` is the JSON body the patient sent, `{shlink, passcode?}` (unvalidated: ValidationError
 * 400 naming the first problem). Fetches and decrypts the link's files and maps their content to
 * one {@link ImportPlan}. Throws ValidationError (400) for a malformed or refused link (SSRF
 * rules, shl-fetch.ts) or a file that does not decrypt; GoneError (410) for an expired or dead
 * one; UnauthorizedError (401 `shl-passcode`, with `remainingAttempts` when the other server
 * gave it) for a missing or wrong passcode; PayloadTooLargeError (413) when the files exceed
 * the receive's budget ({@link ReceiveBudget}); AppError 502 when the other server fails or
 * the files do not all arrive within {@link SHL_RECEIVE_TIMEOUT_MS}.
 */
export async function receiveSmartHealthLink(deps: Deps, request: unknown, options: ParseOptions = {}): Promise<ImportPlan> {
  const parsed = ShlImportRequest.safeParse(request)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = `/${issue?.path.join('/') ?? ''}`
    throw new ValidationError(`Invalid SMART Health Link request at ${path}: ${issue?.message ?? 'invalid'}`, [{ path, message: issue?.message ?? 'invalid' }])
  }
  const payload = decodeShlink(parsed.data.shlink)
  const now = options.now ?? deps.now()
  if (payload.exp !== undefined && payload.exp * 1000 <= now.getTime()) throw new GoneError('The SMART Health Link has expired.', 'shl-gone')
  if (payload.flag?.includes('P') && !parsed.data.passcode) {
    throw new UnauthorizedError('The SMART Health Link needs a passcode: send it as `passcode`.', 'shl-passcode')
  }
  const budget = receiveBudget(deps.config.maxImportBytes, AbortSignal.timeout(SHL_RECEIVE_TIMEOUT_MS))
  const ctx: ReceiveContext = { publicUrl: deps.config.publicUrl, budget }
  const key = keyBytes(payload.key)
  const plans: ImportPlan[] = []
  for await (const file of fetchFiles(payload, parsed.data.passcode, ctx)) {
    const opened = await decryptShlFile(key, file.jwe)
    plans.push(await planOfFile(opened.contentType ?? file.contentType ?? '', opened.bytes, { ...options, now, label: payload.label, budget }))
  }
  return mergePlans(plans)
}
