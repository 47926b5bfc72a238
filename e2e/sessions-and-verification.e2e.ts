/// <reference lib="dom" />
/**
 * Verified email and sessions in real Chromium (SPEC §8):
 *
 * - a patient registers in the web app and sees the "Check your inbox" banner; the one email
 *   registration sends reaches a real SMTP listener (test/helpers/smtp-sink.ts); opening its
 *   link says the address is verified, and the banner is gone;
 * - the same patient signs in from a second browser (its own context: its own cookies), the
 *   Security page of the first lists two sessions with this device marked, "End session" ends
 *   the other one, and the second browser is signed out on its next call.
 *
 * Screenshots go to e2e/screenshots/sessions-*.png.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSWORD } from '../test/helpers/factories.js'
import { startSmtpSink } from '../test/helpers/smtp-sink.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { field, signIn, useBrowserApp, watchConsole } from './browser-app.js'

const smtp = await startSmtpSink()
let base: string, browser: Browser
const contexts: BrowserContext[] = []
/** Console errors of each page, but the 401s the revoked session gets on purpose. */
const errors: string[] = []

useBrowserApp((app) => ({ base, browser } = app), { SMTP_URL: smtp.url }, { publicUrl: (port) => `http://127.0.0.1:${port}` })

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await smtp.close()
})

async function newPage(who: string): Promise<Page> {
  const ctx = await browser.newContext({ viewport: DESKTOP })
  contexts.push(ctx)
  return watchConsole(await ctx.newPage(), (line) => errors.push(line), { who })
}

const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `sessions-${name}.png`), fullPage: true })

describe('verified email and sessions, in real Chromium', () => {
  const email = `eve-${randomUUID()}@example.test`
  let first: Page

  it('a patient who registers is asked to check their inbox; the emailed link verifies the address', async () => {
    first = await newPage('first')
    await first.goto(`${base}/register`)
    await first.locator('label', { hasText: /^Patient$/ }).click()
    await field(first, 'Full name').fill('Eve Example')
    await field(first, 'Email').fill(email)
    await first.locator('input[type=password]').fill(PASSWORD)
    await first.getByRole('button', { name: 'Create account' }).click()
    const banner = first.getByTestId('verify-email-banner')
    await banner.waitFor()
    expect(await banner.textContent()).toContain(email)
    await shoot(first, 'banner')

    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(email), 30_000)
    expect(mail.subject).toBe('Confirm your email address for CareLocker')
    expect(mail.text).not.toContain('Eve')
    const link = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/verify-email#[A-Za-z0-9_-]{43}`).exec(mail.text ?? '')?.[0]
    expect(link, mail.text).toBeDefined()

    await first.goto(link!)
    await first.getByTestId('email-verified').waitFor()
    expect(await first.getByTestId('email-verified').textContent()).toContain(email)
    // The token left the address bar.
    expect(new URL(first.url()).hash).toBe('')
    await shoot(first, 'verified')
    await first.getByRole('link', { name: 'Continue to CareLocker' }).click()
    await first.getByRole('button', { name: 'Sign out' }).waitFor()
    expect(await first.getByTestId('verify-email-banner').count()).toBe(0)
    // Only now, to a proven address, the welcome email (it greets by the name typed).
    const welcome = await smtp.waitFor((m) => m.envelopeTo.includes(email) && m.subject === 'Welcome to CareLocker', 30_000)
    expect(welcome.text).toContain('Eve Example')
  })

  it('a second browser signs in; the first sees two sessions, signs the other out, and the second is signed out on its next call', async () => {
    const second = await newPage('second')
    await signIn(second, base, { email, password: PASSWORD })

    await first.getByTestId('user-menu').click()
    await first.getByRole('menuitem', { name: 'Security' }).click()
    const rows = first.getByTestId('session-row')
    await first.getByTestId('security-sessions').waitFor()
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2)
    expect(await first.locator('[data-testid="session-row"][data-current="true"]').textContent()).toContain('This device')
    expect(await first.locator('[data-testid="session-row"][data-current="true"]').textContent()).toContain('Chrome')
    await shoot(first, 'list')

    await first.locator('[data-testid="session-row"][data-current="false"]').getByRole('button', { name: 'End session' }).click()
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1)

    // The second browser's next call (opening the Security page) finds its session ended.
    await second.getByTestId('user-menu').click()
    await second.getByRole('menuitem', { name: 'Security' }).click()
    await second.getByTestId('session-ended').waitFor()
    expect(new URL(second.url()).pathname).toBe('/login')
    // The first browser is still signed in.
    await first.reload()
    await first.getByTestId('security-sessions').waitFor()
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1)
    expect(errors.filter((e) => !/401/.test(e))).toEqual([])
  })
})
