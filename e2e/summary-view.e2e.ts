/// <reference lib="dom" />
/**
 * The doctor's summary tab in real Chromium (issue 10 item 6): the severity badges show
 * their whole word ("Critical", "Warning", never "W…") beside a long message, even on a
 * 390 px phone, and each highlight appears once — the rules text adds only its count line.
 */
import path from 'node:path'
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { registerUser, registerVerified } from '../test/helpers/factories.js'
import { consent } from '../test/helpers/prescriptions.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { signedInPage, useBrowserApp } from './browser-app.js'

const PHONE_390 = { width: 390, height: 844 }

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

describe('the doctor’s summary tab in real Chromium', () => {
  it('shows whole severity words and each highlight once', async () => {
    const p = await registerUser(t, 'patient', { name: 'Sam Summary' })
    const profile = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me/profile',
      headers: p.headers,
      payload: { fullName: 'Sam Summary', dateOfBirth: '1970-01-01', allergies: [{ substance: 'Penicillin', severity: 'severe', reaction: 'Anaphylaxis' }] },
    })
    expect(profile.statusCode, profile.body).toBe(200)
    for (const reading of [{ systolic: 150, diastolic: 95 }, { systolic: 186, diastolic: 121 }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: p.headers, payload: { type: 'blood_pressure', ...reading } })
      expect(res.statusCode, res.body).toBe(201)
    }
    const doctor = await registerVerified(t, 'doctor')
    await consent(t, p.id, doctor.id)
    const summary = (await t.app.inject({ method: 'GET', url: `/api/v1/patients/${p.id}/summary`, headers: doctor.headers })).json()
    expect(summary.generator).toBe('rules')
    expect(summary.highlights.length).toBeGreaterThan(1)

    const { page, errors } = await signedInPage({ browser, base }, doctor, `/doctor/patients/${p.id}`)
    await page.getByRole('tab', { name: 'Summary' }).click()
    const highlights = page.getByLabel('Highlights')
    await highlights.waitFor()

    for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE_390]] as const) {
      await page.setViewportSize(viewport)
      // The signed-in layout slides its navigation away on a phone: wait until it has.
      await page.waitForFunction(() => {
        const shell = document.querySelector('.mantine-AppShell-main')
        return !shell || shell.getBoundingClientRect().left === 0 || window.innerWidth > 768
      })
      const badges = highlights.locator('.mantine-Badge-root')
      expect(await badges.count()).toBe(summary.highlights.length)
      // Every badge shows its whole word: the label is not cut (no ellipsis).
      const cut = await badges.evaluateAll((els) =>
        els.map((el) => el.querySelector('.mantine-Badge-label') ?? el).filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent),
      )
      expect(cut, `${name}: cut badges`).toEqual([])
      const words = new Set(await badges.allTextContents())
      for (const w of words) expect(['Critical', 'Warning', 'Info']).toContain(w)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `summary-${name}.png`), fullPage: true })
    }
    // Each highlight's message appears once on the page (not again in the text card).
    const body = (await page.locator('main').textContent()) ?? ''
    for (const h of summary.highlights as { message: string }[]) expect(body.split(h.message).length - 1, h.message).toBe(1)
    await page.getByText(/^Health summary \(rules\): \d+ critical/).waitFor()
    expect(errors).toEqual([])
    await page.context().close()
  })
})
