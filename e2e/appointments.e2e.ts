/// <reference lib="dom" />
/**
 * Appointments in real Chromium (SPEC §10, issue 16 item 6): Dr. Ana Ruiz (browser in New York)
 * publishes her weekly hours and some time away through the Availability page; Maria Lopez
 * (browser in Madrid), who has an approved consultation with her, books the earliest free slot
 * through the Appointments page — and when another patient takes that slot between her pick and
 * her confirmation, she is told "someone just took this slot" and picks another from the
 * refreshed list. Maria then sees the appointment under Upcoming, in Madrid time, and the doctor
 * sees it in her Calendar, in New York time. The doctor records the visit from the calendar
 * ("Record visit": the Visits tab of the patient's page), the appointment becomes completed, and
 * Maria finds the visit under Visits. The booking page, the calendar and the availability editor
 * must fit a 390 px phone without sideways scrolling; screenshots go to e2e/screenshots/.
 * Users and the consultation are made through the API to keep the story short.
 */
import path from 'node:path'
import { DateTime } from 'luxon'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, type TestUser } from '../test/helpers/factories.js'
import type { TestApp } from '../test/helpers/test-app.js'
import { DESKTOP, PHONE_390, SCREENSHOT_DIR } from './browser.js'
import { checkStep, ConsoleErrors, field, signIn, useBrowserApp } from './browser-app.js'

const DOCTOR_ZONE = 'America/New_York'
const PATIENT_ZONE = 'Europe/Madrid'
const LOCALE = 'en-US'

let t: TestApp, base: string, browser: Browser
const contexts: BrowserContext[] = []
const consoleErrors = new ConsoleErrors()
const pages: Record<string, Page> = {}
let doctor: TestUser, patient: TestUser, rival: TestUser
/** The appointment Maria booked through the page. */
let booked: { id: string; start: string } | undefined

const api = async (u: TestUser, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
  const res = await t.app.inject({ method, url: `/api/v1${url}`, headers: u.headers, ...(payload ? { payload } : {}) })
  expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300)
  return res.json()
}

/** `09:30 AM`-style time of an instant in `zone`, as the page (locale en-US) writes it. */
const timeIn = (instant: string, zone: string) => new Intl.DateTimeFormat(LOCALE, { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(new Date(instant))

const fitsWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)

useBrowserApp((app) => ({ t, base, browser } = app))
beforeAll(async () => {
  const admin = await createAdmin(t)
  doctor = await registerUser(t, 'doctor', { name: 'Ana Ruiz' })
  await api(admin, 'POST', `/admin/users/${doctor.id}/verify`)
  patient = await registerUser(t, 'patient', { name: 'Maria Lopez' })
  rival = await registerUser(t, 'patient', { name: 'Rita Quick' })
  for (const p of [patient, rival]) {
    const consultation = await api(p, 'POST', '/consultations', { doctorId: doctor.id })
    await api(doctor, 'POST', `/consultations/${consultation.id}/approve`)
  }
})

afterEach(async (ctx) => checkStep(ctx, pages, consoleErrors, 'appointments-'))

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
})

/** A page signed in as `who`, at desktop width, with the browser in `timezoneId`. */
async function signedInPage(who: TestUser, timezoneId: string): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP, timezoneId, locale: LOCALE })
  contexts.push(context)
  const page = consoleErrors.watch(await context.newPage())
  await signIn(page, base, who)
  return page
}

/** Picks `option` of the Mantine select labelled `label`. */
async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole('combobox', { name: label, exact: true }).click()
  await page.getByRole('option', { name: option, exact: true }).click()
}

/** Steps the calendar (on this week) forward to the week of `instant` in the doctor's zone (weeks start on Monday). */
async function showWeekOf(page: Page, instant: string): Promise<void> {
  const weeks = DateTime.fromISO(instant).setZone(DOCTOR_ZONE).startOf('week').diff(DateTime.now().setZone(DOCTOR_ZONE).startOf('week'), 'weeks').weeks
  for (let i = 0; i < Math.round(weeks); i++) await page.getByRole('button', { name: 'Next week' }).click()
}

