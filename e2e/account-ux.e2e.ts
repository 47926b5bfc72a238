/// <reference lib="dom" />
/**
 * The first hour of an account in real Chromium (issue 10 item 5; SPEC §1, §4.1, §6):
 *
 * - a pending doctor sees what happens next, and the page opens the workspace by itself once
 *   an admin verifies the account (a window focus triggers the check; no clock involved);
 * - a patient changes their password from the user menu: a too-short one, a wrong current
 *   password and a too-common new one show their errors under the inputs, success says other devices were
 *   signed out — and they were;
 * - when the session is revoked (the password changed from another session), the next
 *   navigation lands on the sign-in page saying the session ended, and signing in returns to
 *   the page the user was on;
 * - with PUBLIC_URL on localhost, an admin sees the banner in the admin area.
 *
 * The server runs with PUBLIC_URL=http://localhost:<port> and the browser opens it at
 * 127.0.0.1, as an admin trying the server on their laptop would. Users are created through
 * the API. Screenshots at 390 px and desktop width go to e2e/screenshots/account-*.png.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ensureAdmin } from '../src/features/accounts/accounts.service.js'
import { createAdmin, PASSWORD, registerUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { checkStep, ConsoleErrors, field, signIn as signInWith, useBrowserApp } from './browser-app.js'

const NEW_PASSWORD = 'a brand new passphrase 7'

let t: TestApp, base: string, browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors = new ConsoleErrors()
const pages: Record<string, Page> = {}

async function newPage(who: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: DESKTOP })
  contexts.push(ctx)
  const page = consoleErrors.watch(await ctx.newPage(), { who })
  pages[who] = page
  return page
}

/** Removes the browser's log lines of deliberate failed requests with `status`; fails if there is none. */
const allowNetworkErrors = (status: number) => consoleErrors.allowAll(status)

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined)
  await page.locator('.mantine-Loader-root').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined)
}

