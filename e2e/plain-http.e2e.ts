/// <reference lib="dom" />
/**
 * The web app over plain HTTP under a host name that is not localhost (SPEC §6), as on a
 * LAN address: `PUBLIC_URL=http://carelocker.test:<port>`, and Chromium resolves
 * `carelocker.test` to 127.0.0.1 (`--host-resolver-rules`). With `upgrade-insecure-requests`
 * in the CSP the browser would ask for every script over https and paint a blank page;
 * here the sign-in page renders, a patient signs in, and a reload keeps them signed in
 * (the refresh cookie is not `Secure` over plain HTTP) — with no console error.
 */
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, launchChromium, SCREENSHOT_DIR } from './browser.js'

const HOST = 'carelocker.test'

let t: TestApp
let base: string
let browser: Browser

/** A port that was free a moment ago, so PUBLIC_URL can name the real origin. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

beforeAll(async () => {
  const port = await freePort()
  base = `http://${HOST}:${port}`
  t = await startTestApp({ PUBLIC_URL: base })
  await t.app.listen({ host: '127.0.0.1', port })
  browser = await launchChromium([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`])
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('the web app over plain HTTP on a host that is not localhost', () => {
  it('renders the sign-in page, signs a patient in and keeps the session across a reload, with no console error', async () => {
    const patient = await registerUser(t, 'patient', { name: `Plain ${randomUUID().slice(0, 6)}` })
    const context = await browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`))
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
    try {
      const res = await page.goto(`${base}/login`)
      expect(res?.status()).toBe(200)
      expect(res?.headers()['content-security-policy']).not.toContain('upgrade-insecure-requests')
      expect(new URL(page.url()).protocol).toBe('http:')

      await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 })
      await expect(page.getByRole('button', { name: 'Sign in' }).isVisible()).resolves.toBe(true)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'plain-http-sign-in.png') })

      await page.getByLabel(/^Email/).fill(patient.email)
      await page.locator('input[type=password]').fill(patient.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 })
      expect(new URL(page.url()).pathname).toMatch(/^\/patient/)

      await page.reload()
      await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 })
      expect(new URL(page.url()).origin).toBe(base)
      expect(errors).toEqual([])
    } finally {
      await context.close()
    }
  })
})
