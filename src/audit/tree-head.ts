/**
 * Signed tree heads of the audit log (SPEC §4.7): a compact JWS (RFC 7515) with `alg`
 * EdDSA (Ed25519, RFC 8037) and the key's `kid` in the protected header, whose payload is
 * the JSON `{treeSize, rootHash, timestamp}`. Keys are the `auditSigningKey` of the secrets
 * file or `AUDIT_SIGNING_KEY`; retired public keys stay published (`GET /audit/keys`) so
 * old heads keep verifying after a rotation.
 */
import { CompactSign, compactVerify } from 'jose'
import type { ResolvedConfig } from '../app/config.js'
import { createKeyring, type Keyring } from '../app/signing-keys.js'

/** What a tree head commits to. `timestamp`: ISO-8601 UTC with milliseconds. */
export interface TreeHeadPayload {
  treeSize: number
  rootHash: string
  timestamp: string
}

/** `GET /audit/tree-head`. */
export interface SignedTreeHead extends TreeHeadPayload {
  signature: string
}

/** A published public key (RFC 8037 OKP JWK). */
export interface TreeHeadJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

/** Signs and checks tree heads, and publishes the public keys. */
export interface TreeHeadSigner {
  sign(payload: TreeHeadPayload): Promise<string>
  /** True when `signature` is a JWS of exactly `payload` by one of the published keys. */
  verify(payload: TreeHeadPayload, signature: string): Promise<boolean>
  /** The JWKS of `GET /audit/keys`: the signing key's public half and every retired key. */
  jwks(): { keys: TreeHeadJwk[] }
}

/** The signer for the configured keys. */
export function createTreeHeadSigner(config: Pick<ResolvedConfig, 'auditSigningKey' | 'auditVerifyKeys'>): TreeHeadSigner {
  const keyring: Keyring = createKeyring(config.auditSigningKey, config.auditVerifyKeys)
  const published = [config.auditSigningKey, ...config.auditVerifyKeys.filter((k) => k.kid !== config.auditSigningKey.kid)].map(
    (k): TreeHeadJwk => ({ kty: k.kty, crv: k.crv, x: k.x, kid: k.kid, alg: 'EdDSA', use: 'sig' }),
  )
  const encode = (p: TreeHeadPayload) => new TextEncoder().encode(JSON.stringify({ treeSize: p.treeSize, rootHash: p.rootHash, timestamp: p.timestamp }))
  return {
    sign: (payload) => new CompactSign(encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid: keyring.signing.kid }).sign(keyring.signing.key),
    verify: async (payload, signature) => {
      try {
        const { payload: signed } = await compactVerify(signature, (header) => {
          const key = header.kid ? keyring.verifying.get(header.kid) : undefined
          if (!key || header.alg !== 'EdDSA') throw new Error('unknown key')
          return key
        })
        return Buffer.from(signed).equals(Buffer.from(encode(payload)))
      } catch {
        return false
      }
    },
    jwks: () => ({ keys: published }),
  }
}
