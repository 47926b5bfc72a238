/**
 * "Take your data and go" (SPEC §9) in real Chromium: a patient with a document opens
 * "Your data", exports everything — the page polls until the zip is ready and the Download
 * button saves `carelocker-export-<date>.zip` — then deletes the locker with password and
 * typed confirmation, lands signed out on the sign-in page, and cannot sign in again.
 */
import { readFile } from 'node:fs/promises'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import { recordFixtures, recordHelpers } from '../test/helpers/records.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP } from './browser.js'
import { checkStep, ConsoleErrors, field, signIn, useBrowserApp } from './browser-app.js'

let t: TestApp
let base: string
let browser: Browser
let context: BrowserContext
let page: Page
let patient: TestUser
const consoleErrors = new ConsoleErrors()
const { uploadOk } = recordHelpers(() => t)

useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true })
  page = await context.newPage()
  consoleErrors.watch(page)
  patient = await registerUser(t, 'patient', { name: 'Ada Leaving' })
  await uploadOk(patient, recordFixtures().PDF)
})
afterEach((ctx) => checkStep(ctx, { patient: page }, consoleErrors))
afterAll(async () => {
  await context?.close()
})

describe('Your data in real Chromium (SPEC §9)', () => {
  it('exports everything: progress, then a Download that saves the zip', async () => {
    await signIn(page, base, patient)
    await page.getByRole('link', { name: 'Your data' }).click()
    await page.getByRole('heading', { name: 'Your data', level: 2 }).waitFor()
    await page.getByRole('button', { name: 'Export everything' }).click()
    const download = page.getByRole('button', { name: 'Download' })
    await download.waitFor({ timeout: 60_000 })
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()])
    expect(file.suggestedFilename()).toMatch(/^carelocker-export-\d{4}-\d{2}-\d{2}\.zip$/)
    const bytes = await readFile((await file.path()) as string)
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04')
  })

  it('deletes the locker after the password and the typed confirmation, signs out, and the account cannot sign in again', async () => {
    const erase = page.getByRole('button', { name: 'Delete my locker' })
    await field(page, 'Your password').fill(patient.password)
    expect(await erase.isDisabled()).toBe(true)
    await page.getByTestId('erase-confirmation').fill('delete my locker')
    await erase.click()
    await page.waitForURL(/\/login$/)
    await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor()

    await field(page, 'Email').fill(patient.email)
    await page.locator('input[type=password]').fill(patient.password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
    await page.getByRole('alert').first().waitFor()
    expect(page.url()).toMatch(/\/login$/)
    consoleErrors.allowAll(401)
    const row = await t.deps.db.selectFrom('users').select(['status', 'erasedAt']).where('id', '=', patient.id).executeTakeFirstOrThrow()
    expect(row.status).toBe('disabled')
    expect(row.erasedAt).not.toBeNull()
  })
})
