/**
 * A SMART Health Link as a viewer opens it (HL7 SMART Health Links IG STU1, SPEC §9), in the
 * browser: the link comes from the page's fragment (never sent to any server), the manifest
 * and files from whichever server the link names, and the files are decrypted here with
 * `jose` — the key never leaves the page. Plain `fetch`, not the API client: the link may
 * belong to another server, and these requests carry no session.
 */
import { compactDecrypt } from 'jose'

/** The payload of a `shlink:/…` (IG "SHLink payload"). */
export interface ShlPayload {
  url: string
  key: string
  exp?: number
  flag?: string
  label?: string
  v?: number
}

/** A decrypted file of the link. */
export interface ShlFile {
  contentType: string
  bytes: Uint8Array
}

/** Why the link could not be opened, in words for the person holding it. */
export class ShlOpenError extends Error {
  constructor(
    message: string,
    readonly kind: 'passcode' | 'gone' | 'invalid' | 'failed',
    readonly remainingAttempts?: number,
  ) {
    super(message)
  }
}

const fromBase64Url = (s: string): Uint8Array => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

/** The payload in `hash` (`#shlink:/…`, or a whole viewer URL), or null when there is none or it is malformed. */
export function payloadFromFragment(hash: string): ShlPayload | null {
  const at = hash.indexOf('shlink:/')
  if (at < 0) return null
  try {
    const json = JSON.parse(new TextDecoder().decode(fromBase64Url(hash.slice(at + 'shlink:/'.length).trim()))) as Partial<ShlPayload>
    if (typeof json.url !== 'string' || typeof json.key !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(json.key)) return null
    return json as ShlPayload
  } catch {
    return null
  }
}

/** The problem body of a refusal, whatever shape it has. */
async function problemOf(res: Response): Promise<{ type?: string; detail?: string; remainingAttempts?: number }> {
  try {
    return (await res.json()) as { type?: string; detail?: string; remainingAttempts?: number }
  } catch {
    return {}
  }
}

const GONE_WORDS: Record<string, string> = {
  'shl-expired': 'This link has expired. Ask the patient for a new one.',
  'shl-revoked': 'The patient revoked this link.',
  'shl-dead': 'This link no longer works: too many wrong passcodes were tried. Ask the patient for a new one.',
}

async function refusal(res: Response): Promise<ShlOpenError> {
  const problem = await problemOf(res)
  const slug = problem.type?.split('/').pop() ?? ''
  if (res.status === 401) {
    const left = typeof problem.remainingAttempts === 'number' ? problem.remainingAttempts : undefined
    const message =
      slug === 'passcode-required'
        ? 'This link needs the passcode the patient gave you.'
        : left === 0
          ? 'Wrong passcode. That was the last try: the link no longer works.'
          : `Wrong passcode.${left !== undefined ? ` ${left} ${left === 1 ? 'try' : 'tries'} left.` : ''}`
    return new ShlOpenError(message, 'passcode', left)
  }
  if (res.status === 404 || res.status === 410) return new ShlOpenError(GONE_WORDS[slug] ?? 'This link does not exist or no longer works.', 'gone')
  if (res.status === 429) return new ShlOpenError('Too many attempts from here. Wait a minute and try again.', 'failed')
  return new ShlOpenError(`The link’s server could not answer (${res.status}). Try again later.`, 'failed')
}

async function fetchOrFail(input: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, { ...init, credentials: 'omit', cache: 'no-store' })
  } catch {
    throw new ShlOpenError('The link’s server could not be reached. Check the connection and try again.', 'failed')
  }
}

async function decrypt(key: Uint8Array, jwe: string, declared: string): Promise<ShlFile> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe.trim(), key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
    return { contentType: protectedHeader.cty ?? declared, bytes: plaintext }
  } catch {
    throw new ShlOpenError('A file of this link does not open with its key: the link was copied incompletely or altered.', 'invalid')
  }
}

/**
 * Opens `payload` as `recipient` (with `passcode` for a `P` link): the manifest, then each
 * file, decrypted. Throws ShlOpenError with words for each refusal (wrong passcode with the
 * tries left, expired, revoked, dead, unreachable).
 */
export async function openShl(payload: ShlPayload, recipient: string, passcode?: string): Promise<ShlFile[]> {
  const key = fromBase64Url(payload.key)
  if (payload.exp !== undefined && Number(payload.exp) * 1000 <= Date.now()) throw new ShlOpenError(GONE_WORDS['shl-expired']!, 'gone')
  if (payload.flag?.includes('U')) {
    const direct = new URL(payload.url)
    direct.searchParams.set('recipient', recipient)
    const res = await fetchOrFail(direct.toString())
    if (!res.ok) throw await refusal(res)
    return [await decrypt(key, await res.text(), 'application/octet-stream')]
  }
  const res = await fetchOrFail(payload.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ recipient, ...(passcode ? { passcode } : {}) }),
  })
  if (!res.ok) throw await refusal(res)
  const manifest = (await res.json()) as { files?: Array<{ contentType: string; location?: string; embedded?: string }> }
  const files: ShlFile[] = []
  for (const f of manifest.files ?? []) {
    let jwe = f.embedded
    if (jwe === undefined && f.location) {
      const got = await fetchOrFail(f.location)
      if (!got.ok) throw await refusal(got)
      jwe = await got.text()
    }
    if (jwe !== undefined) files.push(await decrypt(key, jwe, f.contentType))
  }
  return files
}
