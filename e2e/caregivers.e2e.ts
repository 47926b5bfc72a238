/// <reference lib="dom" />
/**
 * Caregivers (SPEC §10) in real Chromium against the built web app: Alice invites Bob (another
 * patient) from her Caregivers page; the invitation email reaches a real SMTP listener; Bob
 * opens its link while signed out, signs in, comes back to the invitation and accepts; he
 * switches to Alice's locker and sees her records and profile (read only), and his navigation
 * there has no access log, emergency card, caregivers or "your data". The Caregivers page
 * fits a 390 px phone without sideways scrolling.
 */
import type { Browser } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { registerUser } from '../test/helpers/factories.js'
import { startSmtpSink } from '../test/helpers/smtp-sink.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { uploadRecord } from '../test/helpers/uploads.js'
import { waitUntil } from '../test/helpers/wait.js'
import { DESKTOP, PHONE_390 } from './browser.js'
import { ConsoleErrors, field, signIn, useBrowserApp } from './browser-app.js'

const smtp = await startSmtpSink()
let t: TestApp, base: string, browser: Browser
const consoleErrors = new ConsoleErrors()
useBrowserApp((app) => ({ t, base, browser } = app), { SMTP_URL: smtp.url }, { publicUrl: (port) => `http://127.0.0.1:${port}` })
afterAll(async () => {
  await smtp.close()
})

describe('caregivers in the web app', () => {
  it('a patient invites another, who accepts through the emailed link, switches to her locker and reads it; the access log stays hidden there', async () => {
    const alice = await registerUser(t, 'patient', { name: 'Alice Able' })
    const bob = await registerUser(t, 'patient', { name: 'Bob Baker' })
    await t.app.inject({ method: 'PUT', url: '/api/v1/patients/me/profile', headers: alice.headers, payload: { fullName: 'Alice Able', dateOfBirth: '1948-03-04' } })
    await uploadRecord(t, alice, { name: 'alice-discharge-letter.txt', bytes: 'Discharge letter\n' })

    // Alice invites Bob, read only.
    const a = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    consoleErrors.watch(a)
    await signIn(a, base, alice)
    await a.getByRole('navigation').getByRole('link', { name: 'Caregivers', exact: true }).click()
    await a.getByRole('heading', { name: 'Caregivers', level: 2 }).waitFor()
    await field(a, 'Their email').fill(bob.email)
    await a.getByRole('button', { name: 'Send invitation' }).click()
    await a.getByText('Invitation sent').waitFor()
    await a.getByRole('cell', { name: bob.email, exact: true }).waitFor()
    await a.getByRole('cell', { name: 'Invited', exact: true }).waitFor()

    const mail = await waitUntil(() => smtp.messages.find((m) => m.envelopeTo.includes(bob.email) && m.subject.includes('invited')), 20_000, 'the invitation email')
    const link = /(http:\/\/127\.0\.0\.1:\d+\/caregiver-invitations\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1]
    expect(link, mail.text).toBeDefined()
    expect(mail.text).toContain('Alice Able')

    // Bob opens the link signed out: sign in first, then back to the invitation.
    const b = await (await browser.newContext({ viewport: DESKTOP })).newPage()
    consoleErrors.watch(b)
    await b.goto(link!)
    await b.waitForURL(/\/login$/)
    await field(b, 'Email').fill(bob.email)
    await b.locator('input[type=password]').fill(bob.password)
    await b.getByRole('button', { name: 'Sign in', exact: true }).click()
    await b.getByRole('heading', { name: 'Caregiver invitation' }).waitFor()
    await b.getByRole('button', { name: 'Accept' }).click()
    await b.waitForURL(/\/patient$/)

    // His own locker: the access log is in his nav.
    await b.getByRole('navigation').getByRole('link', { name: 'Access log', exact: true }).waitFor()
    await b.getByRole('combobox', { name: 'Locker shown' }).click()
    await b.getByRole('option', { name: /Alice Able/ }).click()
    await b.getByText('Read only', { exact: true }).waitFor()
    for (const hidden of ['Access log', 'Emergency card', 'Caregivers', 'Your data', 'Shared links', 'Import']) {
      await expect(b.getByRole('navigation').getByRole('link', { name: hidden, exact: true }).count(), hidden).resolves.toBe(0)
    }
    await b.getByRole('navigation').getByRole('link', { name: 'Records', exact: true }).click()
    await b.getByText('alice-discharge-letter.txt').first().waitFor()
    await expect(b.getByRole('button', { name: 'Upload a record' }).count()).resolves.toBe(0)
    await b.getByRole('navigation').getByRole('link', { name: 'Medical profile', exact: true }).click()
    await expect.poll(() => field(b, 'Full name').inputValue()).toBe('Alice Able')
    await expect(b.getByRole('button', { name: 'Save profile' }).count()).resolves.toBe(0)

    // Alice's list shows Bob active; her audit log has his reads as a caregiver (server side).
    await a.reload()
    await a.getByRole('cell', { name: 'Active', exact: true }).waitFor()
    await t.deps.audit.sealNow()
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: alice.headers })
    expect(audit.json().items).toContainEqual(expect.objectContaining({ action: 'profile.viewed', actor: expect.objectContaining({ kind: 'caregiver', id: bob.id }) }))

    // The Caregivers page at 390 px: no sideways scroll.
    const phone = a
    await phone.setViewportSize(PHONE_390)
    await phone.goto(`${base}/patient/caregivers`)
    await phone.getByRole('heading', { name: 'Caregivers', level: 2 }).waitFor()
    await phone.getByRole('cell', { name: 'Active', exact: true }).waitFor()
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)

    for (const p of [a, b]) await p.context().close()
    consoleErrors.expectNone()
  }, 180_000)
})