/** Desktop and 390 px screenshots; on the phone nothing may paint wider than the screen. */
async function shoot(page: Page, name: string): Promise<void> {
  await settle(page)
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `account-${name}-desktop.png`), fullPage: true })
  await page.setViewportSize(PHONE_390)
  try {
    await settle(page)
    // The signed-in layout slides its navigation away on a phone: wait until it has.
    await page.waitForFunction(() => {
      const shell = document.querySelector('.mantine-AppShell-main')
      return !shell || shell.getBoundingClientRect().left === 0
    })
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `account-${name}-phone.png`), fullPage: true })
    const wide = await page.evaluate(() => {
      const limit = window.innerWidth
      return [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((el) => {
          const r = el.getBoundingClientRect()
          return r.width > 0 && r.height > 0 && r.right > limit + 1 && getComputedStyle(el).visibility !== 'hidden'
        })
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`)
    })
    expect(wide, `${name}: sideways scrolling on a 390 px phone`).toEqual([])
  } finally {
    await page.setViewportSize(DESKTOP)
  }
}


/** The error text Mantine renders under an input (`<id>-error`). */
async function errorUnder(page: Page, label: string): Promise<string> {
  const id = await field(page, label).getAttribute('id')
  const error = page.locator(`[id="${id}-error"]`)
  await error.waitFor()
  return (await error.textContent()) ?? ''
}

async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await field(page, 'Email').fill(email)
  await page.locator('input[type=password]').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

const signIn = (page: Page, email: string, password = PASSWORD) => signInWith(page, base, { email, password }, 'click')

useBrowserApp((app) => ({ t, base, browser } = app), {}, { publicUrl: (port) => `http://localhost:${port}` })

afterEach((ctx) => checkStep(ctx, pages, consoleErrors, 'account-'))

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
})

describe('the first hour of an account, in real Chromium', () => {
  it('a pending doctor sees what happens next, and the workspace opens by itself once an admin verifies the account', async () => {
    const doctor = await registerUser(t, 'doctor', { name: 'Dr Ana Silva', licenseNumber: 'MD-778899' })
    const page = await newPage('doctor')
    await signIn(page, doctor.email)
    await page.getByTestId('pending-account').waitFor()
    await page.getByRole('heading', { name: 'What happens next' }).waitFor()
    const text = (await page.getByRole('main').textContent()) ?? ''
    expect(text).toContain('MD-778899')
    expect(text).toMatch(/administrator/i)
    expect(text).toContain(doctor.email)
    await shoot(page, 'pending')

    const admin = await createAdmin(t)
    const verified = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${doctor.id}/verify`, headers: admin.headers })
    expect(verified.statusCode, verified.body).toBe(200)
    // The page checks on focus (and every 30 s): no click, no reload.
    await page.evaluate(() => window.dispatchEvent(new Event('focus')))
    await page.getByRole('heading', { name: 'Requests and patients' }).waitFor()
    expect(await page.getByTestId('pending-account').count()).toBe(0)
  })

  it('a patient changes their password from the user menu; wrong and refused attempts show their errors; other devices are signed out', async () => {
    // The session registerUser opened stands for "another device".
    const patient = await registerUser(t, 'patient', { name: 'Maria Lopez' })
    const page = await newPage('patient')
    await signIn(page, patient.email)
    await page.getByTestId('user-menu').click()
    await page.getByRole('menuitem', { name: 'Change password' }).click()
    await page.getByRole('heading', { name: 'Change password' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/patient/password')

    // Too short: the browser says so before anything is sent.
    await field(page, 'Current password').fill(PASSWORD)
    await field(page, 'New password').fill('short')
    await field(page, 'Repeat the new password').fill('short')
    await page.getByRole('button', { name: 'Change password' }).click()
    expect(await errorUnder(page, 'New password')).toMatch(/at least 10 characters/)

    // A wrong current password: the API's 401 invalid-credentials, under its input.
    await field(page, 'Current password').fill('not my password at all')
    await field(page, 'New password').fill(NEW_PASSWORD)
    await field(page, 'Repeat the new password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Change password' }).click()
    expect(await errorUnder(page, 'Current password')).toMatch(/current password is wrong/i)
    allowNetworkErrors(401)
    // Still signed in: a wrong password is not an expired session.
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()

    // A new password the API refuses (400 password-too-common): its problem+json errors[].path lands under the input.
    await field(page, 'Current password').fill(PASSWORD)
    await field(page, 'New password').fill('password123')
    await field(page, 'Repeat the new password').fill('password123')
    await page.getByRole('button', { name: 'Change password' }).click()
    expect(await errorUnder(page, 'New password')).toMatch(/too common/)
    allowNetworkErrors(400)
    await shoot(page, 'change-password-refused')

    await field(page, 'Current password').fill(PASSWORD)
    await field(page, 'New password').fill(NEW_PASSWORD)
    await field(page, 'Repeat the new password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Change password' }).click()
    await page.getByTestId('password-changed').getByText('Password changed. Other devices were signed out.').waitFor()
    await shoot(page, 'change-password')

    // The other device's session is over; this one works on.
    const other = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: patient.headers })
    expect(other.statusCode).toBe(401)
    await page.getByRole('navigation').getByRole('link', { name: 'Vitals', exact: true }).click()
    await page.getByRole('heading', { name: 'Vitals' }).first().waitFor()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
  })

  it('after the session is revoked, the next navigation says the session ended, and signing in returns to the page', async () => {
    const patient = await registerUser(t, 'patient', { name: 'Luis Lopez' })
    const page = await newPage('revoked')
    await signIn(page, patient.email)
    await page.getByRole('navigation').getByRole('link', { name: 'Records', exact: true }).click()
    // The page's data has arrived: nothing of it is still in flight when the session is revoked.
    await page.getByText('No records yet.').waitFor()
    await settle(page)

    // Another session of the same person changes the password: every other session ends.
    const changed = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/auth/password',
      headers: patient.headers,
      payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    })
    expect(changed.statusCode, changed.body).toBe(204)

    await page.getByRole('navigation').getByRole('link', { name: 'Access log', exact: true }).click()
    const notice = page.getByTestId('session-ended')
    await notice.waitFor()
    expect(await notice.textContent()).toContain('Your session ended, sign in again')
    expect(new URL(page.url()).pathname).toBe('/login')
    // The browser logs the refused request and the refused refresh.
    allowNetworkErrors(401)
    await shoot(page, 'session-ended')

    await fillSignIn(page, patient.email, NEW_PASSWORD)
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    await expect.poll(() => new URL(page.url()).pathname).toBe('/patient/access-log')
  })

  it('a sign-in page with a return path outside the app goes to the home page instead', async () => {
    const patient = await registerUser(t, 'patient')
    const page = await newPage('next')
    // What RequireRole would pass, forged: a protocol-relative URL to another origin.
    await page.goto(`${base}/login`)
    await page.evaluate(() => {
      history.replaceState({ usr: { from: '//evil.example/patient' }, key: 'forged', idx: 0 }, '', '/login')
    })
    await page.reload()
    await fillSignIn(page, patient.email, PASSWORD)
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    await expect.poll(() => page.url()).toBe(`${base}/patient`)
  })

  it('an admin sees the localhost banner when PUBLIC_URL is http://localhost:…', async () => {
    const email = `admin-${randomUUID()}@example.test`
    await ensureAdmin(t.deps, email, PASSWORD)
    const page = await newPage('admin')
    await signIn(page, email)
    const banner = page.getByTestId('localhost-banner')
    await banner.waitFor()
    expect(await banner.textContent()).toContain("Links and QR codes point at localhost and will not open on another device. Set PUBLIC_URL to this server's address.")
    expect(await banner.textContent()).toContain(`http://localhost:${new URL(base).port}`)
    await shoot(page, 'localhost-banner')
    // On every admin page.
    await page.getByRole('navigation').getByRole('link', { name: 'Jobs and audit', exact: true }).click()
    await page.getByRole('heading', { name: 'Jobs and audit' }).waitFor()
    await banner.waitFor()
  })
})
