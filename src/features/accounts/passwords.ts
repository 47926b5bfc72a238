/**
 * Password hashing with argon2id through the maintained `argon2` package, with the OWASP
 * Password Storage Cheat Sheet's first recommended setting: m = 19 MiB, t = 2, p = 1.
 */
import { randomBytes } from 'node:crypto'
import argon2 from 'argon2'

const OWASP_ARGON2ID = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

/** Returns a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OWASP_ARGON2ID)
}

/** True when `password` matches `hash`; false on mismatch or a malformed hash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password)
  } catch {
    return false
  }
}

let dummyHash: Promise<string> | undefined
/**
 * A hash of a random password with the same parameters, computed once (call it at startup):
 * an unknown email is verified against it, so it costs the same argon2 time as a wrong
 * password (SPEC §6, no timing oracle).
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'))
  return dummyHash
}
