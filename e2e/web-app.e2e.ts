/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The web app in real Chromium (issue 6), against a real server serving the built
 * `dist/web` (`npm run test:e2e` builds it first). One story, step by step, each step its
 * own test: a patient signs up, fills the profile, uploads and shares a record (the share
 * page opens in a second browser context), adds vitals; an admin verifies a doctor and a
 * pharmacist; the patient asks the doctor for a consultation, the doctor approves and
 * prescribes; the pharmacist looks the prescription up by reference number and dispenses,
 * then reads other prescriptions' QR codes from uploaded images and from a fake camera
 * stream (a Y4M made from the server's QR PNG), and rejects one; the doctor cancels one.
 *
 * Each step first checks that the server routes it drives are in the OpenAPI document, and
 * fails (never skips) when one is missing.
 *
 * Every page's console is watched: no step may log a console error. The only exceptions are
 * the browser's own network log lines of two deliberate failures, each removed explicitly
 * with `allowNetworkError`: the 400 of the validation step and the 410 of the revoked share
 * page. Each screen also passes a basic accessibility gate (every control named, every image
 * with alt text) and must not paint wider than a 360 px phone. Screenshots of each main
 * screen at phone (360×740) and desktop width go to e2e/screenshots/ (failed steps add
 * `failed-*.png` of every open page).
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest'
import { ensureAdmin } from '../src/features/accounts/accounts.service.js'
import { fixturePath } from '../test/helpers/fixtures.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, launchChromium, PHONE, SCREENSHOT_DIR } from './browser.js'
import { checkStep, ConsoleErrors, escapeRe, field, signIn as signInWith, useBrowserApp } from './browser-app.js'
import { pngToY4m } from './fake-camera.js'

const FIXTURE_PDF = fixturePath('docs/ccda-unstructured-UD_sample.pdf')
const PASSWORD = 'a long passphrase 42'
const run = randomUUID().slice(0, 8)

interface Person {
  name: string
  email: string
}
const patient: Person = { name: 'Maria Lopez', email: `maria-${run}@example.test` }
const doctor: Person = { name: 'Dr Ana Silva', email: `ana-${run}@example.test` }
const pharmacist: Person = { name: 'Paul Chen', email: `paul-${run}@example.test` }
const admin: Person = { name: 'Administrator', email: `admin-${run}@example.test` }
const DOB = '1980-04-02'
const RECORD_TITLE = 'Discharge summary March'

let t: TestApp
let base: string
let browser: Browser
let tmp: string
let routes: Set<string>
const contexts: BrowserContext[] = []
const pages: Record<string, Page> = {}
const consoleErrors = new ConsoleErrors()
let referenceNumber = ''

const hasRoute = (method: string, p: string) => routes.has(`${method.toLowerCase()} /api/v1${p}`)

/** Fails the current step when a server route it needs is missing from the OpenAPI document. */
function needRoutes(_ctx: TestContext, ...wanted: [string, string][]): void {
  const missing = wanted.filter(([m, p]) => !hasRoute(m, p)).map(([m, p]) => `${m} ${p}`)
  expect(missing, 'server routes this step needs').toEqual([])
}

/** Removes exactly one expected browser network log line (a deliberate 4xx), failing if absent. */
const allowNetworkError = (status: number) => consoleErrors.allowOne(status)

async function newPage(who: string, opts: { browser?: Browser; permissions?: string[] } = {}): Promise<Page> {
  const ctx = await (opts.browser ?? browser).newContext({ viewport: DESKTOP, acceptDownloads: true, permissions: opts.permissions ?? [] })
  contexts.push(ctx)
  return consoleErrors.watch(await ctx.newPage(), { who, withUrl: true })
}

async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined)
  await page.locator('.mantine-Loader-root').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined)
}

