/// <reference lib="dom" />
/**
 * Two-factor sign-in in real Chromium (SPEC §8), under the default `MFA_REQUIRED_ROLES`
 * (doctor, pharmacist, admin):
 *
 * - a verified doctor without a second factor signs in and is sent to the Security page,
 *   which says why; they set up an authenticator app — the test reads the key from the page
 *   and computes codes with `otpauth`, as the phone would —, download and save the recovery
 *   codes, and their workspace opens;
 * - signed out, they sign in with password and a code (a wrong code first, shown clearly);
 * - then with a recovery code instead, replaces the recovery codes on the Security page, and
 *   turns two-factor sign-in off.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { PASSWORD, registerUser, type TestUser } from '../test/helpers/factories.js'
import { mfaTokenFor, totpCode } from '../test/helpers/mfa.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { checkStep, ConsoleErrors, field, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
const consoleErrors = new ConsoleErrors()
const pages: Record<string, Page> = {}
let doctor: TestUser
let page: Page
let secret = ''
let recoveryCodes: string[] = []

useBrowserApp(
  (app) => {
    ;({ t, base, browser } = app)
  },
  { MFA_REQUIRED_ROLES: 'doctor,pharmacist,admin' },
)
afterEach((ctx) => checkStep(ctx, pages, consoleErrors, 'two-factor-'))

async function passwordStep(p: Page): Promise<void> {
  await p.goto(`${base}/login`)
  await field(p, 'Email').fill(doctor.email)
  await p.locator('input[type=password]').fill(PASSWORD)
  await p.getByRole('button', { name: 'Sign in', exact: true }).click()
  await p.getByTestId('second-factor-step').waitFor()
}

async function signOut(p: Page): Promise<void> {
  await p.getByRole('button', { name: 'Sign out', exact: true }).click()
  await p.waitForURL(/\/login$/)
}

describe('two-factor sign-in in the web app (SPEC §8)', () => {
  it('an unenrolled doctor is sent to Security, sets up an authenticator app and saves the recovery codes', async () => {
    doctor = await registerUser(t, 'doctor')
    // Verified by an administrator (setup: the admin's own sign-in is not this story).
    await t.deps.db.updateTable('users').set({ status: 'active', verifiedAt: new Date() }).where('id', '=', doctor.id).execute()
    const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
    page = consoleErrors.watch(await ctx.newPage(), { who: 'doctor' })
    pages.doctor = page

    await page.goto(`${base}/login`)
    await field(page, 'Email').fill(doctor.email)
    await page.locator('input[type=password]').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.waitForURL(/\/doctor\/security$/)
    await page.getByTestId('mfa-required-banner').waitFor()
    consoleErrors.allowAll(403) // the workspace's first calls, refused until a second factor exists

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    await page.getByTestId('totp-qr').waitFor()
    expect(await page.getByTestId('totp-qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
    secret = (await page.getByTestId('totp-secret').innerText()).trim()
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await field(page, 'Code from the app').fill(totpCode(secret))
    await page.getByRole('button', { name: 'Turn on' }).click()

    await page.getByTestId('recovery-codes').waitFor()
    recoveryCodes = (await page.getByTestId('recovery-code').allInnerTexts()).map((c) => c.trim())
    expect(recoveryCodes).toHaveLength(10)
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toBe('carelocker-recovery-codes.txt')
    const file = await readFile((await download.path()) as string, 'utf8')
    for (const c of recoveryCodes) expect(file).toContain(c)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'two-factor-recovery-codes.png'), fullPage: true })
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await page.getByTestId('totp-on').waitFor()
    expect(await page.getByTestId('totp-on').innerText()).toContain('10 recovery codes left')
    expect(await page.getByTestId('mfa-required-banner').count()).toBe(0)

    // The workspace opens now: no more refusals, no redirect.
    await page.goto(`${base}/doctor`)
    await page.waitForLoadState('networkidle')
    expect(new URL(page.url()).pathname).toBe('/doctor')
  })

  it('signed out, the doctor signs in with password and a code from the app; a wrong code says so', async () => {
    await signOut(page)
    await passwordStep(page)
    await field(page, 'Code from your authenticator app').fill('000000')
    await page.getByRole('button', { name: 'Verify' }).click()
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('That code is wrong or was already used. 4 tries left.')
    consoleErrors.allowOne(401)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'two-factor-step.png'), fullPage: true })
    // The next 30-second step's code: the one used to turn it on was spent.
    await field(page, 'Code from your authenticator app').fill(totpCode(secret, new Date(), 1))
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    expect(new URL(page.url()).pathname).toMatch(/^\/doctor/)
  })

  it('the doctor signs in with a recovery code instead', async () => {
    await signOut(page)
    await passwordStep(page)
    await page.getByRole('button', { name: 'Use a recovery code' }).click()
    await field(page, 'Recovery code').fill(recoveryCodes[0]!)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    const methods = await t.deps.db.selectFrom('sessions').select('authMethod').where('userId', '=', doctor.id).orderBy('createdAt').execute()
    expect(methods.map((m) => m.authMethod)).toEqual(['register', 'password', 'totp', 'recovery'])
  })

  it('on the Security page the doctor sees 9 codes left and replaces them; an old one stops working', async () => {
    await page.goto(`${base}/doctor/security`)
    await expect.poll(() => page.getByTestId('totp-on').innerText()).toContain('9 recovery codes left')
    await page.getByRole('button', { name: 'New recovery codes' }).click()
    await field(page, 'Code from the app, or a recovery code').fill(recoveryCodes[1]!)
    await page.getByRole('button', { name: 'Make new codes' }).click()
    await page.getByTestId('recovery-codes').waitFor()
    const fresh = (await page.getByTestId('recovery-code').allInnerTexts()).map((c) => c.trim())
    expect(fresh).toHaveLength(10)
    expect(fresh).not.toContain(recoveryCodes[2])
    await page.getByRole('button', { name: 'I have saved them' }).click()
    await expect.poll(() => page.getByTestId('totp-on').innerText()).toContain('10 recovery codes left')
    const old = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login/mfa', payload: { mfaToken: await mfaTokenFor(t, doctor.email, PASSWORD), code: recoveryCodes[2] } })
    expect(old.statusCode).toBe(401)
    recoveryCodes = fresh
  })

  it('the doctor turns two-factor sign-in off with the password and a code (a wrong password says so); the set-up is offered again', async () => {
    await page.getByRole('button', { name: 'Turn off', exact: true }).click()
    await page.locator('input[type=password]').fill('not my password')
    await field(page, 'Code from the app, or a recovery code').fill(recoveryCodes[0]!)
    await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click()
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('The password is wrong.')
    consoleErrors.allowOne(401)
    await page.locator('input[type=password]').fill(PASSWORD)
    await page.getByRole('button', { name: 'Turn off two-factor sign-in' }).click()
    await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor()
    expect(await t.deps.db.selectFrom('totpFactors').select('userId').where('userId', '=', doctor.id).execute()).toEqual([])
  })
})
