import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE, SCREENSHOT_DIR } from './browser.js'
import { useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

describe('the /e/<token> emergency page in real Chromium', () => {
  it('shows blood group and allergies in the first screen of a phone, with JavaScript disabled', async () => {
    const p = await registerUser(t, 'patient', { name: 'Maria Lopez' })
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me/profile',
      headers: p.headers,
      payload: {
        fullName: 'Maria Lopez',
        dateOfBirth: '1980-04-02',
        bloodGroup: 'AB-',
        allergies: [{ substance: 'Penicillin', severity: 'severe', reaction: 'Anaphylaxis' }, { substance: 'Peanuts', severity: 'moderate' }],
        conditions: [{ name: 'Type 1 diabetes', status: 'active' }],
        medications: [{ name: 'Insulin glargine', dosage: '20 units', frequency: 'nightly' }],
        emergencyContacts: [{ name: 'Luis Lopez', relationship: 'spouse', phone: '+14155550123' }],
      },
    })
    expect(put.statusCode).toBe(200)
    const { token } = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json()

    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport })
      const page = await context.newPage()
      const errors: string[] = []
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
      const res = await page.goto(`${base}/e/${token}`)
      expect(res?.status()).toBe(200)
      const blood = page.locator('#blood-group')
      const allergies = page.locator('#allergies')
      await expect(blood.textContent()).resolves.toContain('AB-')
      await expect(allergies.textContent()).resolves.toContain('Penicillin')
      // In the first screen: both boxes end above the fold.
      for (const box of [await blood.boundingBox(), await allergies.boundingBox()]) {
        expect(box).not.toBeNull()
        expect((box?.y ?? 0) + (box?.height ?? 0)).toBeLessThanOrEqual(viewport.height)
      }
      // Nothing wider than the screen (no sideways scrolling on a 360 px phone).
      const main = await page.locator('main').boundingBox()
      expect((main?.x ?? 0) + (main?.width ?? Infinity)).toBeLessThanOrEqual(viewport.width)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `emergency-${name}.png`), fullPage: true })
      expect(errors).toEqual([])
      await context.close()
    }
  })
})
