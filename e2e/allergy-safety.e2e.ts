/**
 * Allergy safety in real Chromium (SPEC §4.9, issue 10): a doctor prescribes amoxicillin to
 * a patient with a severe penicillin allergy. The server answers 409 allergy-warning and the
 * prescription form interrupts with a dialog naming the medicine and the allergy; the doctor
 * must give a reason (at least 10 characters) to "Prescribe anyway". The pharmacist then
 * looks the prescription up, sees the warnings and the prescriber's reason, and must tick
 * "I have checked this with the patient or the prescriber" in a dialog before the dispense
 * is sent with warningsAcknowledged; a prescription without warnings dispenses with no
 * dialog. Users, profile and consultation are made through the
 * API to keep the story short. Screenshots of both dialogs at 390 px and desktop width go to
 * e2e/screenshots/.
 */
import path from 'node:path'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { ConsoleErrors, field, signIn, useBrowserApp } from './browser-app.js'

const DOB = '1975-09-14'
const REASON = 'Tolerated amoxicillin in 2024 under observation; no alternative suits this infection.'

let t: TestApp, base: string, browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors = new ConsoleErrors()
let patient: TestUser, doctor: TestUser, pharmacist: TestUser
let referenceNumber = ''
let prescriptionId = ''

const api = async (u: TestUser, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
  const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, ...(payload ? { payload } : {}) })
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res.json()
}

useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  const admin = await createAdmin(t)
  doctor = await registerVerified(t, 'doctor', admin)
  pharmacist = await registerVerified(t, 'pharmacist', admin)
  patient = await registerUser(t, 'patient', { name: 'Maria Lopez' })
  await api(patient, 'PUT', '/patients/me/profile', {
    fullName: 'Maria Lopez',
    dateOfBirth: DOB,
    allergies: [{ substance: 'Penicillin', reaction: 'Anaphylaxis', severity: 'severe' }],
  })
  const consultation = await api(patient, 'POST', '/consultations', { doctorId: doctor.id })
  await api(doctor, 'POST', `/consultations/${consultation.id}/approve`)
})

afterEach(() => consoleErrors.expectNone())

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
})

async function signedInPage(who: TestUser): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP })
  contexts.push(context)
  const page = consoleErrors.watch(await context.newPage())
  await signIn(page, base, who)
  return page
}

/** Removes exactly one browser log line of a deliberate 409, failing when it is absent. */
const allowConflictLog = () => consoleErrors.allowOne(409)

/** The open dialog at desktop width and at 390 px, where nothing in it may paint right of the screen. */
async function shootDialog(page: Page, dialog: Locator, name: string, buttons: string[]): Promise<void> {
  await page.waitForTimeout(300) // the modal's opening transition
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-desktop.png`) })
  await page.setViewportSize(PHONE_390)
  try {
    await page.waitForTimeout(300)
    const right = await dialog.evaluate((el) => Math.max(...[el, ...el.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)))
    expect(right, `${name} fits a 390 px screen`).toBeLessThanOrEqual(PHONE_390.width)
    for (const b of buttons) await expect(dialog.getByRole('button', { name: b }).isVisible(), b).resolves.toBe(true)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-390.png`) })
  } finally {
    await page.setViewportSize(DESKTOP)
  }
}

