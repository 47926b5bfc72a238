/** The stored format of a blob (SPEC §4.3): STREAM segments over AES-256-GCM and the wrapped data key. */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SIZES } from '../../test/helpers/storage.js'
import { generateDataKey, unwrapDataKey, WRAPPED_KEY_SIZE, wrapDataKey } from './envelope.js'
import { CIPHER_SEGMENT_SIZE, ciphertextSize, IntegrityError, planRange, SEGMENT_SIZE, segmentCount } from './segment-cipher.js'

const masterKey = randomBytes(32)

describe('segment layout (STREAM over AES-256-GCM)', () => {
  it('counts an empty file as one empty final segment and adds one 16-byte tag per segment', () => {
    expect(SIZES.map(segmentCount)).toEqual([1, 1, 1, 1, 2, 4])
    expect(SIZES.map(ciphertextSize)).toEqual([16, 17, 65551, 65552, 65569, 3 * 65552 + 5 + 16])
  })

  it('plans whole segments of ciphertext and the plaintext bytes to skip and emit', () => {
    const size = 3 * SEGMENT_SIZE + 5
    expect(planRange(size, { start: 65530, end: 65540 })).toEqual({
      plainSize: size,
      firstSegment: 0,
      lastSegment: 1,
      cipherRange: { start: 0, end: 2 * CIPHER_SEGMENT_SIZE - 1 },
      skip: 65530,
      length: 11,
    })
    expect(planRange(size, { start: size - 1, end: size - 1 })).toMatchObject({
      firstSegment: 3,
      lastSegment: 3,
      cipherRange: { start: 3 * CIPHER_SEGMENT_SIZE, end: ciphertextSize(size) - 1 },
      skip: 4,
      length: 1,
    })
    expect(planRange(0)).toMatchObject({ cipherRange: { start: 0, end: 15 }, length: 0 })
  })

  it('refuses a range outside the file', () => {
    expect(() => planRange(10, { start: 0, end: 10 })).toThrow(RangeError)
    expect(() => planRange(10, { start: 5, end: 4 })).toThrow(RangeError)
    expect(() => planRange(0, { start: 0, end: 0 })).toThrow(RangeError)
    expect(() => planRange(-1)).toThrow(RangeError)
  })
})

describe('envelope', () => {
  it('wraps as 0x01 ‖ nonce ‖ ciphertext ‖ tag, and any altered byte fails unwrap with IntegrityError', () => {
    const dataKey = generateDataKey()
    const wrapped = wrapDataKey(masterKey, dataKey)
    expect(wrapped.length).toBe(WRAPPED_KEY_SIZE)
    expect(wrapped[0]).toBe(0x01)
    expect(unwrapDataKey(masterKey, wrapped).equals(dataKey)).toBe(true)
    expect(wrapDataKey(masterKey, dataKey).equals(wrapped)).toBe(false) // fresh nonce each time
    for (let i = 0; i < wrapped.length; i++) {
      const altered = Buffer.from(wrapped)
      altered[i] = altered[i]! ^ 0x80
      expect(() => unwrapDataKey(masterKey, altered)).toThrow(IntegrityError)
    }
    expect(() => unwrapDataKey(masterKey, wrapped.subarray(0, 40))).toThrow(IntegrityError)
  })
})
