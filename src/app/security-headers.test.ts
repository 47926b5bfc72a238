/**
 * Security headers follow PUBLIC_URL (SPEC §6): behind TLS the CSP asks the browser to
 * upgrade insecure requests, and HSTS and Cross-Origin-Opener-Policy are sent; over plain
 * HTTP (a LAN address) none of them, or the web app would load its scripts over https and
 * show a blank page (and the browser would log an error for the ignored COOP).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../test/helpers/test-app.js'

let plain: TestApp
let tls: TestApp
beforeAll(async () => {
  plain = await startTestApp({ PUBLIC_URL: 'http://192.168.1.20:3000' })
  tls = await startTestApp({ PUBLIC_URL: 'https://carelocker.example' })
})
afterAll(async () => {
  await plain?.close()
  await tls?.close()
})

const directives = (csp: string | string[] | number | undefined) =>
  String(csp)
    .split(';')
    .map((d) => d.trim().split(' ')[0])

describe('security headers and PUBLIC_URL', () => {
  it('over plain HTTP the CSP has no upgrade-insecure-requests and there is no HSTS', async () => {
    for (const url of ['/login', '/api/v1/openapi.json', '/health']) {
      const res = await plain.app.inject({ method: 'GET', url })
      expect(directives(res.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests')
      expect(directives(res.headers['content-security-policy'])).toContain('frame-ancestors')
      expect(res.headers['strict-transport-security']).toBeUndefined()
      // Ignored there, with a console error on every page.
      expect(res.headers['cross-origin-opener-policy']).toBeUndefined()
    }
  })

  it('behind TLS the CSP upgrades insecure requests and HSTS is sent', async () => {
    for (const url of ['/login', '/api/v1/openapi.json', '/health']) {
      const res = await tls.app.inject({ method: 'GET', url })
      expect(directives(res.headers['content-security-policy'])).toContain('upgrade-insecure-requests')
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/)
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin')
    }
  })
})
