/** redactUrl keeps link secrets (share, emergency, SMART Health Link) out of request logs (SPEC §6). */
import { describe, expect, it } from 'vitest'
import { redactUrl } from './logger.js'

describe('redactUrl', () => {
  it('redacts SMART Health Link manifest ids and file-location tokens', () => {
    expect(redactUrl('/api/v1/shl/AbCdEf0123456789abcdefABCDEF0123456789abcde')).toBe('/api/v1/shl/:token')
    expect(redactUrl('/api/v1/shl-files/tok_secret-123?x=1')).toBe('/api/v1/shl-files/:token')
  })

  it('still redacts share and emergency tokens and drops the query string', () => {
    expect(redactUrl('/api/v1/shared/abc/content?x=1')).toBe('/api/v1/shared/:token/content')
    expect(redactUrl('/api/v1/emergency/xyz')).toBe('/api/v1/emergency/:token')
    expect(redactUrl('/s/abc')).toBe('/s/:token')
  })

  it('leaves ordinary paths alone', () => {
    expect(redactUrl('/api/v1/patients/me/shl?limit=5')).toBe('/api/v1/patients/me/shl')
    expect(redactUrl('/api/v1/shlx/abc')).toBe('/api/v1/shlx/abc')
  })
})
