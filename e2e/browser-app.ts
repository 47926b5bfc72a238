/**
 * The server and browser of a Chromium test file: a test app (fresh database) on a real
 * loopback listener serving the built web app, and the machine's Chromium.
 */
import net from 'node:net'
import path from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, type TestContext } from 'vitest'
import { startTestApp, type TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, launchChromium, SCREENSHOT_DIR } from './browser.js'

export interface BrowserApp {
  t: TestApp
  /** `http://127.0.0.1:<port>` */
  base: string
  /** The PUBLIC_URL the app runs with (`BrowserAppOptions.publicUrl`), if one was chosen. */
  publicUrl?: string | undefined
  browser: Browser
}

/** A port that was free a moment ago, so PUBLIC_URL can name the real origin (share links, QR). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

export interface BrowserAppOptions {
  /** PUBLIC_URL for the port the app will listen on (then a free port is chosen first). */
  publicUrl?: ((port: number) => string) | undefined
  /** More Chromium flags (e.g. `--host-resolver-rules`). */
  chromiumArgs?: string[] | undefined
}

/**
 * Starts the app on 127.0.0.1 (`env` as for `startTestApp`; any port, or the one `publicUrl`
 * names) and Chromium. Throws when `dist/web` is not built (`npm run test:e2e` builds it
 * first). Close `browser`, then `t`.
 */
export async function startBrowserApp(env: Record<string, string> = {}, opts: BrowserAppOptions = {}): Promise<BrowserApp> {
  const port = opts.publicUrl ? await freePort() : 0
  const publicUrl = opts.publicUrl?.(port)
  const t = await startTestApp(publicUrl === undefined ? env : { ...env, PUBLIC_URL: publicUrl })
  const base = await t.app.listen({ host: '127.0.0.1', port })
  const index = await t.app.inject({ method: 'GET', url: '/login' })
  if (index.statusCode !== 200) throw new Error('dist/web is not built: run `npm run build:web` (npm run test:e2e does it first)')
  return { t, base, publicUrl, browser: await launchChromium(opts.chromiumArgs) }
}

/**
 * Starts the app and Chromium before this file's tests (handing them to `use`, which
 * usually assigns the file's `t`, `base` and `browser`) and closes both after them.
 * Hooks registered after this call run after the start and before the close.
 */
export function useBrowserApp(use: (app: BrowserApp) => void, env: Record<string, string> = {}, opts: BrowserAppOptions = {}): void {
  let started: BrowserApp | undefined
  beforeAll(async () => {
    started = await startBrowserApp(env, opts)
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
  watchConsole(page, (line) => errors.push(line))
  await signIn(page, app.base, user, 'click')
  await page.goto(`${app.base}${path}`)
  return { page, errors }
}

/**
 * Signs `user` in through the sign-in form at `base` and waits for the signed-in shell.
 * `submit`: Enter in the password field (as many people sign in) or a click on "Sign in".
 */
export async function signIn(page: Page, base: string, user: { email: string; password: string }, submit: 'enter' | 'click' = 'enter'): Promise<void> {
  await page.goto(`${base}/login`)
  await field(page, 'Email').fill(user.email)
  await page.locator('input[type=password]').fill(user.password)
  if (submit === 'enter') await page.locator('input[type=password]').press('Enter')
  else await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor()
}

/** `text` as a literal inside a regular expression. */
export const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** An input by its label, exactly — Mantine appends " *" to required fields' labels. */
export function field(scope: Page | Locator, label: string): Locator {
  return scope.getByLabel(new RegExp(`^${escapeRe(label)}( \\*)?$`))
}

/**
 * Reports each console error and uncaught exception of `page` to `report`, as
 * `[who] message` (`who` when given) with the script's URL when `withUrl`.
 */
export function watchConsole(page: Page, report: (line: string) => void, opts: { who?: string; withUrl?: boolean } = {}): Page {
  const prefix = opts.who === undefined ? '' : `[${opts.who}] `
  page.on('console', (m) => {
    if (m.type() === 'error') report(`${prefix}${m.text()}${opts.withUrl ? ` (${m.location().url})` : ''}`)
  })
  page.on('pageerror', (e) => report(`${prefix}uncaught: ${e.message}`))
  return page
}

/**
 * The console errors of a test file's pages: `watch` a page, `allowOne`/`allowAll` remove the
 * browser's log line(s) of a deliberate failed request (failing when there is none), and
 * `expectNone` (in `afterEach`) fails on anything left, emptying the list for the next test.
 */
export class ConsoleErrors {
  lines: string[] = []

  watch(page: Page, opts: { who?: string; withUrl?: boolean } = {}): Page {
    return watchConsole(page, (line) => this.lines.push(line), opts)
  }

  /** Removes exactly one logged `status of <status>` line; fails when there is none. */
  allowOne(status: number): void {
    const i = this.lines.findIndex((e) => e.includes(`status of ${status}`))
    expect(i, `expected one logged ${status}: ${this.lines.join('\n')}`).toBeGreaterThanOrEqual(0)
    this.lines.splice(i, 1)
  }

  /** Removes every logged `status of <status>` line; fails when there is none. */
  allowAll(status: number): void {
    const before = this.lines.length
    this.lines = this.lines.filter((e) => !e.includes(`status of ${status}`))
    expect(before - this.lines.length, `expected a logged ${status}`).toBeGreaterThan(0)
  }

  expectNone(): void {
    const errors = this.lines
    this.lines = []
    expect(errors, 'console errors').toEqual([])
  }
}

/**
 * The end of a step of a story (`afterEach`): when the test failed, every open page as it is
 * now goes to `failed-<prefix><test name>-<who>.png` as evidence; then no console error may be
 * left (`ConsoleErrors.expectNone`).
 */
export async function checkStep(ctx: TestContext, pages: Record<string, Page>, consoleErrors: ConsoleErrors, prefix = ''): Promise<void> {
  if (ctx.task.result?.state === 'fail') {
    const slug = ctx.task.name.replace(/\W+/g, '-').slice(0, 60)
    for (const [who, page] of Object.entries(pages)) {
      if (!page.isClosed()) await page.screenshot({ path: path.join(SCREENSHOT_DIR, `failed-${prefix}${slug}-${who}.png`), fullPage: true }).catch(() => undefined)
    }
  }
  consoleErrors.expectNone()
}
