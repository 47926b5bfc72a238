/// <reference lib="dom" />
/**
 * The patient's access log in real Chromium (issue 10 item 6): events read as words
 * ("Downloaded a record", "Signed in"), never as action codes (`record.downloaded`), and an
 * event about a record names it — or says the record was deleted since.
 */
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { uploadRecord } from '../test/helpers/uploads.js'
import { SCREENSHOT_DIR } from './browser.js'
import { signedInPage, useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

describe('the access log in real Chromium', () => {
  it('says what happened in words and names the record, or that it was deleted', async () => {
    const p = await registerUser(t, 'patient', { name: 'Ines Access' })
    const kept = await uploadRecord(t, p, { name: 'cbc.txt', bytes: 'Hemoglobin 13.9 g/dL\n' }, { category: 'lab_report', title: 'Blood count March' })
    const gone = await uploadRecord(t, p, { name: 'xray.txt', bytes: 'Chest X-ray: clear\n' }, { category: 'imaging', title: 'Chest X-ray' })
    // Someone opens each record through a share link; then the patient deletes the second one.
    for (const record of [kept, gone]) {
      const share = await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${record.id}/shares`, headers: p.headers, payload: { expiresInHours: 24 } })
      expect(share.statusCode, share.body).toBe(201)
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/shared/${share.json().token}/content` })).statusCode).toBe(200)
    }
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/patients/me/records/${gone.id}`, headers: p.headers })).statusCode).toBe(204)

    const { page, errors } = await signedInPage({ browser, base }, p, `/patient/access-log`)

    const table = page.getByRole('table', { name: 'Access events' })
    const rows = table.locator('tbody tr')
    await rows.filter({ hasText: 'Downloaded a record' }).filter({ hasText: 'Blood count March' }).waitFor()
    await rows.filter({ hasText: 'Downloaded a record' }).filter({ hasText: 'A record that was deleted' }).waitFor()
    await rows.filter({ hasText: 'Signed in' }).first().waitFor()
    await rows.filter({ hasText: 'Opened a share link' }).filter({ hasText: 'Share link' }).first().waitFor()
    // No action codes such as record.downloaded or auth.logged_in anywhere in the table.
    expect(await table.textContent()).not.toMatch(/\b[a-z]+\.[a-z_]+\b/)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'access-log-desktop.png'), fullPage: true })
    // The deleted record's look-up is a 404, logged by the browser; nothing else may fail.
    expect(errors.filter((e) => !e.includes('status of 404'))).toEqual([])
    await page.context().close()
  })
})