/** Controls without an accessible name, and images without alt text (a basic a11y gate per screen). */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect()
      return r.width > 0 && r.height > 0
    }
    const labelled = (el: Element) =>
      Boolean(el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby') || el.getAttribute('title') || ((el as HTMLInputElement).labels?.length ?? 0) > 0)
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].slice(0, 3).join('.')}`
    const out: string[] = []
    for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) if (visible(el) && !labelled(el)) out.push(`unlabelled ${describe(el)}`)
    for (const el of document.querySelectorAll('button, a[href], [role=button], [role=tab]'))
      if (visible(el) && !(el.textContent?.trim() || labelled(el))) out.push(`unnamed ${describe(el)}`)
    for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) out.push(`no alt ${describe(el)}`)
    return out
  })
}

/** Screenshots at desktop and phone width; on the phone nothing may be wider than the screen. */
async function shoot(page: Page, name: string): Promise<void> {
  await settle(page)
  expect(await unnamedControls(page), `${name}: accessibility`).toEqual([])
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`), fullPage: true })
  await page.setViewportSize(PHONE)
  try {
    await page.waitForTimeout(250)
    await settle(page)
    const overflow = await page.evaluate(() => {
      const limit = window.innerWidth
      // Anything painted right of the screen, outside boxes that scroll sideways on purpose
      // (wide tables) and outside closed popovers.
      const inScroller = (el: Element) => el.closest('.table-scroll, .mantine-ScrollArea-root')
      return [...document.querySelectorAll<HTMLElement>('body *')]
        .filter((el) => {
          const r = el.getBoundingClientRect()
          return r.width > 0 && r.height > 0 && r.right > limit + 1 && !inScroller(el) && getComputedStyle(el).visibility !== 'hidden'
        })
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`)
        .concat(document.documentElement.scrollWidth > limit ? [`document scrollWidth=${document.documentElement.scrollWidth}`, ...[...document.querySelectorAll('.table-scroll')].map((e) => `table-scroll width=${e.getBoundingClientRect().width}`)] : [])
    })
    expect(overflow, `${name}: sideways scrolling on a 360 px phone`).toEqual([])
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-phone.png`), fullPage: true })
  } finally {
    await page.setViewportSize(DESKTOP)
  }
}

async function nav(page: Page, label: string): Promise<void> {
  // On a phone the navigation sits behind the burger; tests run at desktop width.
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click()
  await settle(page)
}

/** Signs in with the keyboard, as many people do: Enter in the password field submits. */
const signIn = (page: Page, who: Person, password = PASSWORD) => signInWith(page, base, { email: who.email, password })

async function chooseOption(scope: Page | Locator, label: string, option: string): Promise<void> {
  await scope.getByRole('combobox', { name: new RegExp(`^${escapeRe(label)}( \\*)?$`) }).click()
  const page = 'page' in scope ? scope.page() : scope
  await page.getByRole('option', { name: option, exact: true }).click()
}

async function signUp(page: Page, who: Person, role: 'Patient' | 'Doctor' | 'Pharmacist', extra: Record<string, string> = {}): Promise<void> {
  await page.goto(`${base}/register`)
  await page.locator('label', { hasText: new RegExp(`^${role}$`) }).click()
  await field(page, 'Full name').fill(who.name)
  await field(page, 'Email').fill(who.email)
  await page.locator('input[type=password]').fill(PASSWORD)
  for (const [label, value] of Object.entries(extra)) await field(page, label).fill(value)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** An API call as a user, for test data the story does not click through. */
async function apiLogin(email: string): Promise<{ authorization: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } })
  expect(res.statusCode, res.body).toBe(200)
  return { authorization: `Bearer ${res.json().accessToken}` }
}

useBrowserApp((app) => ({ t, base, browser } = app), {}, { publicUrl: (port) => `http://127.0.0.1:${port}` })
beforeAll(async () => {
  const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> }
  routes = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)))
  tmp = await mkdtemp(path.join(os.tmpdir(), 'carelocker-e2e-'))
  await ensureAdmin(t.deps, admin.email, PASSWORD)
})

afterEach((ctx) => checkStep(ctx, pages, consoleErrors))

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

