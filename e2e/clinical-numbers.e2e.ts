/// <reference lib="dom" />
/**
 * Forms never rewrite a clinical number (SPEC §4.8), in real Chromium against the built web
 * app: a systolic 400 is not clamped to 300 on blur but sent, and the server's 400 — the
 * range and unit in words — appears under the field with nothing saved; "Measured at" is the
 * moment of saving unless the user sets it, so two readings saved a little apart get two
 * timestamps and "Latest" is the second; an edit clears the stale "Saved" message.
 */
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { signIn, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
let patient: TestUser, page: Page
useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  patient = await registerUser(t, 'patient', { name: 'Maria Lopez' })
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  await signIn(page, base, patient)
})

const field = (label: string) => page.getByLabel(label, { exact: true })
const storedVitals = async () =>
  (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/vitals?type=blood_pressure', headers: patient.headers })).json().items as {
    systolic: number
    diastolic: number
    measuredAt: string
  }[]

describe('clinical numbers in the vitals form', () => {
  it('a systolic 400 stays 400, the server refuses it under the field with the range in mmHg, and nothing is saved', async () => {
    await page.goto(`${base}/patient/vitals`)
    await field('Systolic (mmHg)').fill('400')
    await field('Diastolic (mmHg)').fill('95')
    await field('Note').click() // blur: Mantine used to clamp 400 to 300 here
    expect(await field('Systolic (mmHg)').inputValue()).toBe('400')
    await page.getByRole('button', { name: 'Add reading' }).click()

    const systolic = field('Systolic (mmHg)')
    await expect.poll(() => systolic.getAttribute('aria-invalid')).toBe('true')
    const id = await systolic.getAttribute('id')
    const message = page.locator(`[id="${id}-error"]`)
    expect(await message.textContent()).toBe('Systolic pressure 400 mmHg is outside the plausible range of 40–300 mmHg.')
    expect(await systolic.inputValue()).toBe('400')
    expect(await storedVitals()).toEqual([])

    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vitals-out-of-range-desktop.png'), fullPage: true })
    await page.setViewportSize(PHONE_390)
    await message.scrollIntoViewIfNeeded()
    expect(await message.isVisible()).toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vitals-out-of-range-phone.png'), fullPage: true })
    await page.setViewportSize(DESKTOP)

    // Editing the field clears its error.
    await systolic.fill('128')
    await expect.poll(() => systolic.getAttribute('aria-invalid')).not.toBe('true')
  })

  it('two readings saved a little apart without touching "Measured at" get two timestamps, and Latest is the second', async () => {
    await page.goto(`${base}/patient/vitals`)
    await field('Systolic (mmHg)').fill('128')
    await field('Diastolic (mmHg)').fill('82')
    await page.getByRole('button', { name: 'Add reading' }).click()
    const saved = page.getByRole('status').filter({ hasText: 'Saved: 128/82 mmHg' })
    await saved.waitFor()
    const [first] = await storedVitals()
    expect(first).toMatchObject({ systolic: 128, diastolic: 82 })

    // An edit makes the "Saved" message stale: it goes.
    await field('Systolic (mmHg)').fill('118')
    await saved.waitFor({ state: 'detached' })

    // "A bit apart": wait until the server's clock is past the first reading's time.
    await expect.poll(() => Date.now() > Date.parse(first!.measuredAt) + 1000, { timeout: 10_000 }).toBe(true)
    await field('Diastolic (mmHg)').fill('76')
    await page.getByRole('button', { name: 'Add reading' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved: 118/76 mmHg' }).waitFor()

    const items = await storedVitals()
    expect(items).toHaveLength(2)
    const second = items.find((v) => v.systolic === 118)!
    expect(second.measuredAt).not.toBe(first!.measuredAt)
    expect(Date.parse(second.measuredAt)).toBeGreaterThan(Date.parse(first!.measuredAt))
    await page.getByTestId('vital-card-blood_pressure').getByText('118/76 mmHg', { exact: true }).waitFor()
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'vitals-two-readings-desktop.png'), fullPage: true })
  })
})
