/**
 * Import from more sources (SPEC §9) in real Chromium: Eve imports her C-CDA document
 * (HL7's CCD example) through the import page — dropped onto the drop area — sees it
 * uploaded, processed and counted per kind (lab results included) with what was skipped,
 * then imports it again and is told nothing was new. A pasted text that is no SMART Health
 * Link is refused before anything is sent. Screenshots go to e2e/screenshots/.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import { fixturePath } from '../test/helpers/fixtures.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { ConsoleErrors, signIn, useBrowserApp } from './browser-app.js'

const CCD = fixturePath('ccda/CCD-1.xml')

let t: TestApp
let base: string
let browser: Browser
let context: BrowserContext
let page: Page
let eve: TestUser
const consoleErrors = new ConsoleErrors()

useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  context = await browser.newContext({ viewport: DESKTOP })
  page = await context.newPage()
  consoleErrors.watch(page)
  eve = await registerUser(t, 'patient', { name: 'Eve Betterhalf' })
})

afterAll(async () => {
  await context?.close()
})

/** The result's counts table as {kind: number}. */
async function shownCounts(): Promise<Record<string, number>> {
  const result = page.getByRole('status').filter({ hasText: 'Imported' })
  await result.waitFor({ timeout: 60_000 })
  return Object.fromEntries(
    await result.getByRole('table', { name: 'Imported' }).locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent, Number(tr.children[1]?.textContent)])),
  )
}

/** Drops `file` onto the page's drop area, as a person dragging it from their desktop would. */
async function dropFile(file: string, mimeType: string): Promise<void> {
  const bytes = [...readFileSync(file)]
  const transfer = await page.evaluateHandle(
    ({ bytes, name, mimeType }) => {
      const dt = new DataTransfer()
      dt.items.add(new File([new Uint8Array(bytes)], name, { type: mimeType }))
      return dt
    },
    { bytes, name: path.basename(file), mimeType },
  )
  await page.getByRole('group', { name: 'Import file' }).dispatchEvent('drop', { dataTransfer: transfer })
}

describe('import page for every source in real Chromium (SPEC §9)', () => {
  it('imports a dropped C-CDA document and shows the counts per kind, labs included, and what was skipped', async () => {
    await signIn(page, base, eve)
    await page.goto(`${base}/patient/import`)
    await page.getByRole('heading', { name: 'Import from another system' }).waitFor()

    await dropFile(CCD, 'text/xml')
    await page.getByText(/CCD-1\.xml .* C-CDA document or Apple Health export/).waitFor()
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    expect(await shownCounts()).toEqual({ Allergies: 2, Conditions: 4, Medications: 2, Vitals: 6, 'Lab results': 5, Records: 1 })
    const skipped = page.getByRole('table', { name: 'Skipped' })
    await expect(skipped.textContent()).resolves.toContain('result without a value')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'import-ccda-desktop.png'), fullPage: true })

    // The locker holds them, read through the API rather than the page.
    const records = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records?limit=100', headers: eve.headers })).json()
    expect(records.items).toEqual([expect.objectContaining({ contentType: 'application/xml', source: 'import' })])
    expect(consoleErrors.lines).toEqual([])
  })

  it('the same document again through the file picker: all counts 0 and "nothing new"', async () => {
    await page.locator('input[type=file]').setInputFiles(CCD)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByText('Nothing new: this file was imported before.').waitFor({ timeout: 60_000 })
    expect(Object.values(await shownCounts()).every((n) => n === 0)).toBe(true)
    expect(consoleErrors.lines).toEqual([])
  })

  it('a pasted text that is no SMART Health Link is refused on the page; nothing is sent', async () => {
    await page.getByLabel('SMART Health Link').fill('https://example.test/not-a-link')
    await page.getByText('This is not a SMART Health Link.').waitFor()
    await expect(page.getByRole('button', { name: 'Import from link' }).isDisabled()).resolves.toBe(true)
    await page.getByLabel('SMART Health Link').fill('https://viewer.example.test/shl#shlink:/eyJhIjoiYiJ9')
    await expect(page.getByRole('button', { name: 'Import from link' }).isEnabled()).resolves.toBe(true)
    expect(consoleErrors.lines).toEqual([])
  })
})
