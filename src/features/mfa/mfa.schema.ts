/** Request and response schemas of two-factor sign-in (SPEC §8: TOTP, recovery codes, the `mfaToken` step). */
import { z } from 'zod'
import { toInstant } from '../../app/schemas.js'

/** A TOTP code (6 digits) or a recovery code (`xxxx-xxxx-xxxx-xxxx`; spaces, dashes and case do not matter). */
export const SecondFactorCode = z
  .string()
  .trim()
  .min(6, 'Enter the 6-digit code or a recovery code.')
  .max(64)
  .describe('A 6-digit code of the authenticator app, or one of the recovery codes.')
/** A TOTP code alone (6 digits). */
export const TotpCode = z.string().trim().regex(/^\d{6}$/, 'Enter the 6 digits your authenticator app shows.')

export const TotpSetup = z.object({
  secret: z.string().describe('The shared secret, base32 (RFC 4648), for typing into an authenticator app.'),
  otpauthUrl: z.string().describe('`otpauth://totp/…` key URI: SHA1, 6 digits, 30 seconds.'),
  qrSvg: z.string().describe('The key URI as a QR code, an SVG document.'),
})

export const TotpStatus = z.object({
  enabled: z.boolean(),
  enabledAt: z.string().nullable().describe('When the authenticator was confirmed (ISO-8601 UTC); null when two-factor sign-in is off.'),
  recoveryCodesLeft: z.number().int().describe('Recovery codes not used yet.'),
})

/** The service's TOTP state → `TotpStatus`. */
export const toTotpStatusDto = (s: { enabledAt: Date | null; recoveryCodesLeft: number }): z.infer<typeof TotpStatus> => ({
  enabled: s.enabledAt !== null,
  enabledAt: s.enabledAt ? toInstant(s.enabledAt) : null,
  recoveryCodesLeft: s.recoveryCodesLeft,
})

export const ConfirmTotpBody = z.object({ code: TotpCode }).strict()
export const RecoveryCodes = z.object({
  recoveryCodes: z.array(z.string()).describe('10 single-use codes, shown once: they are stored only hashed.'),
})
export const DisableTotpBody = z.object({ password: z.string().min(1).max(128), code: SecondFactorCode }).strict()
export const RegenerateRecoveryCodesBody = z.object({ code: SecondFactorCode }).strict()

/** What a second factor can be: an authenticator code, a recovery code, a passkey. */
export const SecondFactorMethod = z.enum(['totp', 'recovery', 'passkey'])
export type SecondFactorMethod = z.infer<typeof SecondFactorMethod>

/** `POST /auth/login`'s answer when the account has a second factor: no session yet (SPEC §8). */
export const MfaRequired = z.object({
  mfaRequired: z.literal(true),
  mfaToken: z.string().describe('Single use, 5 minutes, 5 wrong codes: send it to `POST /auth/login/mfa` with a code.'),
  methods: z.array(SecondFactorMethod).describe('The second factors this account has.'),
})
export type MfaRequired = z.infer<typeof MfaRequired>

export const LoginMfaBody = z.object({ mfaToken: z.string().min(1).max(200), code: SecondFactorCode }).strict()
