import { readFileSync } from 'node:fs'
import { deflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { fixturePath } from '../../../../test/helpers/fixtures.js'
import { decodeShlink, decryptShlFile, encodeShlink, encryptShlFile, keyBytes } from '../../shl/shl-payload.js'
import { parseFhirBundle } from '../fhir-bundle.js'
import { isPrivateAddress } from './shl-fetch.js'
import { planOfFile } from './shl-receive.js'

const details = JSON.parse(readFileSync(fixturePath('shl/hl7-ig/IPS_IG-bundle-01-shl-details.json'), 'utf8'))
const ipsJson = readFileSync(fixturePath('ips/shl-ig-IPS_IG-bundle-01.json'), 'utf8')

describe('SMART Health Link test vectors (HL7 SHL IG)', () => {
  it('the IG’s encrypted IPS file decrypts, with the receiver’s own function, to the IPS bundle', async () => {
    const jwe = readFileSync(fixturePath('shl/hl7-ig/IPS_IG-bundle-01-enc.txt'), 'utf8')
    const opened = await decryptShlFile(keyBytes(details.shlinkJsonPayload.key), jwe)
    expect(JSON.parse(Buffer.from(opened.bytes).toString('utf8'))).toEqual(JSON.parse(ipsJson))
    await expect(decryptShlFile(keyBytes('A'.repeat(43)), jwe)).rejects.toMatchObject({ status: 400 })
    await expect(decryptShlFile(keyBytes(details.shlinkJsonPayload.key), jwe.slice(0, -2) + 'AA')).rejects.toMatchObject({ status: 400 })
  })

  it('the IG’s shlink and its viewer form decode to the IG’s payload', () => {
    expect(decodeShlink(details.shlink)).toEqual(details.shlinkJsonPayload)
    expect(decodeShlink(details.shlinkBare)).toEqual(details.shlinkJsonPayload)
    const bare = readFileSync(fixturePath('shl/hl7-ig/IPS_IG-bundle-01-shl.txt'), 'utf8').trim()
    expect(decodeShlink(bare)).toEqual(details.shlinkJsonPayload)
  })

  it('refuses what is not a link with 400', () => {
    const payload = Buffer.from(JSON.stringify({ url: 'https://a.example/m', key: 'short' })).toString('base64url')
    for (const text of ['', 'https://viewer.example/', 'shlink:/', 'shlink:/!!!', `shlink:/${Buffer.from('not json').toString('base64url')}`, `shlink:/${payload}`, `xshlink:/${payload}`]) {
      expect(() => decodeShlink(text), text).toThrow(expect.objectContaining({ status: 400 }))
    }
    const ftp = encodeShlink({ url: 'ftp://a.example/m', key: 'A'.repeat(43), exp: 1, flag: 'L', v: 1 })
    expect(() => decodeShlink(ftp)).toThrow(expect.objectContaining({ status: 400 }))
  })

  it('what this server encrypts round-trips with the content type as cty', async () => {
    const key = new Uint8Array(32).fill(7)
    const jwe = await encryptShlFile(key, Buffer.from('%PDF-1.4'), 'application/pdf')
    expect(JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'dir', enc: 'A256GCM', cty: 'application/pdf' })
    expect(jwe.split('.')[1]).toBe('')
    const opened = await decryptShlFile(key, jwe)
    expect(opened).toMatchObject({ contentType: 'application/pdf' })
    expect(Buffer.from(opened.bytes).toString()).toBe('%PDF-1.4')
  })

  it('a SMART Health Card file gives the FHIR content of its credentials, and says the signature was not verified', async () => {
    const ips = JSON.parse(ipsJson)
    const payload = deflateRawSync(Buffer.from(JSON.stringify({ iss: 'https://issuer.example', nbf: 1, vc: { type: ['https://smarthealth.cards#health-card'], credentialSubject: { fhirVersion: '4.0.1', fhirBundle: ips } } })))
    const jws = [Buffer.from(JSON.stringify({ alg: 'ES256', zip: 'DEF', kid: 'k' })).toString('base64url'), payload.toString('base64url'), 'c2ln'].join('.')
    const plan = await planOfFile('application/smart-health-card', Buffer.from(JSON.stringify({ verifiableCredential: [jws] })), { now: new Date('2026-01-01T00:00:00Z') })
    const direct = parseFhirBundle(ips, { now: new Date('2026-01-01T00:00:00Z') })
    expect(plan.allergies).toEqual(direct.allergies)
    expect(plan.conditions).toEqual(direct.conditions)
    expect(plan.medications).toEqual(direct.medications)
    expect(plan.skipped).toContainEqual({ resourceType: 'SmartHealthCard', count: 1, reason: expect.stringMatching(/without verifying/) })
    await expect(planOfFile('application/smart-health-card', Buffer.from('{"verifiableCredential":["a.b"]}'), {})).rejects.toThrow(expect.objectContaining({ status: 400 }))
    await expect(planOfFile('application/fhir+json', Buffer.from('{not json'), {})).rejects.toThrow(expect.objectContaining({ status: 400 }))
    expect((await planOfFile('application/x-unknown', Buffer.from('x'), {})).skipped).toEqual([{ resourceType: 'application/x-unknown', count: 1, reason: expect.any(String) }])
  })

  it('knows the private, loopback and link-local ranges (IPv4, IPv6, v4-mapped)', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true)
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(a), a).toBe(false)
  })
})