describe('appointments in real Chromium (SPEC §10)', () => {
  it('the doctor publishes weekly hours and time away through the Availability page', async () => {
    const page = (pages.doctor = await signedInPage(doctor, DOCTOR_ZONE))
    await page.getByRole('link', { name: 'Availability' }).click()
    await page.getByRole('heading', { name: 'Availability' }).waitFor()
    // Nothing published yet: the API answers 404 and the form starts from weekdays 09:00–17:00
    // in the browser's zone.
    const form = page.getByRole('form', { name: 'Weekly availability' })
    await form.waitFor()
    consoleErrors.allowOne(404)
    await expect(field(form, 'Time zone').inputValue()).resolves.toBe('America/New York')
    await expect(form.getByTestId('weekly-row').count()).resolves.toBe(5)
    // Weekends too, so the next four weeks always hold free slots whenever the test runs.
    await form.getByRole('button', { name: 'Add hours' }).click()
    await form.getByRole('button', { name: 'Add hours' }).click()
    const rows = form.getByTestId('weekly-row')
    await expect(rows.count()).resolves.toBe(7)
    await expect(field(rows.nth(5), 'Day').inputValue()).resolves.toBe('Saturday')
    await expect(field(rows.nth(6), 'Day').inputValue()).resolves.toBe('Sunday')
    await field(rows.nth(6), 'From').fill('10:00')
    await field(rows.nth(6), 'To').fill('14:00')
    await field(form, 'Slot length (minutes)').fill('30')
    await form.getByRole('button', { name: 'Save availability' }).click()
    await page.getByRole('status').filter({ hasText: 'Availability saved.' }).waitFor()
    const saved = await api(doctor, 'GET', '/doctor/availability')
    expect(saved).toMatchObject({ timeZone: DOCTOR_ZONE, slotMinutes: 30 })
    expect(saved.weekly).toHaveLength(7)
    expect(saved.weekly).toContainEqual({ weekday: 7, start: '10:00', end: '14:00' })

    // Time away three weeks ahead, entered in the schedule's zone; then deleted again.
    const away = new Date(Date.now() + 21 * 86_400_000)
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: DOCTOR_ZONE }).format(away)
    const timeAway = page.getByRole('form', { name: 'Add time away' })
    await field(timeAway, 'Away from').fill(`${day}T08:00`)
    await field(timeAway, 'Until').fill(`${day}T18:00`)
    await field(timeAway, 'Reason (optional)').fill('Conference')
    await timeAway.getByRole('button', { name: 'Add time away' }).click()
    const exception = page.getByTestId('exception-row').filter({ hasText: 'Conference' })
    await exception.waitFor()
    const [stored] = (await api(doctor, 'GET', '/doctor/availability/exceptions')).items
    // 08:00 in New York is 12:00 or 13:00 UTC (daylight saving time or not).
    expect(new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: DOCTOR_ZONE }).format(new Date(stored.from))).toBe('08:00')
    await exception.getByRole('button', { name: /Delete time away/ }).click()
    await exception.waitFor({ state: 'detached' })
    expect((await api(doctor, 'GET', '/doctor/availability/exceptions')).items).toEqual([])
  })

  it('the patient books the earliest free slot; a slot taken meanwhile is refused clearly and the slots refresh', async () => {
    const page = (pages.patient = await signedInPage(patient, PATIENT_ZONE))
    await page.getByRole('link', { name: 'Appointments' }).click()
    await page.getByRole('heading', { name: 'Appointments' }).waitFor()
    await page.getByText('No upcoming appointments.').waitFor()
    await choose(page, 'Doctor', 'Ana Ruiz')

    const from = new Date().toISOString()
    const to = new Date(Date.now() + 27 * 86_400_000).toISOString()
    const free = (await api(patient, 'GET', `/doctors/${doctor.id}/slots?from=${from}&to=${to}`)).items as { start: string; end: string }[]
    expect(free.length).toBeGreaterThan(1)
    const first = free[0]!, second = free[1]!

    // The first day with free times, then its first time: the earliest free slot, in Madrid time.
    await page.getByRole('group', { name: 'Day' }).getByRole('button', { disabled: false }).first().click()
    const times = page.getByRole('group', { name: 'Time' }).getByRole('button')
    await expect(times.first().textContent()).resolves.toBe(timeIn(first.start, PATIENT_ZONE))
    await times.first().click()
    await field(page, 'Reason (optional)').fill('Follow-up of blood pressure')
    await page.getByRole('button', { name: 'Book this time' }).click()
    const confirm = page.getByRole('dialog', { name: 'Confirm the appointment' })
    await confirm.waitFor()
    await expect(confirm.textContent()).resolves.toContain('Ana Ruiz')

    // Rita books that very slot before Maria confirms.
    await api(rival, 'POST', '/appointments', { doctorId: doctor.id, start: first.start })
    await confirm.getByRole('button', { name: 'Confirm booking' }).click()
    await page.getByRole('alert').filter({ hasText: 'Someone just took this slot — pick another.' }).waitFor()
    consoleErrors.allowOne(409)
    // The list no longer offers the taken slot: the earliest is now the next one.
    const chosenDay = page.getByRole('group', { name: 'Day' }).getByRole('button', { pressed: true })
    if ((await chosenDay.count()) === 0) await page.getByRole('group', { name: 'Day' }).getByRole('button', { disabled: false }).first().click()
    await expect.poll(() => times.first().textContent()).toBe(timeIn(second.start, PATIENT_ZONE))
    await times.first().click()
    await page.getByRole('button', { name: 'Book this time' }).click()
    await confirm.getByRole('button', { name: 'Confirm booking' }).click()
    await page.getByRole('status').filter({ hasText: 'Booked' }).waitFor()

    const row = page.getByTestId('appointment-row').filter({ hasText: 'Ana Ruiz' })
    await row.waitFor()
    const text = (await row.textContent()) ?? ''
    expect(text).toContain('Booked')
    expect(text).toContain(timeIn(second.start, PATIENT_ZONE))
    expect(text).toContain('Follow-up of blood pressure')
    const [mine] = (await api(patient, 'GET', '/appointments')).items
    expect(mine).toMatchObject({ start: second.start, status: 'booked', doctor: { id: doctor.id }, reason: 'Follow-up of blood pressure' })
    booked = { id: mine.id, start: mine.start }
  })

  it('the doctor sees the appointment in the Calendar, in her time zone', async () => {
    expect(booked, 'needs the booking of the previous step').toBeDefined()
    const page = pages.doctor ?? (pages.doctor = await signedInPage(doctor, DOCTOR_ZONE))
    await page.getByRole('link', { name: 'Calendar' }).click()
    await page.getByRole('heading', { name: 'Calendar' }).waitFor()
    await showWeekOf(page, booked!.start)
    const row = page.getByTestId('calendar-row').filter({ hasText: 'Maria Lopez' })
    await row.waitFor()
    const text = (await row.textContent()) ?? ''
    expect(text).toContain(timeIn(booked!.start, DOCTOR_ZONE))
    expect(text).toContain('Booked')
    await expect(row.getByRole('link', { name: 'Record the visit of Maria Lopez' }).getAttribute('href')).resolves.toBe(`/doctor/patients/${patient.id}?appointmentId=${booked!.id}`)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'calendar-desktop.png'), fullPage: true })
  })

  it('the doctor records the visit from the calendar; the appointment is completed and the patient sees the visit', async () => {
    expect(booked, 'needs the booking of the previous step').toBeDefined()
    const page = pages.doctor!
    await page.getByTestId('calendar-row').filter({ hasText: 'Maria Lopez' }).getByRole('link', { name: 'Record the visit of Maria Lopez' }).click()
    const form = page.getByRole('form', { name: 'Record visit' })
    await form.waitFor()
    await field(form, 'Reason').fill('Blood pressure follow-up')
    await field(form, 'Diagnoses').fill('Essential hypertension')
    await field(form, 'Summary').fill('BP 132/84 on amlodipine; continue and recheck in three months.')
    await form.getByRole('button', { name: 'Record visit' }).click()
    await form.getByRole('status').filter({ hasText: 'Visit recorded.' }).waitFor()
    expect((await api(patient, 'GET', `/appointments/${booked!.id}`)).status).toBe('completed')
    const [visit] = (await api(patient, 'GET', '/patients/me/encounters')).items
    expect(visit).toMatchObject({ appointmentId: booked!.id, doctor: { id: doctor.id }, reason: 'Blood pressure follow-up' })

    // The calendar shows it completed, with nothing left to record or cancel.
    await page.getByRole('link', { name: 'Calendar' }).click()
    await showWeekOf(page, booked!.start)
    const row = page.getByTestId('calendar-row').filter({ hasText: 'Maria Lopez' })
    await row.filter({ hasText: 'Completed' }).waitFor()
    await expect(row.getByRole('link', { name: /Record the visit/ }).count()).resolves.toBe(0)

    const patientPage = pages.patient!
    await patientPage.getByRole('link', { name: 'Visits' }).click()
    await patientPage.getByRole('heading', { name: 'Visits' }).waitFor()
    const shown = patientPage.getByRole('main')
    await shown.getByText('Essential hypertension').waitFor()
    await shown.getByRole('button', { name: 'Details' }).first().click()
    await shown.getByText('BP 132/84 on amlodipine', { exact: false }).first().waitFor()
    await patientPage.getByRole('link', { name: 'Appointments' }).click()
    const past = patientPage.getByRole('region', { name: 'Past and cancelled' }).getByTestId('appointment-row').filter({ hasText: 'Ana Ruiz' })
    await past.filter({ hasText: 'Completed' }).waitFor()
  })

  it('the booking page and the calendar fit a 390 px phone', async () => {
    const patientPage = pages.patient!
    await patientPage.setViewportSize(PHONE_390)
    await patientPage.goto(`${base}/patient/appointments`)
    await patientPage.getByTestId('appointment-row').first().waitFor()
    await choose(patientPage, 'Doctor', 'Ana Ruiz')
    await patientPage.getByRole('group', { name: 'Day' }).getByRole('button', { disabled: false }).first().click()
    await patientPage.getByRole('group', { name: 'Time' }).getByRole('button').first().waitFor()
    await patientPage.screenshot({ path: path.join(SCREENSHOT_DIR, 'appointments-booking-390.png'), fullPage: true })
    expect(await fitsWidth(patientPage), 'Appointments at 390 px').toBe(true)

    const doctorPage = pages.doctor!
    await doctorPage.setViewportSize(PHONE_390)
    await doctorPage.goto(`${base}/doctor/calendar`)
    await doctorPage.getByRole('heading', { name: 'Calendar' }).waitFor()
    await showWeekOf(doctorPage, booked!.start)
    const row = doctorPage.getByTestId('calendar-row').filter({ hasText: 'Maria Lopez' })
    await row.waitFor()
    await doctorPage.screenshot({ path: path.join(SCREENSHOT_DIR, 'calendar-390.png'), fullPage: true })
    expect(await fitsWidth(doctorPage), 'Calendar at 390 px').toBe(true)

    await doctorPage.goto(`${base}/doctor/availability`)
    await doctorPage.getByRole('form', { name: 'Weekly availability' }).waitFor()
    await doctorPage.screenshot({ path: path.join(SCREENSHOT_DIR, 'availability-390.png'), fullPage: true })
    expect(await fitsWidth(doctorPage), 'Availability at 390 px').toBe(true)
  })

  it('the patient moves the appointment to another free time, then cancels it, each after confirming', async () => {
    // The first booking was completed by the visit: book the next free slot (through the API) to move and cancel.
    const from = new Date().toISOString()
    const to = new Date(Date.now() + 21 * 86_400_000).toISOString()
    const free = (await api(patient, 'GET', `/doctors/${doctor.id}/slots?from=${from}&to=${to}`)).items
    booked = await api(patient, 'POST', '/appointments', { doctorId: doctor.id, start: free[0].start })
    const page = pages.patient!
    await page.setViewportSize(DESKTOP)
    await page.goto(`${base}/patient/appointments`)
    const row = page.getByRole('region', { name: 'Upcoming' }).getByTestId('appointment-row').filter({ hasText: 'Ana Ruiz' })
    await row.getByRole('button', { name: 'Reschedule the appointment with Ana Ruiz' }).click()
    const dialog = page.getByRole('dialog', { name: 'Pick a new time' })
    await dialog.getByRole('group', { name: 'Day' }).getByRole('button', { disabled: false }).last().click()
    await dialog.getByRole('group', { name: 'Time' }).getByRole('button').first().click()
    await dialog.getByRole('button', { name: 'Move appointment' }).click()
    await dialog.waitFor({ state: 'detached' })
    const moved = await api(patient, 'GET', `/appointments/${booked!.id}`)
    expect(moved.status).toBe('booked')
    expect(moved.start).not.toBe(booked!.start)
    await row.filter({ hasText: timeIn(moved.start, PATIENT_ZONE) }).waitFor()

    await row.getByRole('button', { name: 'Cancel the appointment with Ana Ruiz' }).click()
    const confirm = page.getByRole('dialog', { name: 'Cancel this appointment?' })
    await confirm.getByRole('button', { name: 'Cancel appointment' }).click()
    await confirm.waitFor({ state: 'detached' })
    await page.getByRole('region', { name: 'Past and cancelled' }).getByTestId('appointment-row').filter({ hasText: 'Cancelled' }).waitFor()
    expect((await api(patient, 'GET', `/appointments/${booked!.id}`)).status).toBe('cancelled')
  })
})
