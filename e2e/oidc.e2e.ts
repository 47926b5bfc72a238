/**
 * Sign in with an OpenID Connect provider in real Chromium (SPEC §8): a real provider
 * (`oidc-provider`) on a loopback port, the app on another, PUBLIC_URL its real origin (the
 * provider redirects there). The sign-in form's button navigates to the provider; its
 * development login and consent forms are filled; the browser lands in the web app signed
 * in as a new patient, the session resumed from the refresh cookie. Cancelling at the
 * provider lands on our page saying so, with the way back to sign-in.
 */
import { randomUUID } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startOidcProvider, type TestOidcProvider } from '../test/helpers/oidc-provider.js'
import { startTestApp, type TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, launchChromium } from './browser.js'
import { ConsoleErrors, freePort } from './browser-app.js'

let op: TestOidcProvider
let t: TestApp
let base: string
let browser: Browser
const consoleErrors = new ConsoleErrors()

beforeAll(async () => {
  // The app's port is chosen first: the provider must know the redirect URI, and PUBLIC_URL name it.
  const port = await freePort()
  base = `http://127.0.0.1:${port}`
  op = await startOidcProvider(`${base}/api/v1/auth/oidc/callback`)
  t = await startTestApp({ PUBLIC_URL: base, ...op.env('Test Provider') })
  await t.app.listen({ host: '127.0.0.1', port })
  const index = await t.app.inject({ method: 'GET', url: '/login' })
  if (index.statusCode !== 200) throw new Error('dist/web is not built: run `npm run build:web`')
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
  await op?.close()
})
afterEach(() => {
  // Only our origin's errors count: the provider's development pages load web fonts (no network here) and have no favicon.
  consoleErrors.lines = consoleErrors.lines.filter((line) => line.includes(`(${base}/`))
  consoleErrors.expectNone()
})

async function toProvider(page: Page): Promise<void> {
  await page.goto(`${base}/login`)
  await page.getByRole('link', { name: 'Sign in with Test Provider' }).click()
  await page.waitForURL((url) => url.origin === op.issuer)
}

describe('sign in with an OpenID Connect provider (Chromium)', () => {
  it('the button goes to the provider; after its login and consent the browser lands in the web app signed in as a new patient', async () => {
    const sub = `e2e-${randomUUID()}`
    const email = `${sub}@example.test`
    op.setAccount(sub, { email, email_verified: true, name: 'Grace Hopper' })
    const page = consoleErrors.watch(await (await browser.newContext({ viewport: DESKTOP })).newPage(), { withUrl: true })
    await toProvider(page)

    await page.locator('input[name=login]').fill(sub)
    await page.locator('input[name=password]').fill('anything')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    await page.getByRole('button', { name: 'Continue' }).click()

    await page.waitForURL(`${base}/patient**`)
    await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
    await expect.poll(() => page.getByText('Grace Hopper').count()).toBeGreaterThan(0)
    const cookies = await page.context().cookies([`${base}/api/v1/auth/refresh`, `${base}/api/v1/auth/oidc/callback`])
    expect(cookies.find((c) => c.name === 'cl_refresh')?.httpOnly).toBe(true)
    expect(cookies.find((c) => c.name === 'cl_oidc_state'), 'the state cookie is gone').toBeUndefined()
    const user = await t.deps.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow()
    expect(user).toMatchObject({ role: 'patient', passwordHash: null, name: 'Grace Hopper' })
    await page.context().close()
  })

  it('cancelling at the provider lands on a page that says so and leads back to sign-in', async () => {
    op.setAccount('e2e-cancel', { email: `cancel-${randomUUID()}@example.test`, email_verified: true })
    const page = consoleErrors.watch(await (await browser.newContext({ viewport: DESKTOP })).newPage(), { withUrl: true })
    await toProvider(page)
    await page.getByRole('link', { name: '[ Cancel ]' }).click()
    await page.getByRole('heading', { name: 'Test Provider sign-in was cancelled' }).waitFor()
    // The page's own status (401) is logged by Chromium as a failed load.
    consoleErrors.allowOne(401)
    await page.getByRole('link', { name: 'Back to sign-in' }).click()
    await page.getByRole('link', { name: 'Sign in with Test Provider' }).waitFor()
    await page.context().close()
  })
})
