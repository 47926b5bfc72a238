/**
 * The `/s/<token>` share page of a passcode-protected link in real Chromium with JavaScript
 * off (issue 10 item 6): after a wrong passcode the page says so; the right one opens a fresh
 * page with the record and no leftover "Wrong passcode", and its Download button downloads the
 * file while the page stays as it is.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { uploadRecord } from '../test/helpers/uploads.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

describe('a passcode-protected share link in real Chromium without JavaScript', () => {
  it('a wrong passcode, then the right one: the record page without the old error, and the download', async () => {
    const p = await registerUser(t)
    const content = 'Hemoglobin 13.9 g/dL\n'
    const record = await uploadRecord(t, p, { name: 'cbc.txt', bytes: content }, { category: 'lab_report', title: 'Blood count March' })
    const share = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${record.id}/shares`, headers: p.headers, payload: { expiresInHours: 24, passcode: 'blue-heron' } })
    expect(share.statusCode, share.body).toBe(201)

    const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP, acceptDownloads: true })
    const page = await context.newPage()
    await page.goto(`${base}/s/${share.json().token}`)
    await page.getByLabel('Passcode from the patient').fill('wrong-bird')
    await page.getByRole('button', { name: 'Open' }).click()
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong passcode')

    await page.getByLabel('Passcode from the patient').fill('blue-heron')
    await page.getByRole('button', { name: 'Open' }).click()
    await page.getByRole('heading', { name: 'Blood count March' }).waitFor()
    expect(await page.getByRole('alert').count()).toBe(0)
    expect(page.url()).not.toContain('blue-heron')

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
    const saved = await download.path()
    expect(await readFile(saved, 'utf8')).toBe(content)
    // The page still shows the record, and still no error.
    await page.getByRole('heading', { name: 'Blood count March' }).waitFor()
    expect(await page.getByRole('alert').count()).toBe(0)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'share-passcode-opened.png'), fullPage: true })
    await context.close()
  })
})
