/**
 * The server and browser of a Chromium test file: a test app (fresh database) on a real
 * loopback listener serving the built web app, and the machine's Chromium.
 */
import type { Browser } from 'playwright-core'
import { startTestApp, type TestApp } from '../test/helpers/test-app.js'
import { launchChromium } from './browser.js'

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
