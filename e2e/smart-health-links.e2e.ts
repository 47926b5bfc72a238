/// <reference lib="dom" />
/**
 * SMART Health Links in real Chromium (SPEC §9): a patient makes a link with a passcode on
 * the SMART Health Links page → a fresh browser context (no session) opens the viewer URL,
 * gives a name, gets "Wrong passcode" with the tries left, then the right passcode shows the
 * summary decrypted in the browser (the allergy first) → the patient's list shows who opened it.
 */
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { signedInPage, useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app), {}, { publicUrl: (port) => `http://127.0.0.1:${port}` })

describe('SMART Health Links in real Chromium', () => {
  it('create with a passcode → a stranger opens the viewer, a wrong passcode says the tries left, the right one shows the summary → the access is listed', async () => {
    const p = await registerUser(t, 'patient', { name: 'Lena Viewer' })
    const profile = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me/profile',
      headers: p.headers,
      payload: { fullName: 'Lena Viewer', dateOfBirth: '1984-02-11', allergies: [{ substance: 'Peanut', reaction: 'Anaphylaxis', severity: 'severe' }], conditions: [{ name: 'Migraine', status: 'active' }] },
    })
    expect(profile.statusCode, profile.body).toBe(200)

    const { page, errors } = await signedInPage({ browser, base }, p, '/patient/shl')
    await page.getByLabel('Label (optional)').fill('For the ER')
    await page.getByLabel('Passcode (optional)').fill('blue-heron')
    await page.getByRole('button', { name: 'Create link' }).click()
    const viewerField = page.getByTestId('shl-viewer-url')
    await viewerField.waitFor()
    const viewerUrl = await viewerField.inputValue()
    expect(viewerUrl).toMatch(new RegExp(`^${base.replace(/[.]/g, '\\.')}/shl#shlink:/`))
    await page.getByTestId('shl-qr').waitFor()
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'shl-created.png'), fullPage: true })

    // A fresh context: no session, no cookies — only the link.
    const stranger = await browser.newContext({ viewport: DESKTOP })
    const viewer = await stranger.newPage()
    await viewer.goto(viewerUrl)
    await viewer.getByRole('heading', { name: 'For the ER' }).waitFor()
    await viewer.getByLabel('Your name').fill('Dr. Ana Ruiz')
    await viewer.getByLabel('Passcode').fill('wrong-bird')
    await viewer.getByRole('button', { name: 'Open' }).click()
    await expect(viewer.getByRole('alert').textContent()).resolves.toMatch(/Wrong passcode\. 9 tries left\./)

    await viewer.getByLabel('Passcode').fill('blue-heron')
    await viewer.getByRole('button', { name: 'Open' }).click()
    const summary = viewer.getByTestId('shl-summary')
    await summary.waitFor()
    await summary.getByText('Peanut — Anaphylaxis (severe)').waitFor()
    await summary.getByText(/Migraine/).waitFor()
    const headings = await summary.getByRole('heading', { level: 3 }).allTextContents()
    expect(headings[0]).toMatch(/Allerg/)
    await viewer.screenshot({ path: path.join(SCREENSHOT_DIR, 'shl-viewer.png'), fullPage: true })
    await stranger.close()

    await page.reload()
    await page.getByTestId('shl-accesses').getByText(/Dr\. Ana Ruiz/).waitFor()
    await page.getByText('Yes (9 tries left)').waitFor()
    expect(errors).toEqual([])
  })
})