describe('allergy safety in real Chromium (SPEC §4.9)', () => {
  it('the doctor is interrupted by an allergy dialog, gives a reason and prescribes anyway', async () => {
    const page = await signedInPage(doctor)
    await page.goto(`${base}/doctor/patients/${patient.id}`)
    await page.getByRole('tab', { name: 'Prescriptions' }).click()
    const form = page.getByRole('form', { name: 'Write a prescription' })
    await field(form, 'Diagnosis').fill('Streptococcal pharyngitis')
    const row = form.getByRole('group', { name: 'Item 1' })
    await field(row, 'Medicine').fill('Amoxicillin')
    await field(row, 'Dosage').fill('500 mg')
    await field(row, 'Frequency').fill('three times daily')
    await field(row, 'Quantity').fill('30')
    await field(row, 'Duration (days)').fill('10')
    await form.getByRole('button', { name: 'Issue prescription' }).click()

    const dialog = page.getByRole('dialog', { name: 'Allergy warning' })
    await dialog.waitFor()
    allowConflictLog()
    const warning = dialog.getByTestId('allergy-warning')
    await expect(warning.count()).resolves.toBe(1)
    const text = (await warning.textContent()) ?? ''
    expect(text).toContain('Amoxicillin')
    expect(text).toContain('Penicillin')
    await expect(dialog.textContent()).resolves.toContain('Nothing has been issued')
    expect((await api(doctor, 'GET', '/prescriptions')).items).toEqual([])
    // No banner under the form: the dialog is the message.
    await expect(form.getByRole('alert').count()).resolves.toBe(0)
    await shootDialog(page, dialog, 'allergy-warning-dialog', ['Change prescription', 'Prescribe anyway'])

    // The reason is required, at least 10 characters, before anything is sent.
    await dialog.getByRole('button', { name: 'Prescribe anyway' }).click()
    const reason = field(dialog, 'Reason for prescribing anyway')
    await expect.poll(() => reason.getAttribute('aria-invalid')).toBe('true')
    await reason.fill('short')
    await dialog.getByRole('button', { name: 'Prescribe anyway' }).click()
    await expect.poll(() => reason.getAttribute('aria-invalid')).toBe('true')
    expect((await api(doctor, 'GET', '/prescriptions')).items).toEqual([])

    await reason.fill(REASON)
    await dialog.getByRole('button', { name: 'Prescribe anyway' }).click()
    await dialog.waitFor({ state: 'detached' })
    const issued = page.getByTestId('rx-issued')
    await issued.waitFor()
    referenceNumber = /reference ([\w-]+)/.exec((await issued.textContent()) ?? '')?.[1] ?? ''
    expect(referenceNumber).not.toBe('')
    const [rx] = (await api(doctor, 'GET', '/prescriptions')).items
    prescriptionId = rx.id
    expect(rx.prescriberWarnings).toMatchObject({ reason: REASON, warnings: [{ code: 'allergy', itemIndex: 0, substance: 'Penicillin' }] })
  })

  it('the pharmacist sees the warnings and the reason, and must acknowledge them before dispensing', async () => {
    expect(referenceNumber, 'needs the prescription of the previous step').not.toBe('')
    const page = await signedInPage(pharmacist)
    await page.goto(`${base}/pharmacist`)
    await page.getByRole('tab', { name: 'Reference number' }).click()
    const lookup = page.getByRole('form', { name: 'Look up by reference number' })
    await field(lookup, 'Reference number').fill(referenceNumber)
    await field(lookup, "Patient's date of birth").fill(DOB)
    await lookup.getByRole('button', { name: 'Look up' }).click()
    const warnings = page.getByTestId('check-warnings')
    await warnings.waitFor()
    const shown = (await warnings.textContent()) ?? ''
    expect(shown).toContain('Penicillin')
    expect(shown).toContain(REASON)

    const line = page.getByTestId('dispense-line')
    await field(line, 'Batch number').fill('AMX-2026-03')
    await page.getByRole('button', { name: 'Dispense 1 item' }).click()
    const dialog = page.getByRole('dialog', { name: 'Check before dispensing' })
    await dialog.waitFor()
    await expect(dialog.getByTestId('prescriber-reason').textContent()).resolves.toContain(REASON)
    const confirm = dialog.getByRole('button', { name: 'Dispense', exact: true })
    await expect(confirm.isDisabled()).resolves.toBe(true)
    await shootDialog(page, dialog, 'dispense-warnings-dialog', ['Cancel', 'Dispense'])
    // Nothing was sent yet.
    expect((await t.deps.db.selectFrom('dispensations').select('id').where('prescriptionId', '=', prescriptionId).execute()).length).toBe(0)

    await dialog.getByLabel('I have checked this with the patient or the prescriber').check()
    await expect(confirm.isEnabled()).resolves.toBe(true)
    await confirm.click()
    await page.getByTestId('dispensed-ok').filter({ hasText: 'is now dispensed' }).waitFor()
    const stored = await t.deps.db.selectFrom('dispensations').select('acknowledgedWarnings').where('prescriptionId', '=', prescriptionId).executeTakeFirstOrThrow()
    expect(stored.acknowledgedWarnings?.map((w) => w.code)).toEqual(['allergy', 'prescriber_override'])
  })

  it('a prescription without warnings dispenses at once, with no dialog', async () => {
    const rx = await api(doctor, 'POST', '/prescriptions', {
      patientId: patient.id,
      diagnosis: 'Sore throat',
      items: [{ medicineName: 'Ibuprofen', dosage: '400 mg', frequency: 'as needed', quantity: 20 }],
    })
    expect(rx.prescriberWarnings).toBeNull()
    const page = await signedInPage(pharmacist)
    await page.goto(`${base}/pharmacist`)
    await page.getByRole('tab', { name: 'Reference number' }).click()
    const lookup = page.getByRole('form', { name: 'Look up by reference number' })
    await field(lookup, 'Reference number').fill(rx.referenceNumber)
    await field(lookup, "Patient's date of birth").fill(DOB)
    await lookup.getByRole('button', { name: 'Look up' }).click()
    await page.getByTestId('check-validity').filter({ hasText: /^Valid$/ }).waitFor()
    await expect(page.getByTestId('check-warnings').count()).resolves.toBe(0)
    await field(page.getByTestId('dispense-line'), 'Batch number').fill('IBU-2026-01')
    await page.getByRole('button', { name: 'Dispense 1 item' }).click()
    await page.getByTestId('dispensed-ok').filter({ hasText: 'is now dispensed' }).waitFor()
    await expect(page.getByRole('dialog').count()).resolves.toBe(0)
  })
})
