/**
 * Request and response schemas of passkeys (SPEC §8), and the row → DTO mapper. The
 * WebAuthn answers are the JSON forms of W3C WebAuthn Level 2 (`RegistrationResponseJSON`,
 * `AuthenticationResponseJSON` — what `@simplewebauthn/browser` sends); binary members are
 * base64url. Objects are strict: an unknown member is 400.
 */
import { z } from 'zod'
import { singleLine, toInstant } from '../../app/schemas.js'

/** Base64url text (RFC 4648 §5, no padding) of at most `max` characters. */
const B64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'Expected base64url.')

const Transport = z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])

/**
 * Client extension outputs (WebAuthn L2 §9): the ones a browser may report unasked are
 * listed; others are dropped (never stored, never an error: browsers and password
 * managers add their own).
 */
const ClientExtensionResults = z.object({
  appid: z.boolean().optional(),
  credProps: z.object({ rk: z.boolean().optional() }).optional(),
  hmacCreateSecret: z.boolean().optional(),
})

const credential = {
  id: B64url(1366),
  rawId: B64url(1366),
  type: z.literal('public-key'),
  clientExtensionResults: ClientExtensionResults,
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
}

/** `navigator.credentials.create()`'s answer as JSON (WebAuthn L2 §5.1, `RegistrationResponseJSON`). */
export const RegistrationResponse = z
  .object({
    ...credential,
    response: z
      .object({
        clientDataJSON: B64url(4096),
        attestationObject: B64url(32768),
        authenticatorData: B64url(8192).optional(),
        transports: z.array(Transport).max(8).optional(),
        publicKeyAlgorithm: z.number().int().optional(),
        publicKey: B64url(4096).optional(),
      })
      .strict(),
  })
  .strict()

/** `navigator.credentials.get()`'s answer as JSON (WebAuthn L2 §5.1, `AuthenticationResponseJSON`). */
export const AuthenticationResponse = z
  .object({
    ...credential,
    response: z
      .object({
        clientDataJSON: B64url(4096),
        authenticatorData: B64url(8192),
        signature: B64url(1024),
        userHandle: B64url(128).optional(),
      })
      .strict(),
  })
  .strict()

/** A passkey's label: one line, 1–60 characters. */
const PasskeyName = singleLine(60).min(1)

export const RegisterPasskeyBody = z.object({ response: RegistrationResponse, name: PasskeyName.optional() }).strict()
export const RenamePasskeyBody = z.object({ name: PasskeyName }).strict()
export const PasskeySignInBody = z.object({ response: AuthenticationResponse }).strict()
export const PasskeyParams = z.object({ id: z.uuid() }).strict()

export const Passkey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable().describe('The last sign-in with it; null until then.'),
  })
  .strict()
export type PasskeyDto = z.infer<typeof Passkey>

export const PasskeyList = z.object({ items: z.array(Passkey) }).strict()

/** The client extension inputs we ask for (`credProps`: whether the key was made discoverable). */
const Extensions = z.object({ credProps: z.boolean().optional() }).strict()

/** A `PublicKeyCredentialDescriptorJSON`. */
const Descriptor = z.object({ id: z.string(), type: z.literal('public-key'), transports: z.array(Transport).optional() }).strict()
const UserVerification = z.enum(['required', 'preferred', 'discouraged'])
const Hint = z.enum(['hybrid', 'security-key', 'client-device'])

/**
 * `PublicKeyCredentialCreationOptionsJSON` (WebAuthn L3 §5.1.3 JSON form; what
 * `startRegistration({optionsJSON})` takes), as `@simplewebauthn/server` builds it.
 */
export const RegistrationOptions = z
  .object({
    rp: z.object({ id: z.string().optional(), name: z.string() }).strict(),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }).strict(),
    challenge: z.string(),
    pubKeyCredParams: z.array(z.object({ type: z.literal('public-key'), alg: z.number().int() }).strict()),
    timeout: z.number().int().optional(),
    excludeCredentials: z.array(Descriptor).optional(),
    authenticatorSelection: z
      .object({
        authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
        requireResidentKey: z.boolean().optional(),
        residentKey: z.enum(['required', 'preferred', 'discouraged']).optional(),
        userVerification: UserVerification.optional(),
      })
      .strict()
      .optional(),
    hints: z.array(Hint).optional(),
    attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
    extensions: Extensions.optional(),
  })
  .strict()
  .describe('PublicKeyCredentialCreationOptionsJSON: pass it to startRegistration({optionsJSON}).')

/** `PublicKeyCredentialRequestOptionsJSON` for a discoverable sign-in (no `allowCredentials`). */
export const AuthenticationOptions = z
  .object({
    challenge: z.string(),
    timeout: z.number().int().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(Descriptor).optional(),
    userVerification: UserVerification.optional(),
    hints: z.array(Hint).optional(),
    extensions: Extensions.optional(),
  })
  .strict()
  .describe('PublicKeyCredentialRequestOptionsJSON: pass it to startAuthentication({optionsJSON}).')

/** passkeys row (public columns) → `Passkey`. */
export function toPasskeyDto(p: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }): PasskeyDto {
  return { id: p.id, name: p.name, createdAt: toInstant(p.createdAt), lastUsedAt: p.lastUsedAt ? toInstant(p.lastUsedAt) : null }
}
