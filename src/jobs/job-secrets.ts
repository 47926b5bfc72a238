/**
 * Secrets inside job payloads (a password reset code) are sealed with a key derived from
 * the master key: a job row is kept for days after it ran, and the code itself is stored
 * only hashed elsewhere (SPEC §6). AES-256-GCM, key = HKDF-SHA256(MASTER_KEY, "carelocker job-secrets")
 * (`src/app/sealed-secrets.ts`).
 */
import { openSecret, sealSecret } from '../app/sealed-secrets.js'

const PURPOSE = 'carelocker job-secrets'

/** Seals `plaintext` → `v1.<iv>.<ciphertext>.<tag>` (base64url parts). */
export function sealJobSecret(masterKey: Buffer, plaintext: string): string {
  return sealSecret(masterKey, PURPOSE, plaintext)
}

/** Opens a sealed secret. Throws when it was altered or sealed under another key. */
export function openJobSecret(masterKey: Buffer, sealed: string): string {
  return openSecret([masterKey], PURPOSE, sealed).plaintext
}
