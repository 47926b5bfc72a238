/// <reference lib="dom" />
/**
 * Lab results (SPEC §4.8b) in real Chromium against the built web app: Marcos imports his
 * Synthea bundle through the Import page; "Lab results" lists his laboratory results, his
 * HbA1c carries a visible "▲ High" mark (a symbol and a word, not colour alone), and choosing
 * the test's name draws its trend with the reference range. Synthea writes no reference
 * ranges, so the test adds the common HbA1c reference interval (4.0–5.6 %) to the bundle's
 * HbA1c Observations before uploading it: the interpretation is then derived (above high → H).
 * Screenshots go to e2e/screenshots/.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import { fixturePath } from '../test/helpers/fixtures.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { ConsoleErrors, signIn, useBrowserApp } from './browser-app.js'

const MARCOS = fixturePath('synthea/legacy-Marcos_Delagarza_4acb6705-25a7-430a-b799-a4ad8d7fbb38.json')

let t: TestApp, base: string, browser: Browser
let patient: TestUser, page: Page, bundlePath: string, a1cCount: number
const consoleErrors = new ConsoleErrors()
useBrowserApp((app) => ({ t, base, browser } = app))

beforeAll(async () => {
  type Obs = { resourceType: string; code?: { coding?: { code?: string }[] }; referenceRange?: unknown }
  const bundle = JSON.parse(readFileSync(MARCOS, 'utf8')) as { entry: { resource: Obs }[] }
  const a1c = bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'Observation' && r.code?.coding?.some((c) => c.code === '4548-4'))
  for (const o of a1c) o.referenceRange = [{ low: { value: 4, unit: '%', code: '%' }, high: { value: 5.6, unit: '%', code: '%' } }]
  a1cCount = a1c.length
  bundlePath = path.join(mkdtempSync(path.join(tmpdir(), 'labs-e2e-')), 'marcos.json')
  writeFileSync(bundlePath, JSON.stringify(bundle))

  patient = await registerUser(t, 'patient', { name: 'Marcos Delagarza' })
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  consoleErrors.watch(page)
  await signIn(page, base, patient)
})
afterAll(async () => {
  await page?.context().close()
})

describe('lab results in the web app', () => {
  it('a patient imports a Synthea bundle, sees the lab list with an out-of-range HbA1c marked, and its trend chart', async () => {
    await page.goto(`${base}/patient/import`)
    await page.locator('input[type=file]').setInputFiles(bundlePath)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    const result = page.getByRole('status').filter({ hasText: 'Imported' })
    await result.waitFor({ timeout: 60_000 })
    const counts = Object.fromEntries(
      await result.getByRole('table', { name: 'Imported' }).locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent, Number(tr.children[1]?.textContent)])),
    )
    expect(counts['Lab results']).toBeGreaterThan(a1cCount)

    await page.getByRole('link', { name: 'Lab results' }).click()
    await page.getByRole('heading', { name: 'Lab results' }).waitFor()
    const table = page.getByRole('table', { name: 'Lab results' })
    await table.waitFor()
    await expect(table.getByRole('columnheader').allTextContents()).resolves.toEqual(['Test', 'Result', 'Interpretation', 'Reference range', 'Date'])
    expect(await page.getByTestId('lab-row').count()).toBeGreaterThan(a1cCount)
    // Pages of 50, newest first: "Load more" until the server has no more.
    const more = page.getByRole('button', { name: 'Load more' })
    while (await more.isVisible()) {
      const before = await page.getByTestId('lab-row').count()
      await more.click()
      await expect.poll(() => page.getByTestId('lab-row').count()).toBeGreaterThan(before)
    }
    const rowTexts = await page.getByTestId('lab-row').allTextContents()
    expect(rowTexts).toHaveLength(counts['Lab results'])

    // Every HbA1c row: value in %, the range, and a "▲ High" mark (Marcos's HbA1c are 6.0–6.4 %).
    const a1cRows = page.getByTestId('lab-row').filter({ hasText: 'Hemoglobin A1c' })
    await expect.poll(() => a1cRows.count()).toBe(a1cCount)
    const first = await a1cRows.first().locator('td').allTextContents()
    expect(first[1]).toMatch(/^6\.\d{1,2} %$/)
    expect(first[2]).toBe('▲ High')
    expect(first[3]).toBe('4–5.6')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'labs-list-desktop.png'), fullPage: true })

    await a1cRows.first().getByRole('button', { name: /Show the trend of Hemoglobin A1c/ }).click()
    const chart = page.getByTestId('lab-chart').getByRole('img')
    await chart.waitFor()
    const label = await chart.getAttribute('aria-label')
    expect(label).toContain(`${a1cCount} results in %`)
    expect(label).toContain('Shaded: reference range 4–5.6.')
    expect(label).toContain(`${a1cCount} outside the reference range.`)
    await expect(page.getByRole('heading', { name: /Trend: Hemoglobin A1c/ }).isVisible()).resolves.toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'labs-trend-desktop.png'), fullPage: true })

    await page.setViewportSize(PHONE_390)
    await chart.scrollIntoViewIfNeeded()
    expect(await chart.isVisible()).toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'labs-trend-390.png'), fullPage: true })
    expect(consoleErrors.lines).toEqual([])
  })
})
