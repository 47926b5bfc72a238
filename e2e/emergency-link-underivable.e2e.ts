/// <reference lib="dom" />
/**
 * The emergency-card page after a master key rotation (SPEC §11) in real Chromium, on a
 * 390 px phone and on a desktop: when the server can no longer derive the patient's link
 * (`409 emergency-link-underivable`: it was made under a key the server no longer holds) the
 * page says so and offers "Make a new link", which shows the new card at once. The old link
 * is made underivable by storing the hash of a token no current key derives.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { hashToken } from '../src/app/opaque-tokens.js'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { signedInPage, useBrowserApp, type BrowserApp } from './browser-app.js'

const PHONE_390 = { width: 390, height: 844 }

let app: BrowserApp
let t: TestApp
useBrowserApp((started) => {
  app = started
  t = started.t
})

/** A patient whose stored emergency link was derived under a master key this server does not hold. */
async function patientWithUnderivableLink() {
  const patient = await registerUser(t, 'patient', { name: 'Rota Tion' })
  const created = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: patient.headers })
  expect(created.statusCode).toBe(200)
  const foreignToken = randomBytes(32).toString('base64url')
  await t.deps.db
    .updateTable('emergencyAccess')
    .set({ tokenHash: hashToken(foreignToken) })
    .where('patientId', '=', patient.id)
    .execute()
  const refused = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: patient.headers })
  expect(refused.statusCode, refused.body).toBe(409)
  expect(refused.json().type).toMatch(/emergency-link-underivable$/)
  return patient
}

describe('an emergency link the server can no longer derive', () => {
  for (const [label, viewport] of [['phone', PHONE_390], ['desktop', DESKTOP]] as const) {
    it(`explains it and makes a new link in one click (${label})`, async () => {
      const patient = await patientWithUnderivableLink()
      // Signed in at desktop width (the phone layout folds the menu), then the page at `viewport`.
      const { page, errors } = await signedInPage(app, patient, '/patient/emergency')
      await page.setViewportSize(viewport)
      const notice = page.getByTestId('emergency-underivable')
      await notice.waitFor()
      expect(await notice.textContent()).toMatch(/printed card still works/)
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `emergency-underivable-${label}.png`), fullPage: true })
      await page.getByRole('button', { name: 'Make a new link' }).click()
      await page.getByTestId('emergency-url').waitFor()
      expect(await page.getByTestId('emergency-underivable').count()).toBe(0)
      const shown = await page.getByTestId('emergency-url').textContent()
      const current = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: patient.headers })
      expect(current.statusCode).toBe(200)
      expect(shown).toBe(current.json().url)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `emergency-underivable-renewed-${label}.png`), fullPage: true })
      expect(errors.filter((e) => !/409/.test(e))).toEqual([])
    })
  }
})
