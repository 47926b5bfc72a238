/// <reference lib="dom" />
/**
 * "Show on my emergency card" (SPEC §4.2 `emergencyCard`, §4.6) in real Chromium against the
 * built web app: the profile page's picker starts on the default (the server's picks: the
 * disorder ticked, the Synthea-style findings not), the patient chooses instead, the API
 * stores exactly that choice, and the emergency-card page previews it.
 */
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerUser, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, SCREENSHOT_DIR } from './browser.js'
import { signIn, useBrowserApp } from './browser-app.js'

let t: TestApp, base: string, browser: Browser
let patient: TestUser, page: Page
useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  patient = await registerUser(t, 'patient', { name: 'Domenica Brown' })
  const put = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: patient.headers,
    payload: {
      fullName: 'Domenica Brown',
      allergies: [{ substance: 'Penicillin', severity: 'severe' }],
      conditions: [
        { name: 'Diabetes mellitus type 2 (disorder)', status: 'active' },
        { name: 'Full-time employment (finding)', status: 'active' },
        { name: 'Stress (finding)', status: 'active' },
      ],
      medications: [{ name: 'Metformin 500 MG', dosage: '500 mg' }, { name: 'Simvastatin 20 MG' }],
    },
  })
  expect(put.statusCode, put.body).toBe(200)
  page = await (await browser.newContext({ viewport: DESKTOP })).newPage()
  await signIn(page, base, patient)
})

describe('the emergency card picker', () => {
  it('starts on the default, saves the patient’s own choice, and the emergency-card page previews it', async () => {
    await page.goto(`${base}/patient/profile`)
    const picker = page.getByTestId('emergency-card-picker')
    const box = (name: string) => picker.getByRole('checkbox', { name, exact: true })
    const useDefault = picker.getByRole('checkbox', { name: /^Use the default/ })
    await useDefault.waitFor()
    expect(await useDefault.isChecked()).toBe(true)
    expect(await box('Diabetes mellitus type 2 (disorder)').isChecked()).toBe(true)
    expect(await box('Full-time employment (finding)').isChecked()).toBe(false)
    expect(await box('Stress (finding)').isChecked()).toBe(false)
    expect(await box('Simvastatin 20 MG').isChecked()).toBe(true)
    expect(await box('Stress (finding)').isDisabled()).toBe(true)
    await picker.screenshot({ path: path.join(SCREENSHOT_DIR, 'emergency-card-picker-default.png') })

    await useDefault.uncheck()
    await box('Stress (finding)').check()
    await box('Simvastatin 20 MG').uncheck()
    await page.getByRole('button', { name: 'Save profile' }).click()
    await page.getByRole('status').filter({ hasText: 'Your profile was saved' }).waitFor()

    const saved = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: patient.headers })).json()
    const idOf = (list: { id: string; name: string }[], name: string) => list.find((i) => i.name === name)!.id
    expect(saved.emergencyCard).toEqual({
      conditionIds: [idOf(saved.conditions, 'Diabetes mellitus type 2 (disorder)'), idOf(saved.conditions, 'Stress (finding)')],
      medicationIds: [idOf(saved.medications, 'Metformin 500 MG')],
    })
    await picker.screenshot({ path: path.join(SCREENSHOT_DIR, 'emergency-card-picker-chosen.png') })

    await page.getByRole('navigation').getByRole('link', { name: 'Emergency card', exact: true }).click()
    const preview = page.getByTestId('emergency-card-preview')
    await preview.getByText('Stress (finding)').waitFor()
    const text = await preview.textContent()
    expect(text).toContain('Penicillin')
    expect(text).toContain('Diabetes mellitus type 2 (disorder)')
    expect(text).toContain('Metformin 500 MG')
    expect(text).not.toContain('Simvastatin')
    expect(text).not.toContain('Full-time employment')
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'emergency-card-preview.png'), fullPage: true })
  })
})
