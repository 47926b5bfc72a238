import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../app/errors.js'
import { QR_DATA_MAX_LENGTH, signQrToken, verifyQrToken } from './qr-token.js'
import { generateSigningKey, parseSigningKey, parseVerifyKeys, type Ed25519Jwk } from '../../app/signing-keys.js'

const keysOf = (signing = generateSigningKey(), retired: Ed25519Jwk[] = []) => ({ prescriptionSigningKey: signing, prescriptionVerifyKeys: retired })
const claims = () => ({ prescriptionId: randomUUID(), nonce: 'nN0nce-abcdefghijklmn', expiresAt: new Date('2027-01-31T10:00:00.000Z') })
const publicPart = ({ d: _d, ...pub }: Ed25519Jwk) => pub

describe('signed QR tokens (compact JWS, Ed25519)', () => {
  it('carries only ids, the nonce and the expiry, with a kid header, in at most 300 characters', async () => {
    const config = keysOf()
    const c = claims()
    const token = await signQrToken(config, c)
    expect(token.length).toBeLessThanOrEqual(QR_DATA_MAX_LENGTH)
    const [header, payload] = token.split('.').slice(0, 2).map((s) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')))
    expect(header).toEqual({ alg: 'EdDSA', kid: config.prescriptionSigningKey.kid })
    expect(Object.keys(payload).sort()).toEqual(['exp', 'n', 'rx'])
    expect(await verifyQrToken(config, token)).toEqual({ ...c, expiresAt: c.expiresAt })
    // Deterministic signatures: the same prescription shows the same code on every read.
    expect(await signQrToken(config, c)).toBe(token)
  })

  it('property: changing any one character anywhere makes it invalid (400)', async () => {
    const config = keysOf()
    const token = await signQrToken(config, claims())
    const alphabet = 'AaBbQw09_-.'
    for (let pos = 0; pos < token.length; pos += 1) {
      for (const sub of alphabet) {
        if (sub === token[pos]) continue
        const changed = token.slice(0, pos) + sub + token.slice(pos + 1)
        await expect(verifyQrToken(config, changed), `position ${pos} → ${sub}`).rejects.toBeInstanceOf(ValidationError)
      }
    }
  })

  it('refuses a token signed by a key the server does not know (forged), and garbage', async () => {
    const config = keysOf()
    const forged = await signQrToken(keysOf(), claims())
    await expect(verifyQrToken(config, forged)).rejects.toMatchObject({ status: 400, code: 'invalid-qr-code' })
    for (const junk of ['', 'a.b.c', 'not a token', `${'x'.repeat(50)}.${'y'.repeat(50)}.${'z'.repeat(86)}`]) {
      await expect(verifyQrToken(config, junk)).rejects.toBeInstanceOf(ValidationError)
    }
  })

  it('rotates: after a new signing key, codes of the retired key still verify when its public key is kept', async () => {
    const old = generateSigningKey()
    const oldToken = await signQrToken(keysOf(old), claims())
    const rotated = keysOf(generateSigningKey(), [publicPart(old)])
    await expect(verifyQrToken(rotated, oldToken)).resolves.toMatchObject({ nonce: 'nN0nce-abcdefghijklmn' })
    const dropped = keysOf(rotated.prescriptionSigningKey)
    await expect(verifyQrToken(dropped, oldToken)).rejects.toBeInstanceOf(ValidationError)
  })

  it('parses keys from the environment: a private JWK, and a list of public ones; refuses mismatched or malformed keys', () => {
    const key = generateSigningKey()
    const { kid: _kid, ...withoutKid } = key
    expect(parseSigningKey(JSON.stringify(withoutKid)).kid).toBe(key.kid)
    expect(parseVerifyKeys(JSON.stringify([publicPart(key)]))).toEqual([publicPart(key)])
    const other = generateSigningKey()
    expect(() => parseSigningKey(JSON.stringify({ ...key, x: other.x }))).toThrow(/does not match/)
    expect(() => parseSigningKey('{"kty":"RSA"}')).toThrow(/Ed25519/)
    expect(() => parseSigningKey('nope')).toThrow(/JSON/)
    expect(() => parseVerifyKeys('{}')).toThrow(/array/)
  })
})
