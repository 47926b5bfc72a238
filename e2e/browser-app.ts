/**
 * The server and browser of a Chromium test file: a test app (fresh database) on a real
 * loopback listener serving the built web app, and the machine's Chromium.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startTestApp, type TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, launchChromium } from './browser.js'

export interface BrowserApp {
  t: TestApp
  /** `http://127.0.0.1:<port>` */
  base: string
  browser: Browser
}

/**
 * Starts the app on 127.0.0.1 (`env` as for `startTestApp`) and Chromium. Throws when
 * `dist/web` is not built (`npm run test:e2e` builds it first). Close `browser`, then `t`.
 */
export async function startBrowserApp(env: Record<string, string> = {}): Promise<BrowserApp> {
  const t = await startTestApp(env)
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 })
  const index = await t.app.inject({ method: 'GET', url: '/login' })
  if (index.statusCode !== 200) throw new Error('dist/web is not built: run `npm run build:web` (npm run test:e2e does it first)')
  return { t, base, browser: await launchChromium() }
}

/**
 * Starts the app and Chromium before this file's tests (handing them to `use`, which
 * usually assigns the file's `t`, `base` and `browser`) and closes both after them.
 * Hooks registered after this call run after the start and before the close.
 */
export function useBrowserApp(use: (app: BrowserApp) => void, env: Record<string, string> = {}): void {
  let started: BrowserApp | undefined
  beforeAll(async () => {
    started = await startBrowserApp(env)
    use(started)
  })
  afterAll(async () => {
    await started?.browser.close()
    await started?.t.close()
  })
}

/**
 * A page in a context of its own at `viewport` (desktop by default), signed in as `user`
 * through the sign-in form, then at `path`. `errors` collects console errors and uncaught
 * exceptions from then on.
 */
export async function signedInPage(
  app: Pick<BrowserApp, 'browser' | 'base'>,
  user: { email: string; password: string },
  path: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<{ page: Page; errors: string[] }> {
  const page = await (await app.browser.newContext({ viewport })).newPage()
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`))
  await page.goto(`${app.base}/login`)
  await page.getByLabel(/^Email( \*)?$/).fill(user.email)
  await page.locator('input[type=password]').fill(user.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
  await page.goto(`${app.base}${path}`)
  return { page, errors }
}
