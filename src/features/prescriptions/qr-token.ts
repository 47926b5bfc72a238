/**
 * The signed string in a prescription's QR code (SPEC §4.9): a JWS in compact serialization
 * (RFC 7515) signed with Ed25519 (`alg: EdDSA`, RFC 8037) through `jose`.
 *
 * - Protected header: `{"alg":"EdDSA","kid":"…"}` — the kid names the key, so keys rotate.
 * - Payload: `{"rx":"<prescription id>","n":"<nonce>","exp":<expiry, seconds since epoch>}`:
 *   ids, a random nonce (16 bytes, base64url, stored with the prescription) and the expiry;
 *   no names, no drugs, nothing personal, not even encoded.
 * - About 260 characters in all (SPEC: ≤ 300).
 *
 * Ed25519 signatures are deterministic, so a prescription's `qr.data` stays the same from
 * read to read for as long as the signing key does.
 */
import { CompactSign, compactVerify, errors as joseErrors } from 'jose'
import { z } from 'zod'
import type { ResolvedConfig } from '../../app/config.js'
import { ValidationError } from '../../app/errors.js'
import { createKeyring, type Keyring } from '../../app/signing-keys.js'

export const QR_DATA_MAX_LENGTH = 300

const Payload = z.object({ rx: z.uuid(), n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/), exp: z.int().positive() }).strict()

/** What a verified token says. */
export interface QrClaims {
  prescriptionId: string
  nonce: string
  /** The prescription's expiry. */
  expiresAt: Date
}

const keyrings = new WeakMap<object, Keyring>()

/** The keyring of a resolved config, built once per config object. */
function keyringOf(config: Pick<ResolvedConfig, 'prescriptionSigningKey' | 'prescriptionVerifyKeys'>): Keyring {
  let ring = keyrings.get(config)
  if (!ring) {
    ring = createKeyring(config.prescriptionSigningKey, config.prescriptionVerifyKeys)
    keyrings.set(config, ring)
  }
  return ring
}

/** Signs the QR token of a prescription with the current key. */
export async function signQrToken(config: Pick<ResolvedConfig, 'prescriptionSigningKey' | 'prescriptionVerifyKeys'>, claims: QrClaims): Promise<string> {
  const ring = keyringOf(config)
  const payload = JSON.stringify({ rx: claims.prescriptionId, n: claims.nonce, exp: Math.floor(claims.expiresAt.getTime() / 1000) })
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid: ring.signing.kid }).sign(ring.signing.key)
}

const invalid = () =>
  new ValidationError('This QR code is not a valid CareLocker prescription: it was altered, damaged or not issued by this server.', [
    { path: '/qrData', message: 'Invalid signature or format.' },
  ], 'invalid-qr-code')

/**
 * Verifies a token against every known public key, picked by its `kid` (the current key and
 * retired ones). Throws ValidationError (400, `invalid-qr-code`) for anything altered,
 * forged, signed by an unknown key or malformed. Does not judge the expiry: the caller
 * answers 410 for an expired prescription.
 */
export async function verifyQrToken(config: Pick<ResolvedConfig, 'prescriptionSigningKey' | 'prescriptionVerifyKeys'>, token: string): Promise<QrClaims> {
  const ring = keyringOf(config)
  const segments = token.split('.')
  if (token.length > 2 * QR_DATA_MAX_LENGTH || segments.length !== 3) throw invalid()
  // Base64url decoders ignore the unused low bits of a segment's last character, so a changed
  // last character of the signature could decode to the same bytes: accept canonical only.
  if (!segments.every((s) => /^[A-Za-z0-9_-]+$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s)) throw invalid()
  try {
    const { payload } = await compactVerify(
      token,
      (header) => {
        const key = header.kid !== undefined ? ring.verifying.get(header.kid) : undefined
        if (!key || header.alg !== 'EdDSA') throw new joseErrors.JWSSignatureVerificationFailed()
        return key
      },
      { algorithms: ['EdDSA'] },
    )
    const claims = Payload.safeParse(JSON.parse(new TextDecoder().decode(payload)))
    if (!claims.success) throw invalid()
    return { prescriptionId: claims.data.rx, nonce: claims.data.n, expiresAt: new Date(claims.data.exp * 1000) }
  } catch (err) {
    if (err instanceof ValidationError) throw err
    throw invalid()
  }
}
