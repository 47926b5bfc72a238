/**
 * Small secrets kept encrypted under the master key (a job's reset code, a TOTP secret):
 * AES-256-GCM with a key derived per purpose, HKDF-SHA256(MASTER_KEY, info = `purpose`), so
 * a secret sealed for one use never opens for another. Optional associated data binds a
 * sealed value to its row (e.g. the user id), so it cannot be copied onto another one.
 *
 * Master key rotation (SPEC §11): values are sealed under the current key only, and opened
 * under the current key or any of `MASTER_KEY_PREVIOUS` (`openSecret` says which one did, so
 * a caller can re-seal an old value under the current key).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

const purposeKey = (masterKey: Buffer, purpose: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), purpose, 32))

/** Seals `plaintext` → `v1.<iv>.<ciphertext>.<tag>` (base64url parts), under the key of `purpose`. */
export function sealSecret(masterKey: Buffer, purpose: string, plaintext: string, aad?: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', purposeKey(masterKey, purpose), iv)
  if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv, ct, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
}

/**
 * Opens a value sealed by `sealSecret` under the first of `masterKeys` that authenticates it
 * (current key first). Returns the plaintext and `current`: whether `masterKeys[0]` opened it.
 * Throws when it was altered, sealed for another purpose or row, or under none of the keys.
 */
export function openSecret(masterKeys: readonly Buffer[], purpose: string, sealed: string, aad?: string): { plaintext: string; current: boolean } {
  const [version, iv, ct, tag] = sealed.split('.')
  if (version !== VERSION || !iv || ct === undefined || !tag) throw new Error('Not a sealed secret.')
  for (const [i, key] of masterKeys.entries()) {
    const decipher = createDecipheriv('aes-256-gcm', purposeKey(key, purpose), Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'))
    try {
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
      return { plaintext, current: i === 0 }
    } catch {
      // Not this key (GCM authentication failed): try the next one.
    }
  }
  throw new Error('The sealed secret opens under none of the master keys.')
}
