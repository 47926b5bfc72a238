/**
 * How a TOTP secret (SPEC §8) is kept: AES-256-GCM under a key derived from the master key
 * for this purpose only (`src/app/sealed-secrets.ts`), with the user id as associated data,
 * so a sealed secret copied onto another account does not open. Shared by the MFA service
 * and master key rotation (`src/ops/key-rotation.ts`, SPEC §11).
 */
import { openSecret, sealSecret } from '../../app/sealed-secrets.js'

const PURPOSE = 'carelocker totp-secret'

/** Seals a base32 secret of `userId` under `masterKey`. */
export const sealTotpSecret = (masterKey: Buffer, userId: string, base32: string): string => sealSecret(masterKey, PURPOSE, base32, userId)

/**
 * Opens a sealed secret of `userId` under the first of `masterKeys` that authenticates it;
 * `current`: `masterKeys[0]` did. Throws when none does.
 */
export const openTotpSecret = (masterKeys: readonly Buffer[], userId: string, sealed: string): { base32: string; current: boolean } => {
  const { plaintext, current } = openSecret(masterKeys, PURPOSE, sealed, userId)
  return { base32: plaintext, current }
}
