/// <reference lib="dom" />
/**
 * The notification bell (SPEC §10 "Notifications") in real Chromium against the built web app,
 * on a 390 px phone: a patient signed in from a new browser (the first notification) has asked a doctor for a consultation; the doctor
 * approves it through the API; the bell's unread count goes up without a reload (the live
 * stream on a fresh ticket); opening the bell shows the approval in words; "Mark all read"
 * clears the count. The header never scrolls sideways. Screenshots go to e2e/screenshots/.
 */
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { waitUntil } from '../test/helpers/wait.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { ConsoleErrors, signIn, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
let patient: TestUser, doctor: TestUser, page: Page
const consoleErrors = new ConsoleErrors()
useBrowserApp((app) => ({ t, base, browser } = app))

beforeAll(async () => {
  patient = await registerUser(t, 'patient', { name: 'Nina Patel' })
  doctor = await registerVerified(t, 'doctor', await createAdmin(t))
  // Signed in at desktop width (the sign-in helper waits for the header's Sign out button, which a phone hides), then a 390 px phone.
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  consoleErrors.watch(page)
  await signIn(page, base, patient)
  await page.setViewportSize(PHONE_390)
})
afterAll(async () => {
  await page?.context().close()
})

describe('the notification bell', () => {
  it("counts a doctor's approval live, shows it as approved, and marks all read", async () => {
    await page.getByTestId('notification-bell').waitFor()
    // Signing in from this new browser was the first notification.
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor({ timeout: 10_000 })
    const requested = await t.app.inject({ method: 'POST', url: '/api/v1/consultations', headers: patient.headers, payload: { doctorId: doctor.id } })
    expect(requested.statusCode, requested.body).toBe(201)
    // Let the page's stream connect (its ticket, its EventSource) before the event is raised.
    await waitUntil(async () => (await t.deps.db.selectFrom('notificationStreamTickets').select('usedAt').where('userId', '=', patient.id).where('usedAt', 'is not', null).execute()).length > 0, 15_000, 'the stream to open')
    const approved = await t.app.inject({ method: 'POST', url: `/api/v1/consultations/${requested.json().id}/approve`, headers: doctor.headers })
    expect(approved.statusCode, approved.body).toBe(200)

    // No reload: the stream's event refreshes the count.
    await page.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor({ timeout: 10_000 })
    await page.getByTestId('notification-bell').click()
    const items = page.getByTestId('notification-item')
    await items.first().waitFor()
    expect(await items.first().textContent()).toContain('approved your consultation')
    expect(await items.nth(1).textContent()).toContain('New sign-in')
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE_390.width)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'notifications-bell-390.png') })

    await page.getByRole('button', { name: 'Mark all read' }).click()
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor({ timeout: 10_000 })
    consoleErrors.expectNone()
  })
})
