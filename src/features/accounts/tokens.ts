/**
 * Session tokens (SPEC §4.1, §6). Access tokens are HS256 JWTs (jose) that live
 * `ACCESS_TOKEN_TTL_SECONDS` and name their server-side session (`sid`), so logout and
 * disable take effect at once. Refresh tokens are opaque 256-bit random strings, stored
 * only as a SHA-256 hash and rotated on every use.
 */
import { createSecretKey, type KeyObject } from 'node:crypto'
import { SignJWT, jwtVerify } from 'jose'
import { hashToken, newOpaqueToken } from '../../app/opaque-tokens.js'

export const ACCESS_TOKEN_TTL_SECONDS = 900
const ISSUER = 'carelocker'
const AUDIENCE = 'carelocker-api'

export interface AccessClaims {
  userId: string
  sessionId: string
}

// One KeyObject per secret: importing the key on every request costs more than the HMAC.
const keys = new Map<string, KeyObject>()
const keyOf = (secret: string): KeyObject => {
  let key = keys.get(secret)
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'))
    keys.set(secret, key)
  }
  return key
}

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

/**
 * Tokens whose signature and claims were verified under a secret, with their expiry (epoch
 * seconds): the same bytes need no second HMAC (WebCrypto in jose costs more per request
 * than the rest of the session check). Bounded; oldest first out. Expiry is still checked
 * against `now` on every use, and revocation is the session check's business, not this one's.
 */
const verified = new Map<string, Map<string, AccessClaims & { exp: number }>>()
const VERIFIED_MAX = 20_000

/** The claims of a valid, unexpired token, or null for anything else. */
export async function verifyAccessToken(secret: string, token: string, now: Date): Promise<AccessClaims | null> {
  const nowSeconds = Math.floor(now.getTime() / 1000)
  let memo = verified.get(secret)
  const known = memo?.get(token)
  if (known) {
    // jose's rule: expired once `exp <= now` (no clock tolerance).
    if (known.exp > nowSeconds) return { userId: known.userId, sessionId: known.sessionId }
    memo?.delete(token)
    return null
  }
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
    })
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') return null
    if (!memo) {
      memo = new Map()
      verified.set(secret, memo)
    }
    if (memo.size >= VERIFIED_MAX) {
      const oldest = memo.keys().next().value
      if (oldest !== undefined) memo.delete(oldest)
    }
    memo.set(token, { userId: payload.sub, sessionId: payload.sid, exp: payload.exp })
    return { userId: payload.sub, sessionId: payload.sid }
  } catch {
    return null
  }
}

/** A new opaque refresh token (256 random bits, base64url). */
export const newRefreshToken = newOpaqueToken

export { hashToken }
