/**
 * The SMART Health Link payload and its files (HL7 SMART Health Links IG STU1, "SHLink
 * payload" and "Encrypting and decrypting files"; SPEC §9). Pure: no database, no HTTP —
 * the sender (shl.service.ts) and the receiver (import/shl/shl-receive.ts) share it.
 *
 * - A link is `shlink:/` + base64url(JSON payload), optionally behind a viewer URL's
 *   fragment (`https://viewer.example/#shlink:/…`).
 * - The payload is `{url, key, exp?, flag?, label?, v?}`: `key` is 32 random bytes in
 *   base64url (43 characters), `exp` seconds since the epoch, `flag` letters of `L` (long
 *   term), `P` (passcode), `U` (direct file, no manifest), `label` ≤ 80 characters.
 * - Each file is a compact JWE, `alg: dir`, `enc: A256GCM`, `cty` its content type.
 */
import { CompactEncrypt, compactDecrypt } from 'jose'
import { z } from 'zod'
import { ValidationError } from '../../app/errors.js'

const SHLINK_PREFIX = 'shlink:/'
/** IG: a label is at most 80 characters. */
export const SHL_LABEL_MAX = 80

/** The payload as this server reads one (other fields ignored, as the IG allows extensions). */
export const ShlPayload = z.object({
  url: z.url({ protocol: /^https?$/ }).max(2048),
  key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'Must be 32 bytes in base64url (43 characters).'),
  // The IG says a number (seconds); examples in the wild also send a numeric string.
  exp: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  flag: z.string().regex(/^[LPU]{0,3}$/, 'Letters among L, P and U.').optional(),
  label: z.string().max(SHL_LABEL_MAX).optional(),
  v: z.number().int().optional(),
})
export type ShlPayload = z.infer<typeof ShlPayload>

/** The payload this server writes (SPEC §9): all members present. */
export interface OutgoingShlPayload {
  url: string
  key: string
  exp: number
  flag: string
  label?: string
  v: 1
}

/** `shlink:/…` of a payload. */
export function encodeShlink(payload: OutgoingShlPayload): string {
  return SHLINK_PREFIX + Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')
}

/**
 * The payload of `text`: a bare `shlink:/…` or any URL whose fragment holds one
 * (`…#shlink:/…`, the viewer form). Throws ValidationError (400, path `/shlink`) when it
 * is neither, when the base64url or JSON is malformed, or when the payload misses `url`
 * or a 32-byte `key`.
 */
export function decodeShlink(text: string): ShlPayload {
  const at = text.indexOf(SHLINK_PREFIX)
  const bad = (message: string) => new ValidationError(`Not a SMART Health Link: ${message}`, [{ path: '/shlink', message }])
  if (at < 0 || (at > 0 && text[at - 1] !== '#')) throw bad('expected "shlink:/…" or a viewer URL ending in "#shlink:/…".')
  const encoded = text.slice(at + SHLINK_PREFIX.length).trim()
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw bad('the payload is not base64url.')
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
  } catch {
    throw bad('the payload is not JSON.')
  }
  const parsed = ShlPayload.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw bad(`payload ${issue?.path.join('.') || 'value'}: ${issue?.message ?? 'invalid'}`)
  }
  return parsed.data
}

/** The 32-byte key of a payload's base64url `key`. */
export const keyBytes = (key: string): Uint8Array => new Uint8Array(Buffer.from(key, 'base64url'))

/** A compact JWE of `bytes` (`alg: dir`, `enc: A256GCM`, `cty: contentType`) under the 32-byte `key`. */
export function encryptShlFile(key: Uint8Array, bytes: Uint8Array, contentType: string): Promise<string> {
  return new CompactEncrypt(bytes).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: contentType }).encrypt(key)
}

/**
 * The bytes of a compact JWE made with `key` (`alg: dir`, `enc: A256GCM` only) and its
 * `cty`. Throws ValidationError (400) when the JWE does not open with the key (altered, or
 * another key) or uses another algorithm.
 */
export async function decryptShlFile(key: Uint8Array, jwe: string): Promise<{ contentType: string | undefined; bytes: Uint8Array }> {
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(jwe.trim(), key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
    return { contentType: protectedHeader.cty, bytes: plaintext }
  } catch {
    throw new ValidationError('A file of the SMART Health Link does not decrypt with the link’s key.', [{ path: '/shlink', message: 'File does not decrypt.' }])
  }
}
