/// <reference lib="dom" />
/**
 * First run in real Chromium (SPEC §1): a server with no administrator, the setup link
 * `main.ts` prints (`$PUBLIC_URL/setup#<token>`, obtained here from the same service
 * function), the page creates the first admin and signs them in. The token never leaves
 * the browser in a URL — only in the body of `POST /api/v1/setup/admin`. Opening the used
 * link again says setup is done. No console error, except the one 410 network line of
 * that deliberate second try.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { prepareSetupLink } from '../src/features/setup/setup.service.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE, SCREENSHOT_DIR } from './browser.js'
import { useBrowserApp } from './browser-app.js'

const PASSWORD = 'a long passphrase 42'

let t: TestApp
let base: string
let browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

function watch(page: Page): { errors: string[]; urls: string[]; bodies: string[] } {
  const seen = { errors: [] as string[], urls: [] as string[], bodies: [] as string[] }
  page.on('console', (m) => m.type() === 'error' && seen.errors.push(m.text()))
  page.on('pageerror', (e) => seen.errors.push(`uncaught: ${e.message}`))
  page.on('request', (r) => {
    seen.urls.push(r.url())
    const body = r.postData()
    if (body) seen.bodies.push(body)
  })
  return seen
}

/** An input by its label; Mantine appends " *" to required fields. */
const field = (page: Page, label: string) => page.getByLabel(new RegExp(`^${label}( \\*)?$`))

describe('first-run setup page', () => {
  it('creates the first admin from /setup#<token> and signs them in; the used link then says setup is done', async () => {
    const link = await prepareSetupLink(t.deps)
    expect(link).toBeDefined()
    const token = (link as string).split('#')[1] as string
    const email = `first-admin-${randomUUID().slice(0, 8)}@example.test`

    const context = await browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const seen = watch(page)
    try {
      await page.goto(`${base}/setup#${token}`)
      await page.getByRole('heading', { name: 'Create the administrator' }).waitFor({ timeout: 30_000 })
      await page.setViewportSize(PHONE)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'setup-phone.png'), fullPage: true })
      await page.setViewportSize(DESKTOP)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'setup-desktop.png'), fullPage: true })

      await field(page, 'Full name').fill('Ada Admin')
      await field(page, 'Email').fill(email)
      await page.locator('input[type=password]').fill(PASSWORD)
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 30_000 })
      expect(new URL(page.url()).pathname).toMatch(/^\/admin/)
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'setup-done-admin.png'), fullPage: true })

      // The token went to the server in a body only, never in a URL.
      expect(seen.urls.filter((u) => u.includes(token))).toEqual([])
      expect(seen.bodies.some((b) => b.includes(token))).toBe(true)
      expect(seen.errors).toEqual([])

      const admin = await t.deps.db.selectFrom('users').select(['role', 'status', 'name']).where('email', '=', email).executeTakeFirst()
      expect(admin).toEqual({ role: 'admin', status: 'active', name: 'Ada Admin' })
    } finally {
      await context.close()
    }

    // The same link again, in a fresh browser: the form is refused with "already done".
    const second = await browser.newContext({ viewport: DESKTOP })
    const again = await second.newPage()
    const seenAgain = watch(again)
    try {
      await again.goto(`${base}/setup#${token}`)
      await field(again, 'Full name').fill('Someone Else')
      await field(again, 'Email').fill(`late-${randomUUID().slice(0, 8)}@example.test`)
      await again.locator('input[type=password]').fill(PASSWORD)
      await again.getByRole('button', { name: 'Create administrator' }).click()
      await again.getByText('Setup is already done').waitFor({ timeout: 30_000 })
      await expect(again.getByText('already been used').isVisible()).resolves.toBe(true)
      // The browser logs the deliberate 410 once; nothing else.
      expect(seenAgain.errors.filter((e) => !e.includes('status of 410'))).toEqual([])
      expect(seenAgain.errors.filter((e) => e.includes('status of 410'))).toHaveLength(1)
    } finally {
      await second.close()
    }
  })
})