describe('the CareLocker web app in real Chromium', () => {
  it('serves a first screen without console errors, and a patient signs up', async () => {
    const page = (pages.patient = await newPage('patient'))
    const scripts: Promise<number>[] = []
    const onResponse = (r: import('playwright-core').Response) => {
      if (r.request().resourceType() === 'script') scripts.push(r.request().sizes().then((s) => s.responseBodySize))
    }
    page.on('response', onResponse)
    const res = await page.goto(`${base}/`)
    expect(res?.status()).toBe(200)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await page.waitForLoadState('networkidle')
    page.off('response', onResponse)
    // The first screen's JavaScript as it crossed the wire (brotli/gzip precompressed): under 300 KB.
    const firstScreenJs = (await Promise.all(scripts)).reduce((a, b) => a + b, 0)
    console.info(`first screen: ${scripts.length} scripts, ${(firstScreenJs / 1024).toFixed(1)} KB compressed`)
    expect(firstScreenJs).toBeGreaterThan(0)
    expect(firstScreenJs).toBeLessThan(300 * 1024)
    await shoot(page, 'login')
    await page.goto(`${base}/register`)
    await shoot(page, 'register')
    await signUp(page, patient, 'Patient')
    expect(new URL(page.url()).pathname).toBe('/patient')
    await page.getByRole('heading', { name: /^Hello, / }).waitFor()
    // Tokens: the access token only in memory, the refresh token in an httpOnly cookie.
    const storage = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }))
    expect(storage.local).toBe(0)
    expect(storage.session).toBe(0)
    expect(storage.cookie).not.toContain('cl_refresh')
    const cookies = await page.context().cookies()
    expect(cookies.find((c) => c.name === 'cl_refresh')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' })
  })

  it('keeps the session across a reload through the refresh cookie', async () => {
    const page = pages.patient as Page
    await page.reload()
    await page.getByRole('button', { name: 'Sign out' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/patient')
  })

  it('shows the server’s field error under the matching input (problem+json errors[].path)', async () => {
    const page = pages.patient as Page
    await nav(page, 'Medical profile')
    await page.getByRole('button', { name: 'Add contact' }).click()
    await field(page, 'Name').fill('Luis Lopez')
    // Well-formed E.164 that is not a real number: only the server (libphonenumber) knows.
    await field(page, 'Phone').fill('+10000000000')
    await page.getByRole('button', { name: 'Save profile' }).click()
    const phone = field(page, 'Phone')
    await expect.poll(() => phone.getAttribute('aria-invalid')).toBe('true')
    const id = await phone.getAttribute('id')
    const message = await page.locator(`[id="${id}-error"]`).textContent()
    expect(message).toMatch(/phone number/i)
    // The browser itself logs the failed request; that 400 is the point of this step.
    allowNetworkError(400)
  })

  it('fills the medical profile', async () => {
    const page = pages.patient as Page
    await field(page, 'Phone').fill('+14155550123')
    await field(page, 'Relationship').fill('spouse')
    await field(page, 'Date of birth').fill(DOB)
    await chooseOption(page, 'Blood group', 'O-')
    await chooseOption(page, 'Sex', 'Female')
    await page.getByRole('button', { name: 'Add allergy' }).click()
    await field(page, 'Substance').fill('Penicillin')
    await field(page, 'Reaction').fill('Anaphylaxis')
    await chooseOption(page, 'Severity', 'Severe')
    await page.getByRole('button', { name: 'Add condition' }).click()
    await field(page, 'Condition').fill('Asthma')
    await page.getByRole('button', { name: 'Add medication' }).click()
    await field(page, 'Medication').fill('Salbutamol inhaler')
    await field(page, 'Dosage').fill('100 mcg')
    await page.getByRole('button', { name: 'Save profile' }).click()
    await page.getByRole('status').filter({ hasText: 'Your profile was saved' }).waitFor()
    const saved = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: await apiLogin(patient.email) })).json()
    expect(saved).toMatchObject({ dateOfBirth: DOB, bloodGroup: 'O-', sex: 'female' })
    expect(saved.allergies[0]).toMatchObject({ substance: 'Penicillin', severity: 'severe' })
    expect(saved.emergencyContacts[0]).toMatchObject({ name: 'Luis Lopez', phone: '+14155550123' })
    await shoot(page, 'patient-profile')
  })

  it('uploads the fixture PDF by drag and drop, previews and downloads it', async () => {
    const page = pages.patient as Page
    await nav(page, 'Records')
    const bytes = await readFile(FIXTURE_PDF)
    const dataTransfer = await page.evaluateHandle(
      ({ b64, name }) => {
        const bin = atob(b64)
        const arr = new Uint8Array(bin.length)
        for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i)
        const dt = new DataTransfer()
        dt.items.add(new File([arr], name, { type: 'application/pdf' }))
        return dt
      },
      { b64: bytes.toString('base64'), name: path.basename(FIXTURE_PDF) },
    )
    await page.dispatchEvent('[data-testid=dropzone]', 'drop', { dataTransfer })
    await page.getByTestId('dropzone').getByText(path.basename(FIXTURE_PDF)).waitFor()
    await chooseOption(page.getByRole('form', { name: 'Upload a record' }), 'Category', 'Discharge summary')
    await field(page, 'Title').fill(RECORD_TITLE)
    await field(page, 'Doctor').fill('Dr House')
    await page.getByRole('button', { name: 'Upload', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Saved as DischargeSummary_' }).waitFor()
    await page.getByTestId('record-row').filter({ hasText: RECORD_TITLE }).waitFor()
    await shoot(page, 'patient-records')

    // Search finds it; a non-matching search shows the empty state.
    await field(page, 'Search').fill('nothing-like-this')
    await page.getByText('No records match these filters.').waitFor()
    await field(page, 'Search').fill('discharge')
    await page.getByTestId('record-row').filter({ hasText: RECORD_TITLE }).waitFor()

    await page.getByRole('button', { name: `Open ${RECORD_TITLE}` }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('button', { name: 'Download' }).waitFor()
    // Chromium has a PDF viewer: the PDF shows in a frame from a blob: URL (CSP frame-src 'self' blob:).
    await dialog.getByTestId('record-preview-pdf').waitFor()
    await expect.poll(() => dialog.getByRole('button', { name: 'Download' }).isEnabled()).toBe(true)
    const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: 'Download' }).click()])
    expect(download.suggestedFilename()).toMatch(/^DischargeSummary_\d{4}-\d{2}-\d{2}\.pdf$/)
    const saved = await readFile((await download.path()) as string)
    expect(saved.equals(bytes)).toBe(true)
    await dialog.getByRole('button', { name: 'Verify integrity' }).click()
    await dialog.getByText('Intact: the stored file matches its SHA-256.').waitFor()
    await shoot(page, 'patient-record-preview')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
  })

  it('shares the record; the link opens in a second browser context, and stops working once revoked', async () => {
    const page = pages.patient as Page
    await page.getByRole('button', { name: `Share ${RECORD_TITLE}` }).click()
    const dialog = page.getByRole('dialog')
    await chooseOption(page, 'Link expires after', '7 days')
    await dialog.getByRole('button', { name: 'Create link' }).click()
    const url = await dialog.getByTestId('share-url').inputValue()
    expect(url).toMatch(new RegExp(`^${base}/s/[\\w-]{20,}$`))
    await shoot(page, 'patient-share-dialog')

    const stranger = await newPage('share-recipient')
    const res = await stranger.goto(url)
    expect(res?.status()).toBe(200)
    await stranger.getByRole('heading', { name: RECORD_TITLE }).waitFor()
    await shoot(stranger, 'share-page')

    await dialog.getByRole('button', { name: 'Revoke' }).click()
    await dialog.getByText('revoked').waitFor()
    const gone = await stranger.goto(url)
    expect(gone?.status()).toBe(410)
    // The browser logs the 410 of the page it was asked to load; that is the point here.
    allowNetworkError(410)
    await page.keyboard.press('Escape')
    await nav(page, 'Shared links')
    await page.getByRole('cell', { name: RECORD_TITLE }).waitFor()
    await shoot(page, 'patient-shares')
  })

  it('shows the emergency card with its QR code, ready to print', async () => {
    const page = pages.patient as Page
    await nav(page, 'Emergency card')
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=wallet-card] img')
      return img !== null && img.complete && img.naturalWidth > 0
    })
    await page.getByTestId('wallet-card').getByText('Blood group: O-').waitFor()
    await page.getByTestId('wallet-card').getByText('Penicillin', { exact: false }).waitFor()
    await shoot(page, 'patient-emergency')
  })

  it('records vitals and charts them with reference bands', async (ctx) => {
    needRoutes(ctx, ['POST', '/patients/{pid}/vitals'], ['GET', '/patients/{pid}/vitals'], ['GET', '/patients/{pid}/vitals/trends'])
    const page = pages.patient as Page
    await nav(page, 'Vitals')
    await field(page, 'Systolic (mmHg)').fill('128')
    await field(page, 'Diastolic (mmHg)').fill('82')
    await page.getByRole('button', { name: 'Add reading' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved: 128/82 mmHg' }).waitFor()
    await chooseOption(page, 'Type', 'Heart rate')
    await field(page, 'Value (beats/min)').fill('72')
    await page.getByRole('button', { name: 'Add reading' }).click()
    await page.getByRole('status').filter({ hasText: 'Saved: 72 beats/min' }).waitFor()
    await page.getByTestId('vital-card-blood_pressure').locator('canvas').waitFor()
    await page.getByTestId('vital-card-heart_rate').locator('canvas').waitFor()
    await shoot(page, 'patient-vitals')
    await nav(page, 'Overview')
    await page.getByRole('region', { name: 'Latest vitals' }).getByText('128/82 mmHg').waitFor()
    await shoot(page, 'patient-dashboard')
  })

  it('imports a FHIR bundle with progress and counts', async () => {
    const page = pages.patient as Page
    await nav(page, 'Import')
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'AllergyIntolerance',
            id: 'a1',
            code: { coding: [{ system: 'http://snomed.info/sct', code: '91935009', display: 'Allergy to peanut' }], text: 'Peanut' },
            patient: { reference: 'Patient/p1' },
          },
        },
      ],
    }
    const file = path.join(tmp, 'bundle.json')
    await writeFile(file, JSON.stringify(bundle))
    await page.locator('input[type=file]').setInputFiles(file)
    await page.getByRole('button', { name: 'Import', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Imported' }).waitFor()
    await shoot(page, 'patient-import')
  })

  it('an admin verifies the doctor and the pharmacist who registered', async () => {
    const doc = (pages.doctor = await newPage('doctor'))
    await signUp(doc, doctor, 'Doctor', { Specialty: 'Family medicine', 'License number': 'MD-778899' })
    await doc.getByTestId('pending-account').waitFor()
    await shoot(doc, 'doctor-pending')
    const ph = (pages.pharmacist = await newPage('pharmacist'))
    await signUp(ph, pharmacist, 'Pharmacist', { 'Pharmacy name': 'Corner Pharmacy', 'License number': 'PH-4455' })
    await ph.getByTestId('pending-account').waitFor()

    const adm = (pages.admin = await newPage('admin'))
    await signIn(adm, admin)
    expect(new URL(adm.url()).pathname).toBe('/admin')
    await adm.getByTestId('user-row').filter({ hasText: doctor.email }).waitFor()
    await shoot(adm, 'admin-accounts')
    await adm.getByRole('button', { name: `Verify ${doctor.name}` }).click()
    await adm.getByTestId('user-row').filter({ hasText: doctor.email }).waitFor({ state: 'detached' })
    await adm.getByRole('button', { name: `Verify ${pharmacist.name}` }).click()
    await adm.getByTestId('user-row').filter({ hasText: pharmacist.email }).waitFor({ state: 'detached' })

    // Status is read on every request: the open sessions become active at once.
    await doc.getByRole('button', { name: 'Check again' }).click()
    await doc.getByRole('link', { name: 'Requests and patients' }).waitFor()
    await ph.getByRole('button', { name: 'Check again' }).click()
    await ph.getByRole('link', { name: 'Counter' }).waitFor()
  })

  it('the admin sees the job queue and verifies the audit log', async () => {
    const adm = pages.admin as Page
    await nav(adm, 'Jobs and audit')
    await adm.getByTestId('jobs-health').waitFor()
    await adm.getByRole('button', { name: 'Verify audit log' }).click()
    await adm.getByTestId('audit-result').filter({ hasText: 'Log intact' }).waitFor()
    await shoot(adm, 'admin-system')
  })

  it('the patient finds the doctor and requests a consultation', async (ctx) => {
    needRoutes(ctx, ['GET', '/doctors'], ['POST', '/consultations'], ['GET', '/consultations'])
    const page = pages.patient as Page
    await nav(page, 'Doctors')
    await field(page, 'Name').fill('Ana Silva')
    await page.getByRole('button', { name: `Request a consultation with ${doctor.name}` }).click()
    await field(page, 'Reason (optional)').fill('Recurring sinus infections')
    await page.getByRole('button', { name: 'Send request' }).click()
    await page.getByTestId('consultation-row').filter({ hasText: doctor.name }).filter({ hasText: 'Pending' }).waitFor()
    await shoot(page, 'patient-consultations')
  })

  it('the doctor approves and sees the patient’s profile, records, vitals, summary and notes', async (ctx) => {
    needRoutes(ctx, ['POST', '/consultations/{id}/approve'], ['GET', '/doctor/patients'])
    const doc = pages.doctor as Page
    await doc.goto(`${base}/doctor`)
    await doc.getByRole('button', { name: `Approve ${patient.name}` }).click()
    await doc.getByTestId('patient-row').filter({ hasText: patient.name }).waitFor()
    await shoot(doc, 'doctor-home')
    await doc.getByRole('link', { name: patient.name }).click()
    await doc.getByRole('region', { name: 'Allergies' }).getByText('Penicillin').waitFor()
    await shoot(doc, 'doctor-patient-profile')
    await doc.getByRole('tab', { name: 'Records' }).click()
    await doc.getByTestId('record-row').filter({ hasText: RECORD_TITLE }).waitFor()
    if (hasRoute('GET', '/patients/{pid}/vitals')) {
      await doc.getByRole('tab', { name: 'Vitals' }).click()
      await doc.getByTestId('vital-card-blood_pressure').locator('canvas').waitFor()
      await shoot(doc, 'doctor-patient-vitals')
    }
    if (hasRoute('GET', '/patients/{pid}/summary')) {
      await doc.getByRole('tab', { name: 'Summary' }).click()
      await doc.getByText(/Generated .* by /).waitFor()
      await shoot(doc, 'doctor-patient-summary')
    }
    if (hasRoute('POST', '/patients/{pid}/notes')) {
      await doc.getByRole('tab', { name: 'Notes' }).click()
      await field(doc, 'New note').fill('Discussed inhaler technique.')
      await field(doc, 'Share with the patient').check()
      await doc.getByRole('button', { name: 'Save note' }).click()
      await doc.getByText('Discussed inhaler technique.', { exact: true }).last().waitFor()
      // Shared with the patient: it shows on their side.
      const page = pages.patient as Page
      await nav(page, 'Overview') // the patient was on the Doctors page: come back to it
      await nav(page, 'Doctors')
      await page.getByTestId('consultation-row').filter({ hasText: 'Approved' }).waitFor()
      await page.getByRole('region', { name: 'Notes from your doctors' }).getByText('Discussed inhaler technique.').waitFor()
    }
  })

  it('the doctor writes a prescription with item rows', async (ctx) => {
    needRoutes(ctx, ['POST', '/prescriptions'], ['GET', '/prescriptions'], ['GET', '/doctor/patients'])
    const doc = pages.doctor as Page
    await doc.getByRole('tab', { name: 'Prescriptions' }).click()
    const form = doc.getByRole('form', { name: 'Write a prescription' })
    await field(form, 'Diagnosis').fill('Acute sinusitis')
    await form.getByRole('button', { name: 'Add item' }).click()
    const items = [
      { medicine: 'Doxycycline', dosage: '100 mg', frequency: 'twice daily', quantity: '14', days: '7' },
      { medicine: 'Saline nasal spray', dosage: '2 sprays', frequency: 'three times daily', quantity: '1', days: '' },
    ]
    for (const [i, it] of items.entries()) {
      const row = form.getByRole('group', { name: `Item ${i + 1}` })
      await field(row, 'Medicine').fill(it.medicine)
      await field(row, 'Dosage').fill(it.dosage)
      await field(row, 'Frequency').fill(it.frequency)
      await field(row, 'Quantity').fill(it.quantity)
      if (it.days) await field(row, 'Duration (days)').fill(it.days)
    }
    await shoot(doc, 'doctor-prescription-form')
    await form.getByRole('button', { name: 'Issue prescription' }).click()
    const issued = doc.getByTestId('rx-issued')
    await issued.waitFor()
    referenceNumber = /reference ([\w-]+)/.exec((await issued.textContent()) ?? '')?.[1] ?? ''
    expect(referenceNumber).not.toBe('')
    await doc.getByTestId('prescription-card').first().waitFor()
    await nav(doc, 'Issued prescriptions')
    await doc.getByTestId('prescription-card').filter({ hasText: 'Doxycycline' }).waitFor()
    await shoot(doc, 'doctor-prescriptions')

    const page = pages.patient as Page
    await nav(page, 'Prescriptions')
    const card = page.getByTestId('prescription-card').filter({ hasText: 'Doxycycline' })
    await card.waitFor()
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=prescription-card] img')
      return img !== null && img.complete && img.naturalWidth > 0
    })
    await shoot(page, 'patient-prescriptions')
  })

  it('the pharmacist looks it up by reference number and date of birth, and dispenses', async (ctx) => {
    needRoutes(ctx, ['POST', '/pharmacy/lookup'], ['POST', '/pharmacy/prescriptions/{id}/dispense'], ['POST', '/pharmacy/prescriptions/{id}/validate'])
    expect(referenceNumber, 'needs the prescription of the previous step').not.toBe('')
    const ph = pages.pharmacist as Page
    await ph.goto(`${base}/pharmacist`)
    await shoot(ph, 'pharmacist-counter')
    await ph.getByRole('tab', { name: 'Reference number' }).click()
    // Typed as read over the counter: lower case, spaces instead of hyphens.
    const lookup = ph.getByRole('form', { name: 'Look up by reference number' })
    await field(lookup, 'Reference number').fill(referenceNumber.toLowerCase().replace(/-/g, ' '))
    await field(lookup, "Patient's date of birth").fill(DOB)
    await lookup.getByRole('button', { name: 'Look up' }).click()
    await ph.getByTestId('check-validity').filter({ hasText: /^Valid$/ }).waitFor()
    await shoot(ph, 'pharmacist-check')
    const lines = ph.getByTestId('dispense-line')
    expect(await lines.count()).toBe(2)
    for (const [i, batch] of ['DX-2026-01', 'NS-2026-07'].entries()) await field(lines.nth(i), 'Batch number').fill(batch)
    await ph.getByRole('button', { name: 'Dispense 2 items' }).click()
    await ph.getByTestId('dispensed-ok').filter({ hasText: 'is now dispensed' }).waitFor()
    await ph.getByTestId('check-problems').filter({ hasText: 'fully dispensed' }).waitFor()
    await shoot(ph, 'pharmacist-dispensed')
    if (hasRoute('GET', '/pharmacy/history')) {
      await nav(ph, 'History')
      await ph.getByRole('cell', { name: /Doxycycline/ }).waitFor()
      await shoot(ph, 'pharmacist-history')
    }
  })

  describe('the pharmacist’s QR scanner (one decoder: @zxing/library BrowserQRCodeReader)', () => {
    let rx: { id: string; prescriptionNumber: string } | undefined
    let qrPng = ''

    /** A second prescription whose QR the scanner reads (issued through the API). */
    async function issueForScanning(): Promise<void> {
      if (rx) return
      const doctorHeaders = await apiLogin(doctor.email)
      const patientHeaders = await apiLogin(patient.email)
      const me = (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: patientHeaders })).json()
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/prescriptions',
        headers: doctorHeaders,
        payload: { patientId: me.user.id, diagnosis: 'Asthma', items: [{ medicineName: 'Salbutamol', dosage: '100 mcg', frequency: 'as needed', quantity: 1 }] },
      })
      expect(res.statusCode, res.body).toBe(201)
      rx = res.json()
      const png = await t.app.inject({ method: 'GET', url: `/api/v1/prescriptions/${rx?.id}/qr.png`, headers: patientHeaders })
      expect(png.statusCode).toBe(200)
      qrPng = path.join(tmp, 'prescription-qr.png')
      await writeFile(qrPng, png.rawPayload)
    }

    it('decodes an uploaded photo of the QR code', async (ctx) => {
      needRoutes(ctx, ['POST', '/prescriptions'], ['GET', '/prescriptions/{id}/qr.png'], ['POST', '/pharmacy/scan'])
      await issueForScanning()
      const ph = pages.pharmacist as Page
      await ph.goto(`${base}/pharmacist`)
      await ph.getByTestId('scan-image-button').waitFor()
      await ph.locator('input[type=file]').setInputFiles(qrPng)
      await ph.getByTestId('check-validity').filter({ hasText: /^Valid$/ }).waitFor()
      await ph.getByTestId('prescription-card').filter({ hasText: rx?.prescriptionNumber ?? '' }).waitFor()
      await shoot(ph, 'pharmacist-scan-image')
    })

    it('decodes photos of more prescriptions’ codes (every QR version and mask the server makes must read)', async (ctx) => {
      needRoutes(ctx, ['POST', '/prescriptions'], ['GET', '/prescriptions/{id}/qr.png'], ['POST', '/pharmacy/scan'])
      const doctorHeaders = await apiLogin(doctor.email)
      const patientHeaders = await apiLogin(patient.email)
      const me = (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: patientHeaders })).json()
      const ph = pages.pharmacist as Page
      for (let i = 0; i < 4; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/prescriptions',
          headers: doctorHeaders,
          payload: { patientId: me.user.id, diagnosis: `Check ${i}`, items: [{ medicineName: 'Cetirizine', dosage: '10 mg', frequency: 'daily', quantity: 10 + i }] },
        })
        expect(res.statusCode, res.body).toBe(201)
        const { id, prescriptionNumber } = res.json() as { id: string; prescriptionNumber: string }
        const png = await t.app.inject({ method: 'GET', url: `/api/v1/prescriptions/${id}/qr.png`, headers: patientHeaders })
        const file = path.join(tmp, `qr-${i}.png`)
        await writeFile(file, png.rawPayload)
        await ph.goto(`${base}/pharmacist`)
        await ph.locator('input[type=file]').setInputFiles(file)
        await ph.getByTestId('prescription-card').filter({ hasText: prescriptionNumber }).waitFor()
      }
      // The last one is refused at the counter: a reason, a confirmation, and it is blocked for good.
      await field(ph.getByRole('form', { name: 'Reject' }), 'Reason for rejecting').fill('Patient already has a supply')
      ph.once('dialog', (d) => void d.accept())
      await ph.getByRole('button', { name: 'Reject prescription' }).click()
      await ph.getByTestId('check-problems').filter({ hasText: 'rejected' }).waitFor()
      await shoot(ph, 'pharmacist-rejected')
    })

    it('decodes the QR code from the camera (Chromium fake video capture)', async (ctx) => {
      needRoutes(ctx, ['POST', '/prescriptions'], ['GET', '/prescriptions/{id}/qr.png'], ['POST', '/pharmacy/scan'])
      await issueForScanning()
      const video = path.join(tmp, 'qr.y4m')
      await pngToY4m(qrPng, video)
      const camBrowser = await launchChromium(['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${video}`, '--use-fake-ui-for-media-stream'])
      try {
        const ph = await newPage('pharmacist-camera', { browser: camBrowser, permissions: ['camera'] })
        await signIn(ph, pharmacist)
        await ph.getByRole('button', { name: 'Scan with camera' }).click()
        await ph.getByTestId('check-validity').filter({ hasText: /^Valid$/ }).waitFor({ timeout: 30_000 })
        await ph.getByTestId('prescription-card').filter({ hasText: rx?.prescriptionNumber ?? '' }).waitFor()
        await shoot(ph, 'pharmacist-scan-camera')
        await ph.context().close()
      } finally {
        await camBrowser.close()
      }
    })
  })

  it('the doctor cancels an active prescription', async (ctx) => {
    needRoutes(ctx, ['POST', '/prescriptions/{id}/cancel'], ['GET', '/prescriptions'])
    const doc = pages.doctor as Page
    await doc.goto(`${base}/doctor/prescriptions`)
    const card = doc.getByTestId('prescription-card').filter({ hasText: 'Check 0' })
    doc.once('dialog', (d) => void d.accept())
    await card.getByRole('button', { name: 'Cancel prescription' }).click()
    await card.getByText('Cancelled', { exact: true }).waitFor()
  })

  it('the patient sees who accessed their data (through the phone menu), then signs out', async () => {
    const page = pages.patient as Page
    await page.setViewportSize(PHONE)
    await page.getByRole('button', { name: 'Open navigation' }).click()
    await page.getByRole('navigation').getByRole('link', { name: 'Access log', exact: true }).click()
    await page.getByRole('heading', { name: 'Access log' }).waitFor()
    await page.setViewportSize(DESKTOP)
    await page.getByRole('table', { name: 'Access events' }).waitFor()
    await shoot(page, 'patient-access-log')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    // Signed out for good: a reload does not resume the session.
    await page.reload()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect((await page.context().cookies()).find((c) => c.name === 'cl_refresh')).toBeUndefined()
  })
})
