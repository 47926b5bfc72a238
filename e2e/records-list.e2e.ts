/// <reference lib="dom" />
/**
 * The records list in real Chromium (issue 10 item 6): records sharing one title (as imported
 * "History and physical note"s do) differ by the date shown beside the title, and an upload
 * shows the name it was uploaded as beside the stored one.
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

describe('the records list in real Chromium', () => {
  it('shows each record’s date beside its title and an upload’s original file name', async () => {
    const p = await registerUser(t, 'patient', { name: 'Rita Records' })
    const title = 'History and physical note'
    const a = await uploadRecord(t, p, { name: 'visit-one.txt', bytes: 'first visit\n' }, { category: 'clinical_note', title, recordDate: '2019-03-12' })
    const b = await uploadRecord(t, p, { name: 'visit-two.txt', bytes: 'second visit\n' }, { category: 'clinical_note', title, recordDate: '2021-11-30' })

    const { page, errors } = await signedInPage({ browser, base }, p, `/patient/records`)

    const rows = page.getByTestId('record-row').filter({ hasText: title })
    await rows.nth(1).waitFor()
    const dateOf = (iso: string) => page.evaluate((d) => new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }).format(new Date(d + 'T12:00:00')), iso)
    const texts = await rows.allTextContents()
    expect(texts).toHaveLength(2)
    // Newest first; each row carries its own date and the name it was uploaded as.
    expect(texts[0]).toContain(await dateOf('2021-11-30'))
    expect(texts[0]).toContain(`(uploaded as visit-two.txt)`)
    expect(texts[0]).toContain(String(b.fileName))
    expect(texts[1]).toContain(await dateOf('2019-03-12'))
    expect(texts[1]).toContain(`(uploaded as visit-one.txt)`)
    expect(texts[1]).toContain(String(a.fileName))
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'records-list-desktop.png'), fullPage: true })
    expect(errors).toEqual([])
    await page.context().close()
  })
})
