/**
 * Ed25519 signing keys: prescription QR codes (SPEC §4.9) and the audit log's tree heads
 * (SPEC §4.7). Keys travel as JSON Web Keys
 * (RFC 8037 `{"kty":"OKP","crv":"Ed25519","x","d"?,"kid"?}`), in the environment
 * (`PRESCRIPTION_SIGNING_KEY`, `AUDIT_SIGNING_KEY`, their `…_VERIFY_KEYS`) or in `$DATA_DIR/secrets.json`.
 *
 * Every key has a short key id (`kid`) written into each token's protected header, so a
 * token is checked against the key that made it and keys can rotate: sign with the new key,
 * keep the old public key in the verify set until the last prescription it signed expires
 * (at most 180 days). When a JWK carries no `kid`, it is the first 16 characters of its
 * RFC 7638 thumbprint (SHA-256 over `{"crv","kty","x"}`), short enough to keep `qr.data`
 * under 300 characters.
 *
 * Pure helpers only: config.ts parses with them, secrets.ts generates with them.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'

/** An Ed25519 JWK with its key id; `d` (the private part) only on a signing key. */
export interface Ed25519Jwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  d?: string
  kid: string
}

/** A signing key: the private part is present. */
export type Ed25519PrivateJwk = Ed25519Jwk & { d: string }

const B64URL = /^[A-Za-z0-9_-]+$/
const KID = /^[A-Za-z0-9._-]{1,16}$/

/** RFC 7638 thumbprint of an OKP key, truncated to 16 base64url characters. */
export function kidOf(x: string): string {
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url').slice(0, 16)
}

/**
 * Checks one JWK value; returns it normalized (only kty, crv, x, d?, kid) or throws an Error
 * whose message says what is wrong. `needPrivate` demands `d` and checks that `x` matches it.
 */
function parseJwk(value: unknown, needPrivate: boolean): Ed25519Jwk {
  const v = value as Record<string, unknown> | null
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('must be a JSON Web Key object')
  if (v.kty !== 'OKP' || v.crv !== 'Ed25519') throw new Error('must be an Ed25519 key ({"kty":"OKP","crv":"Ed25519",…})')
  if (typeof v.x !== 'string' || !B64URL.test(v.x) || Buffer.from(v.x, 'base64url').length !== 32) throw new Error('"x" must be 32 bytes, base64url')
  if (needPrivate && (typeof v.d !== 'string' || !B64URL.test(v.d) || Buffer.from(v.d, 'base64url').length !== 32)) {
    throw new Error('"d" (the private key) must be 32 bytes, base64url')
  }
  if (v.kid !== undefined && (typeof v.kid !== 'string' || !KID.test(v.kid))) throw new Error('"kid" must be 1–16 characters of [A-Za-z0-9._-]')
  const jwk: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: v.x, kid: typeof v.kid === 'string' ? v.kid : kidOf(v.x) }
  if (needPrivate) {
    jwk.d = v.d as string
    // The public half must belong to the private half, or every token would fail to verify.
    const derived = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: v.x, d: jwk.d }, format: 'jwk' })).export({ format: 'jwk' })
    if (derived.x !== v.x) throw new Error('"x" does not match "d"')
  }
  return jwk
}

/** `PRESCRIPTION_SIGNING_KEY`: a private Ed25519 JWK as JSON. Throws an Error naming the problem. */
export function parseSigningKey(json: string): Ed25519PrivateJwk {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new Error('must be a JSON Web Key (JSON)')
  }
  return parseJwk(value, true) as Ed25519PrivateJwk
}

/** `PRESCRIPTION_VERIFY_KEYS`: a JSON array of public Ed25519 JWKs (retired keys still accepted). */
export function parseVerifyKeys(json: string): Ed25519Jwk[] {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new Error('must be a JSON array of JSON Web Keys')
  }
  if (!Array.isArray(value)) throw new Error('must be a JSON array of JSON Web Keys')
  return value.map((k, i) => {
    try {
      const { d: _private, ...pub } = parseJwk(k, false)
      return pub
    } catch (err) {
      throw new Error(`key ${i}: ${(err as Error).message}`)
    }
  })
}

/** A fresh Ed25519 signing key from the OS CSPRNG, as a private JWK with its kid. */
export function generateSigningKey(): Ed25519PrivateJwk {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, d: jwk.d as string, kid: kidOf(jwk.x as string) }
}

/** The keys as Node KeyObjects: the one that signs, and every public key that verifies, by kid. */
export interface Keyring {
  signing: { kid: string; key: KeyObject }
  verifying: ReadonlyMap<string, KeyObject>
}

/** Builds the keyring: the signing key's public half is always in the verify set. */
export function createKeyring(signing: Ed25519PrivateJwk, retired: readonly Ed25519Jwk[]): Keyring {
  const verifying = new Map<string, KeyObject>()
  for (const k of retired) verifying.set(k.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' }))
  verifying.set(signing.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: signing.x }, format: 'jwk' }))
  return {
    signing: { kid: signing.kid, key: createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: signing.x, d: signing.d }, format: 'jwk' }) },
    verifying,
  }
}
