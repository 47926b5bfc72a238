/// <reference lib="dom" />
/**
 * The patient's access log in real Chromium (issue 10 item 6): events read as words
 * ("Downloaded a record", "Signed in"), never as action codes (`record.downloaded`), and an
 * event about a record names it — or says the record was deleted since. "Check" proves an
 * event against the signed tree head in the browser, and fails for an event edited later
 * (issue 11, SPEC §4.7).
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
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)

    const { page, errors } = await signedInPage({ browser, base }, p, `/patient/access-log`)

    const table = page.getByRole('table', { name: 'Access events' })
    const rows = table.locator('tbody tr')
    await rows.filter({ hasText: 'Downloaded a record' }).filter({ hasText: 'Blood count March' }).waitFor()
    await rows.filter({ hasText: 'Downloaded a record' }).filter({ hasText: 'A record that was deleted' }).waitFor()
    await rows.filter({ hasText: 'Signed in' }).first().waitFor()
    await rows.filter({ hasText: 'Opened a share link' }).filter({ hasText: 'Share link' }).first().waitFor()
    // No action codes such as record.downloaded or auth.logged_in anywhere in the table.
    expect(await table.textContent()).not.toMatch(/\b[a-z]+\.[a-z_]+\b/)

    // "Check" proves in the browser that an event is in the signed log (SPEC §4.7)…
    const kept1 = rows.filter({ hasText: 'Downloaded a record' }).filter({ hasText: 'Blood count March' })
    await kept1.getByRole('button', { name: /^Check that event \d+ is in the signed log$/ }).click()
    await kept1.getByText('In the signed log').waitFor()
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'access-log-desktop.png'), fullPage: true })
    // On a phone the table scrolls inside its own box; the page itself never scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 })
    await kept1.getByText('In the signed log').scrollIntoViewIfNeeded()
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'access-log-phone.png'), fullPage: true })
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await page.setViewportSize({ width: 1280, height: 800 })

    // …and finds an event changed in the database afterwards: it no longer leads to the signed root.
    const signIn = (await t.deps.db.selectFrom('auditEvents').select('seq').where('patientId', '=', p.id).where('action', '=', 'auth.logged_in').executeTakeFirstOrThrow()).seq
    await t.deps.db.updateTable('auditEvents').set({ ip: '203.0.113.66' }).where('seq', '=', signIn).execute()
    await page.reload()
    const edited = rows.filter({ hasText: '203.0.113.66' })
    await edited.getByRole('button', { name: `Check that event ${signIn} is in the signed log` }).click()
    await edited.getByRole('alert').filter({ hasText: 'The proof does not lead to the signed tree head.' }).waitFor()
    // The deleted record's look-up is a 404, logged by the browser; nothing else may fail.
    expect(errors.filter((e) => !e.includes('status of 404'))).toEqual([])
    await page.context().close()
  })
})
