/**
 * Passkeys in real Chromium (SPEC §8, issue 14 item 3), through the built web app, with a
 * CDP virtual authenticator (`WebAuthn.addVirtualAuthenticator`: CTAP2, internal, resident
 * keys, user verification that always succeeds) standing in for the laptop's fingerprint:
 *
 * - a patient signs in with a password, adds a passkey (named) on the Security page and sees
 *   it listed; adding a second one on the same device says it already holds one;
 * - signs out, and signs in again with "Sign in with a passkey" alone — no email, no
 *   password — landing where a password sign-in would; the passkey now shows its last use;
 * - renames it, then removes it after confirming; the device still offers it, and the
 *   sign-in page says it is not registered; a prompt that finds no passkey says so too.
 *
 * WebAuthn needs a secure context and a domain RP id: the server runs with
 * PUBLIC_URL=http://localhost:<port> and the browser opens that address.
 */
import path from 'node:path'
import type { Browser, CDPSession, Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { checkStep, ConsoleErrors, field, signIn, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
const consoleErrors = new ConsoleErrors()
const pages: Record<string, Page> = {}

useBrowserApp(
  (app) => {
    t = app.t
    base = app.publicUrl!
    browser = app.browser
  },
  {},
  { publicUrl: (port) => `http://localhost:${port}` },
)
afterEach((ctx) => checkStep(ctx, pages, consoleErrors, 'passkeys-'))

let page: Page
let cdp: CDPSession
let authenticatorId: string
let patient: TestUser

const passkeyTable = () => page.getByTestId('security-passkeys')
const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials

describe('passkeys in Chromium (SPEC §8)', () => {
  it('a patient signed in with a password adds a passkey on the Security page', async () => {
    patient = await registerUser(t)
    const ctx = await browser.newContext({ viewport: DESKTOP })
    page = consoleErrors.watch(await ctx.newPage(), { who: 'patient' })
    pages.patient = page
    cdp = await ctx.newCDPSession(page)
    await cdp.send('WebAuthn.enable')
    ;({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }))

    await signIn(page, base, patient)
    await page.goto(`${base}/patient/security`)
    await expect.poll(() => passkeyTable().getByText('No passkeys yet.').isVisible()).toBe(true)
    await field(passkeyTable(), 'Name (optional)').fill('My laptop')
    await passkeyTable().getByRole('button', { name: 'Add a passkey' }).click()
    await passkeyTable().getByRole('cell', { name: 'My laptop', exact: true }).waitFor()
    await expect.poll(() => passkeyTable().getByRole('cell', { name: 'Never' }).count()).toBe(1)

    // A discoverable credential for localhost, its user handle the account's id (no email in it).
    const creds = await credentials()
    expect(creds).toHaveLength(1)
    expect(creds[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' })
    expect(Buffer.from(creds[0]!.userHandle!, 'base64').toString('hex')).toBe(patient.id.replace(/-/g, ''))
    await passkeyTable().locator('button[data-loading]').waitFor({ state: 'detached' })
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'passkeys-security.png'), fullPage: true, animations: 'disabled' })
  })

  it('adding a second passkey on the same device says it already holds one, and changes nothing', async () => {
    await passkeyTable().getByRole('button', { name: 'Add a passkey' }).click()
    await expect.poll(() => passkeyTable().getByRole('alert').textContent()).toMatch(/already holds a passkey/)
    expect(await credentials()).toHaveLength(1)
    expect(await t.deps.db.selectFrom('passkeys').select('id').where('userId', '=', patient.id).execute()).toHaveLength(1)
  })

  it('after signing out, "Sign in with a passkey" alone signs the patient in', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/login$/)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    // The same navigation as a password sign-in: back to the page the patient was on.
    expect(new URL(page.url()).pathname).toBe('/patient/security')
    const session = await t.deps.db.selectFrom('sessions').select('authMethod').where('userId', '=', patient.id).orderBy('createdAt', 'desc').executeTakeFirstOrThrow()
    expect(session.authMethod).toBe('passkey')

    await passkeyTable().getByRole('cell', { name: 'My laptop', exact: true }).waitFor()
    expect(await passkeyTable().getByRole('cell', { name: 'Never' }).count()).toBe(0)
  })

  it('the patient renames the passkey, then removes it after confirming', async () => {
    await passkeyTable().getByRole('button', { name: 'Rename My laptop' }).click()
    const rename = page.getByRole('dialog', { name: 'Rename passkey' })
    await field(rename, 'Name').fill('Work laptop')
    await rename.getByRole('button', { name: 'Save' }).click()
    await passkeyTable().getByRole('cell', { name: 'Work laptop', exact: true }).waitFor()

    await passkeyTable().getByRole('button', { name: 'Remove Work laptop' }).click()
    const confirm = page.getByRole('dialog', { name: 'Remove passkey?' })
    await confirm.getByRole('button', { name: 'Keep it' }).click()
    await confirm.waitFor({ state: 'detached' })
    expect(await passkeyTable().getByRole('cell', { name: 'Work laptop', exact: true }).count()).toBe(1)

    await passkeyTable().getByRole('button', { name: 'Remove Work laptop' }).click()
    await page.getByRole('dialog', { name: 'Remove passkey?' }).getByRole('button', { name: 'Remove passkey' }).click()
    await passkeyTable().getByText('No passkeys yet.').waitFor()
    expect(await t.deps.db.selectFrom('passkeys').select('id').where('userId', '=', patient.id).execute()).toHaveLength(0)
  })

  it('the removed passkey, still on the device, is refused with a clear message; with none at all, the prompt ends without a sign-in', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(/\/login$/)
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    const alert = page.getByRole('alert').filter({ hasText: 'Could not sign in with a passkey' })
    await expect.poll(() => alert.textContent()).toMatch(/not registered with CareLocker/)
    consoleErrors.allowOne(401)

    await cdp.send('WebAuthn.clearCredentials', { authenticatorId })
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click()
    await expect.poll(() => alert.textContent()).toMatch(/cancelled, timed out, or found no CareLocker passkey/)
    expect(new URL(page.url()).pathname).toBe('/login')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'passkeys-sign-in-refused.png'), fullPage: true, animations: 'disabled' })
  })
})
