/**
 * A software WebAuthn authenticator for API tests (W3C WebAuthn Level 2 §6): it makes P-256
 * keys with node:crypto, answers `navigator.credentials.create()` with a `none` attestation
 * and `.get()` with an ES256 assertion, and returns the JSON a browser's
 * `@simplewebauthn/browser` would send. Every input the server checks can be bent per call
 * (origin, RP id, challenge, counter, user handle) to test the refusals.
 *
 * Encodings: authenticator data per §6.1 (rpIdHash ‖ flags ‖ signCount ‖ attested
 * credential data), the credential key as a COSE_Key (RFC 9053 EC2, alg -7), the
 * attestation object as CBOR (`isoCBOR` of @simplewebauthn/server/helpers), the
 * signature as DER ECDSA over authenticatorData ‖ SHA-256(clientDataJSON) (§6.3.3).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { cose, isoCBOR } from '@simplewebauthn/server/helpers'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40

export interface SoftCredential {
  /** base64url credential id. */
  id: string
  privateKey: KeyObject
  /** COSE_Key bytes of the public key. */
  cosePublicKey: Uint8Array
  rpId: string
  /** base64url user handle the RP gave at creation. */
  userHandle: string
  /** The signature counter the next assertion reports (then incremented). */
  counter: number
}

export interface CeremonyOverrides {
  /** `clientDataJSON.origin` (default: the authenticator's origin). */
  origin?: string
  /** The RP id hashed into authenticator data (default: the options' RP id). */
  rpId?: string
  /** `clientDataJSON.challenge` (default: the options' challenge). */
  challenge?: string
  /** `clientDataJSON.type` (default `webauthn.create` / `webauthn.get`). */
  type?: string
}

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

/** The COSE_Key (EC2, P-256, ES256) of a P-256 public key. */
function coseKeyOf(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' })
  const key = new Map<number, number | Uint8Array>([
    [cose.COSEKEYS.kty, cose.COSEKTY.EC2],
    [cose.COSEKEYS.alg, cose.COSEALG.ES256],
    [cose.COSEKEYS.crv, cose.COSECRV.P256],
    [cose.COSEKEYS.x, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
    [cose.COSEKEYS.y, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
  ])
  return isoCBOR.encode(key)
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = []

  /** `origin`: where the "browser" runs (e.g. the test app's PUBLIC_URL). */
  constructor(readonly origin: string) {}

  /**
   * Makes a credential for `options` (a discoverable one: it is kept here with its user
   * handle) and returns the registration response. The credential is kept even when an
   * override makes the answer invalid. `over.credential` attests an existing credential again.
   */
  register(options: PublicKeyCredentialCreationOptionsJSON, over: CeremonyOverrides & { credential?: SoftCredential } = {}): RegistrationResponseJSON {
    const rpId = over.rpId ?? options.rp.id ?? new URL(this.origin).hostname
    let cred = over.credential
    if (!cred) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      cred = { id: b64url(randomBytes(32)), privateKey, cosePublicKey: coseKeyOf(publicKey), rpId, userHandle: options.user.id, counter: 1 }
      this.credentials.push(cred)
    }
    const credentialId = Buffer.from(cred.id, 'base64url')
    const clientDataJSON = this.clientData(over.type ?? 'webauthn.create', over.challenge ?? options.challenge, over.origin)
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      u32(0),
      Buffer.alloc(16), // AAGUID: all zero for a `none` attestation
      Buffer.from([credentialId.length >> 8, credentialId.length & 0xff]),
      credentialId,
      Buffer.from(cred.cosePublicKey),
    ])
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, number>()],
        ['authData', new Uint8Array(authData)],
      ]),
    )
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['internal'] },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform',
    }
  }

  /**
   * Signs an assertion for `options` with `credential` (default: the newest credential for
   * the RP id): counter = the credential's counter, which then grows by one.
   */
  assert(
    options: PublicKeyCredentialRequestOptionsJSON,
    over: CeremonyOverrides & { credential?: SoftCredential; userHandle?: string | null; userVerified?: boolean } = {},
  ): AuthenticationResponseJSON {
    const rpId = over.rpId ?? options.rpId ?? new URL(this.origin).hostname
    const cred = over.credential ?? this.credentials.filter((c) => c.rpId === rpId).at(-1) ?? this.credentials.at(-1)
    if (!cred) throw new Error('SoftAuthenticator: no credential to sign with')
    const clientDataJSON = this.clientData(over.type ?? 'webauthn.get', over.challenge ?? options.challenge, over.origin)
    // UV: the user proved themselves to the authenticator (PIN, biometrics); unset with `userVerified: false`.
    const authData = Buffer.concat([sha256(rpId), Buffer.from([over.userVerified === false ? FLAG_UP : FLAG_UP | FLAG_UV]), u32(cred.counter)])
    cred.counter += 1
    // ES256 signatures are DER-encoded (WebAuthn L2 §6.5.6), node's default for EC keys.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey)
    const userHandle = over.userHandle === undefined ? cred.userHandle : over.userHandle
    return {
      id: cred.id,
      rawId: cred.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  private clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))
  }
}
