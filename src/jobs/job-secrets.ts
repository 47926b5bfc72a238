/**
 * Secrets inside job payloads (a password reset code) are sealed with a key derived from
 * the master key: a job row is kept for days after it ran, and the code itself is stored
 * only hashed elsewhere (SPEC §6). AES-256-GCM, key = HKDF-SHA256(MASTER_KEY, "job-secrets").
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const VERSION = 'v1'

const jobKey = (masterKey: Buffer) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'carelocker job-secrets', 32))

/** Seals `plaintext` → `v1.<iv>.<ciphertext>.<tag>` (base64url parts). */
export function sealJobSecret(masterKey: Buffer, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', jobKey(masterKey), iv)
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv, ct, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.')
}

/** Opens a sealed secret. Throws when it was altered or sealed under another key. */
export function openJobSecret(masterKey: Buffer, sealed: string): string {
  const [version, iv, ct, tag] = sealed.split('.')
  if (version !== VERSION || !iv || ct === undefined || !tag) throw new Error('Not a sealed job secret.')
  const decipher = createDecipheriv('aes-256-gcm', jobKey(masterKey), Buffer.from(iv, 'base64url'))
  decipher.setAuthTag(Buffer.from(tag, 'base64url'))
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
}
