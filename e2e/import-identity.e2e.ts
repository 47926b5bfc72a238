/**
 * "Whose record is it?" (SPEC §4.4) in real Chromium: Maria, whose profile says who she is,
 * uploads another person's Synthea bundle. The server answers 409 identity-mismatch and the
 * import page shows the differences in a dialog; Cancel leaves the locker untouched, and
 * "Import anyway" sends the file again with ?confirm=identity and shows the counts.
 * Screenshots of the dialog at 390 px and desktop width go to e2e/screenshots/.
 */
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import { fixturePath } from '../test/helpers/fixtures.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { ConsoleErrors, signIn, useBrowserApp } from './browser-app.js'

const BOBBIE = fixturePath('synthea/Bobbie849_Brekke496_60739794-1d06-debc-7835-30f2f8e4314c.json')

let t: TestApp
let base: string
let browser: Browser
let context: BrowserContext
let page: Page
let maria: TestUser
const consoleErrors = new ConsoleErrors()

useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  context = await browser.newContext({ viewport: DESKTOP })
  page = await context.newPage()
  consoleErrors.watch(page)

  maria = await registerUser(t, 'patient', { name: 'Maria Lopez' })
  const put = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: maria.headers,
    payload: { fullName: 'Maria Lopez', dateOfBirth: '1980-04-02', sex: 'female', allergies: [{ substance: 'Penicillin', severity: 'severe' }] },
  })
  expect(put.statusCode, put.body).toBe(200)
})

afterAll(async () => {
  await context?.close()
})

/** What Maria's locker holds, read through the API (not the page under test). */
async function lockerCounts() {
  const get = async (p: string) => {
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/patients/me/${p}`, headers: maria.headers })
    expect(res.statusCode, res.body).toBe(200)
    return res.json()
  }
  const profile = await get('profile')
  await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
  return {
    records: (await get('records?limit=100')).items.length as number,
    vitals: (await get('vitals?limit=100')).items.length as number,
    conditions: profile.conditions.length as number,
    imports: (await get('audit?action=import.completed')).items as { resource: { type: string } }[],
    profile: { fullName: profile.fullName, dateOfBirth: profile.dateOfBirth, sex: profile.sex },
  }
}

/** Removes exactly one browser log line of the deliberate 409, failing when it is absent. */
const allowConflictLog = () => consoleErrors.allowOne(409)

async function uploadBundle(): Promise<void> {
  await page.locator('input[type=file]').setInputFiles(BOBBIE)
  await page.getByRole('button', { name: 'Import', exact: true }).click()
}

describe('import identity check in real Chromium (SPEC §4.4)', () => {
  it("shows the differences of another person's bundle in a dialog; Cancel imports nothing", async () => {
    await signIn(page, base, maria)
    await page.goto(`${base}/patient/import`)
    await page.getByRole('heading', { name: 'Import from another system' }).waitFor()

    await uploadBundle()
    const dialog = page.getByRole('dialog', { name: 'Is this your record?' })
    await dialog.waitFor()
    allowConflictLog()
    const table = dialog.getByRole('table', { name: 'Differences' })
    await expect(table.getByRole('columnheader').allTextContents()).resolves.toEqual(['', 'In your locker', 'In the file'])
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim())))
    expect(rows).toEqual([
      ['Name', 'Maria Lopez', 'Bobbie849 Brekke496'],
      ['Date of birth', expect.stringMatching(/1980/), expect.stringMatching(/1983/)],
      ['Sex', 'Female', 'Male'],
    ])
    await expect(dialog.textContent()).resolves.toContain('Nothing has been imported')

    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'import-identity-dialog-desktop.png') })
    await page.setViewportSize(PHONE_390)
    await page.waitForTimeout(250)
    // Nothing in the dialog (the long Synthea file name included) paints right of the screen.
    const right = await dialog.evaluate((el) => Math.max(...[el, ...el.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)))
    expect(right, 'the dialog fits a 390 px screen').toBeLessThanOrEqual(PHONE_390.width)
    for (const name of ['Cancel', 'Import anyway']) await expect(dialog.getByRole('button', { name }).isVisible()).resolves.toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'import-identity-dialog-390.png') })
    await page.setViewportSize(DESKTOP)

    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('status').filter({ hasText: 'Not imported' }).waitFor()
    expect(await lockerCounts()).toEqual({
      records: 0,
      vitals: 0,
      conditions: 0,
      imports: [],
      profile: { fullName: 'Maria Lopez', dateOfBirth: '1980-04-02', sex: 'female' },
    })
    expect(consoleErrors.lines).toEqual([])
  })

  it('"Import anyway" imports the bundle, shows the counts, and the audit log says it was confirmed', async () => {
    await uploadBundle()
    const dialog = page.getByRole('dialog', { name: 'Is this your record?' })
    await dialog.waitFor()
    allowConflictLog()
    await dialog.getByRole('button', { name: 'Import anyway' }).click()
    const result = page.getByRole('status').filter({ hasText: 'Imported' })
    await result.waitFor({ timeout: 60_000 })
    const counts = Object.fromEntries(
      await result.getByRole('table', { name: 'Imported' }).locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent, Number(tr.children[1]?.textContent)])),
    )
    expect(counts.Conditions).toBeGreaterThan(0)
    expect(counts.Vitals).toBeGreaterThan(0)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'import-identity-confirmed-desktop.png'), fullPage: true })

    const after = await lockerCounts()
    expect(after.conditions).toBeGreaterThan(0)
    expect(after.vitals).toBeGreaterThan(0)
    expect(after.profile).toEqual({ fullName: 'Maria Lopez', dateOfBirth: '1980-04-02', sex: 'female' })
    expect(after.imports.map((e) => e.resource.type)).toEqual(['import-confirmed'])
    expect(consoleErrors.lines).toEqual([])
  })
})
