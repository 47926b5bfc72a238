/// <reference lib="dom" />
/**
 * The screens of SPEC §9 and §4.8b at 390 px and at desktop width: SMART Health Links (with
 * a link created and listed), its viewer, Your data, and Lab results after a C-CDA import.
 * Each must fit the phone without sideways scrolling; screenshots go to e2e/screenshots/.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import { fixturePath } from '../test/helpers/fixtures.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { signedInPage, useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app), {}, { publicUrl: (port) => `http://127.0.0.1:${port}` })

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

describe('SPEC §9 and §4.8b screens at 390 px and desktop', () => {
  it('SMART Health Links, the viewer, Your data and the import result fit a phone', async () => {
    const p = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
    const ccd = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import?confirm=identity', headers: { ...p.headers, 'content-type': 'application/xml' }, payload: readFileSync(fixturePath('ccda/CCD-1.xml')) })
    expect(ccd.statusCode, ccd.body).toBe(200)
    const shl = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/shl', headers: p.headers, payload: { label: 'For the clinic', passcode: 'blue-heron', include: { summary: true, recordIds: [] } } })
    expect(shl.statusCode, shl.body).toBe(201)
    const viewerUrl = (shl.json() as { viewerUrl: string }).viewerUrl

    // Signed in at desktop width (the phone shell keeps Sign out behind the menu), then resized.
    const { page, errors } = await signedInPage({ browser, base }, p, '/patient/shl')
    for (const [name, viewport] of [['390', PHONE_390], ['desktop', DESKTOP]] as const) {
      await page.setViewportSize(viewport)
      await page.goto(`${base}/patient/shl`)
      await page.getByRole('cell', { name: 'For the clinic' }).waitFor()
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `shl-list-${name}.png`), fullPage: true })
      expect(await fitsWidth(page), `SMART Health Links page at ${name}`).toBe(true)

      await page.goto(`${base}/patient/your-data`)
      await page.getByRole('button', { name: /Export everything/ }).waitFor()
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `your-data-${name}.png`), fullPage: true })
      expect(await fitsWidth(page), `Your data at ${name}`).toBe(true)

      await page.goto(`${base}/patient/labs`)
      await page.getByRole('heading', { name: 'Lab results' }).waitFor()
      await page.getByRole('table').first().waitFor()
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `labs-ccda-${name}.png`), fullPage: true })
      expect(await fitsWidth(page), `Lab results at ${name}`).toBe(true)
      // The value and its mark come before the date, so a phone shows them without scrolling the table.
      const mark = await page.getByTestId('lab-row').first().locator('td').nth(2).boundingBox()
      expect(mark && mark.x + mark.width <= viewport.width, `interpretation visible at ${name}`).toBe(true)
      expect(errors).toEqual([])

      const viewer = await (await browser.newContext({ viewport })).newPage()
      await viewer.goto(viewerUrl)
      await viewer.getByLabel('Your name').fill('Dr. Ana Ruiz')
      await viewer.getByLabel('Passcode').fill('blue-heron')
      await viewer.getByRole('button', { name: 'Open' }).click()
      await viewer.getByTestId('shl-summary').waitFor()
      // A blood-pressure panel reads as a pressure, not as its two components' names.
      await viewer.getByTestId('shl-summary').getByText(/Blood pressure: 132\/88 mmHg/).waitFor()
      await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, `shl-viewer-${name}.png`), fullPage: true })
      expect(await fitsWidth(viewer), `viewer at ${name}`).toBe(true)
    }
  })
})
