/**
 * Session tokens (SPEC §4.1, §6). Access tokens are HS256 JWTs (jose) that live
 * `ACCESS_TOKEN_TTL_SECONDS` and name their server-side session (`sid`), so logout and
 * disable take effect at once. Refresh tokens are opaque 256-bit random strings, stored
 * only as a SHA-256 hash and rotated on every use.
 */
import { createHash, randomBytes } from 'node:crypto'
import { SignJWT, jwtVerify } from 'jose'

export const ACCESS_TOKEN_TTL_SECONDS = 900
const ISSUER = 'carelocker'
const AUDIENCE = 'carelocker-api'

export interface AccessClaims {
  userId: string
  sessionId: string
}

const keyOf = (secret: string) => new TextEncoder().encode(secret)

/** Signs an access token for the session. */
export function signAccessToken(secret: string, claims: AccessClaims, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000)
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .sign(keyOf(secret))
}

/** The claims of a valid, unexpired token, or null for anything else. */
export async function verifyAccessToken(secret: string, token: string, now: Date): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
    })
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null
    return { userId: payload.sub, sessionId: payload.sid }
  } catch {
    return null
  }
}

/** A new opaque refresh token (256 random bits, base64url). */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 hex of a token: what the database keeps instead of the token itself. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
