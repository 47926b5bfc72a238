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
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { useBrowserApp, watchConsole } from './browser-app.js'

const HOST = 'carelocker.test'

let t: TestApp
let base: string
let browser: Browser

// The browser opens the public origin, which Chromium resolves to the app's loopback listener.
useBrowserApp((app) => ({ t, browser, publicUrl: base = '' } = app), {}, {
  publicUrl: (port) => `http://${HOST}:${port}`,
  chromiumArgs: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`],
})

describe('the web app over plain HTTP on a host that is not localhost', () => {
  it('renders the sign-in page, signs a patient in and keeps the session across a reload, with no console error', async () => {
    const patient = await registerUser(t, 'patient', { name: `Plain ${randomUUID().slice(0, 6)}` })
    const context = await browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const errors: string[] = []
    watchConsole(page, (line) => errors.push(line), { withUrl: true })
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
