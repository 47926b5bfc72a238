/**
 * Opaque bearer secrets (refresh tokens, share and emergency link tokens): 256 random bits
 * from the OS CSPRNG, base64url (43 characters), stored only as their SHA-256.
 */
import { createHash, randomBytes } from 'node:crypto'

/** A new 256-bit random token, base64url. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 hex of a token: what the database keeps instead of the token itself. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
