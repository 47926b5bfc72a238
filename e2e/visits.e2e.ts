/// <reference lib="dom" />
/**
 * Visits (SPEC §10) in real Chromium against the built web app: a consenting doctor records a
 * visit from the patient's "Visits" tab (type, times, reason, diagnoses one per line, summary),
 * and the patient, on a 390 px phone, sees it on the Visits page and opens its details — with
 * no sideways scroll.
 */
import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified } from '../test/helpers/factories.js'
import { consent } from '../test/helpers/prescriptions.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390 } from './browser.js'
import { field, signedInPage, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
useBrowserApp((app) => ({ t, base, browser } = app))

describe('visits in the web app', () => {
  it('the doctor records a visit; the patient sees it on the Visits page at 390 px', async () => {
    const admin = await createAdmin(t)
    const patient = await registerUser(t, 'patient', { name: 'Vera Visit' })
    const doctor = await registerVerified(t, 'doctor', admin)
    await consent(t, patient.id, doctor.id)

    const doc = await signedInPage({ browser, base }, doctor, `/doctor/patients/${patient.id}`, DESKTOP)
    await doc.page.getByRole('tab', { name: 'Visits' }).click()
    const form = doc.page.getByRole('form', { name: 'Record visit' })
    await field(form, 'Reason').fill('Follow-up of blood pressure')
    await field(form, 'Diagnoses').fill('Essential hypertension\nOverweight')
    await field(form, 'Summary').fill('Continue treatment. Review in 3 months.')
    await form.getByRole('button', { name: 'Record visit' }).click()
    await doc.page.getByRole('status').filter({ hasText: 'Visit recorded.' }).waitFor()
    await doc.page.getByLabel(/^Visit of /).first().waitFor()
    expect(await doc.page.getByLabel('Visits').getByText('Follow-up of blood pressure').count()).toBe(1)
    expect(doc.errors).toEqual([])

    // Signed in at desktop width (the phone layout folds "Sign out" into the menu), then a 390 px phone.
    const pat = await signedInPage({ browser, base }, patient, '/patient/visits', DESKTOP)
    await pat.page.setViewportSize(PHONE_390)
    const visit = pat.page.getByLabel(/^Visit of /).first()
    await visit.waitFor()
    expect(await visit.textContent()).toContain('Essential hypertension')
    await visit.getByRole('button', { name: 'Details' }).click()
    await visit.getByText('Continue treatment. Review in 3 months.').waitFor()
    expect(await pat.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    expect(pat.errors).toEqual([])
    await doc.page.context().close()
    await pat.page.context().close()
  })
})
