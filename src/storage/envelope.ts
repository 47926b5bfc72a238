/**
 * Envelope encryption (SPEC §4.3): each file has its own random data key, stored in the
 * database only wrapped (encrypted) by the server's master key. Destroying the wrapped key
 * makes the file unreadable (crypto-shredding on DELETE).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { IntegrityError } from './segment-cipher.js'

const ALGORITHM = 'aes-256-gcm'
const KEY_SIZE = 32
const NONCE_SIZE = 12
const TAG_SIZE = 16
const VERSION = 0x01
/** 1 version byte + 12 nonce + 32 wrapped key + 16 tag. */
export const WRAPPED_KEY_SIZE = 1 + NONCE_SIZE + KEY_SIZE + TAG_SIZE

/** A fresh 32-byte AES-256 data key from the CSPRNG, for one file only. */
export function generateDataKey(): Buffer {
  return randomBytes(KEY_SIZE)
}

/**
 * Wraps a 32-byte dataKey with the 32-byte masterKey: AES-256-GCM with a random 96-bit nonce,
 * laid out as 0x01 ‖ nonce (12) ‖ ciphertext (32) ‖ tag (16) = 61 bytes; the version byte is
 * authenticated as additional data. Random nonces are the SP 800-38D §8.2.2 construction, safe
 * for up to 2^32 wraps per master key (§8.3). Throws RangeError on a key of the wrong size.
 */
export function wrapDataKey(masterKey: Buffer, dataKey: Buffer): Buffer {
  assertKey(masterKey, 'master key')
  assertKey(dataKey, 'data key')
  const header = Buffer.from([VERSION])
  const nonce = randomBytes(NONCE_SIZE)
  const cipher = createCipheriv(ALGORITHM, masterKey, nonce)
  cipher.setAAD(header)
  const ciphertext = Buffer.concat([cipher.update(dataKey), cipher.final()])
  return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()])
}

/**
 * Recovers the 32-byte data key from wrapDataKey's output. Throws IntegrityError when masterKey
 * is not the one that wrapped it, or wrapped was altered, truncated or has an unknown version;
 * RangeError when masterKey is not 32 bytes.
 */
export function unwrapDataKey(masterKey: Buffer, wrapped: Buffer): Buffer {
  assertKey(masterKey, 'master key')
  if (!Buffer.isBuffer(wrapped) || wrapped.length !== WRAPPED_KEY_SIZE || wrapped[0] !== VERSION) {
    throw new IntegrityError('Wrapped data key has an unknown layout.')
  }
  const nonce = wrapped.subarray(1, 1 + NONCE_SIZE)
  const ciphertext = wrapped.subarray(1 + NONCE_SIZE, 1 + NONCE_SIZE + KEY_SIZE)
  const tag = wrapped.subarray(1 + NONCE_SIZE + KEY_SIZE)
  try {
    const decipher = createDecipheriv(ALGORITHM, masterKey, nonce)
    decipher.setAAD(wrapped.subarray(0, 1))
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(ciphertext), decipher.final()])
  } catch {
    throw new IntegrityError('Wrapped data key failed authentication (wrong master key or altered).')
  }
}

/**
 * unwrapDataKey with each of masterKeys in turn (the current master key first, then the
 * previous ones during a rotation, SPEC §11): GCM authentication tells which key wrapped it.
 * Throws IntegrityError when none opens it, RangeError when a key is not 32 bytes.
 */
export function unwrapDataKeyWithAny(masterKeys: readonly Buffer[], wrapped: Buffer): Buffer {
  for (const key of masterKeys) {
    try {
      return unwrapDataKey(key, wrapped)
    } catch (err) {
      if (!(err instanceof IntegrityError)) throw err
    }
  }
  throw new IntegrityError('Wrapped data key failed authentication under every master key (wrong master key or altered).')
}

function assertKey(key: Buffer, what: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_SIZE) throw new RangeError(`The ${what} must be ${KEY_SIZE} bytes.`)
}
