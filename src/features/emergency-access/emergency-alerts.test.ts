/**
 * The alert logic of emergency access (SPEC §4.6, issue 9): no patient data is served
 * without it, rounds are limited per patient, the SMS is a fixed template, one number
 * receives at most 10 alerts a day, and a disabled patient's links answer 410.
 */
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, type TestUser } from '../../../test/helpers/factories.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { startTwilioStub, type TwilioStub } from '../../../test/helpers/twilio-stub.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'

let twilio: TwilioStub
let t: TestApp
let now = new Date()
beforeAll(async () => {
  twilio = await startTwilioStub()
  t = await startTestApp(
    {
      ...twilio.env,
      EMERGENCY_ALERT_COOLDOWN_MIN: '15',
    },
    { now: () => now },
  )
})
afterAll(async () => {
  await t?.close()
  await twilio?.close()
})

let nextNumber = 200
const newPhone = () => `+442079460${String(nextNumber++).padStart(3, '0')}`
const minutes = (m: number) => m * 60_000

/** A patient with a profile, the given emergency contact phones and their emergency token. */
async function patient(fullName: string, phones: string[] = [newPhone()]): Promise<{ p: TestUser; token: string }> {
  const p = await registerUser(t, 'patient', { name: 'Patient' })
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: p.headers,
    payload: { fullName, bloodGroup: 'O-', emergencyContacts: phones.map((phone, i) => ({ name: `Contact ${i + 1}`, phone })) },
  })
  expect(res.statusCode, res.body).toBe(200)
  const { token } = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json()
  return { p, token }
}

/** Alert SMS jobs queued for a patient (or a number): exact right after a response, as jobs are enqueued in its transaction. */
async function smsJobs(where: { patientId?: string; to?: string }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'notify.sms'
      AND (${where.patientId ?? null}::text IS NULL OR data->'data'->>'patientId' = ${where.patientId ?? null})
      AND (${where.to ?? null}::text IS NULL OR data->>'to' = ${where.to ?? null})`.execute(t.deps.db)
  return rows[0]!.n
}

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })

describe('no patient data without the alert logic (SPEC §4.6)', () => {
  it('the JSON route alerts whatever the User-Agent says', async () => {
    now = new Date()
    const { p, token } = await patient('Bot Lookalike')
    const res = await get(`/api/v1/emergency/${token}`, { 'user-agent': 'TelegramBot (like TwitterBot)' })
    expect(res.statusCode).toBe(200)
    expect(res.json().patient.fullName).toBe('Bot Lookalike')
    expect(await smsJobs({ patientId: p.id })).toBe(1)
  })

  it('a content download is an emergency access: it alerts when no round was sent within the cooldown', async () => {
    now = new Date()
    const { p, token } = await patient('Download First')
    const record = await uploadRecord(t, p, { name: 'note.txt', bytes: 'ECG normal\n' }, { category: 'lab_report' })
    const res = await get(`/api/v1/emergency/${token}/records/${record.id}/content`)
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('ECG normal\n')
    expect(await smsJobs({ patientId: p.id })).toBe(1)
    // Within the cooldown, the view and further downloads alert nobody.
    expect((await get(`/api/v1/emergency/${token}`)).statusCode).toBe(200)
    expect((await get(`/api/v1/emergency/${token}/records/${record.id}/content`)).statusCode).toBe(200)
    expect(await smsJobs({ patientId: p.id })).toBe(1)
  })

  it('sends at most 3 rounds per patient in 24 hours, one per cooldown', async () => {
    const start = new Date()
    now = start
    const { p, token } = await patient('Many Accesses')
    for (let i = 0; i < 5; i++) {
      now = new Date(start.getTime() + i * minutes(16))
      expect((await get(`/api/v1/emergency/${token}`)).statusCode).toBe(200)
    }
    expect(await smsJobs({ patientId: p.id })).toBe(3)
    // A day after the first round, a round is possible again.
    now = new Date(start.getTime() + minutes(24 * 60 + 1))
    expect((await get(`/e/${token}`)).statusCode).toBe(200)
    expect(await smsJobs({ patientId: p.id })).toBe(4)
    now = new Date()
  })

  it('HEAD on the JSON view and on a download gets no data and counts nothing', async () => {
    now = new Date()
    const { p, token } = await patient('Head Only')
    const record = await uploadRecord(t, p, { name: 'note.txt', bytes: 'private\n' }, { category: 'lab_report' })
    for (const url of [`/api/v1/emergency/${token}`, `/api/v1/emergency/${token}/records/${record.id}/content`]) {
      const res = await t.app.inject({ method: 'HEAD', url })
      expect(res.statusCode, url).toBe(405)
      expect(res.headers.allow).toBe('GET')
    }
    expect(await smsJobs({ patientId: p.id })).toBe(0)
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const audit = await get('/api/v1/patients/me/audit?limit=100', p.headers)
    expect(audit.json().items.filter((e: { actor: { kind: string } }) => e.actor.kind === 'emergency')).toEqual([])
  })

  it('a person whose phone looks like a bot ("CUBOT") gets the preview, then the full card — with the alert — from its link', async () => {
    now = new Date()
    const { p, token } = await patient('Cubot Owner')
    const ua = 'Mozilla/5.0 (Linux; Android 11; CUBOT KINGKONG 5 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36'
    const preview = await get(`/e/${token}`, { 'user-agent': ua })
    expect(preview.statusCode).toBe(200)
    expect(preview.body).not.toContain('Cubot Owner')
    expect(preview.headers['cache-control']).toBe('no-store')
    expect(await smsJobs({ patientId: p.id })).toBe(0)
    const href = /href="([^"]+)"[^>]*>Show emergency information</.exec(preview.body)?.[1]
    expect(href).toBe(`/e/${token}?show=1`)
    const full = await get(href!, { 'user-agent': ua })
    expect(full.statusCode).toBe(200)
    expect(full.body).toContain('Cubot Owner')
    expect(await smsJobs({ patientId: p.id })).toBe(1)
  })
})

describe('the alert SMS cannot be abused (SPEC §4.6)', () => {
  it('is a fixed template with the first name and last initial only: no URL, nothing else the patient typed', async () => {
    now = new Date()
    const phone = newPhone()
    await patient('Win a prize at https://evil.example/x?y=1 call now Smith', [phone]).then(({ token }) => get(`/api/v1/emergency/${token}`))
    const sms = await twilio.waitFor((m) => m.to === phone)
    const name = /emergency information of (.*) was opened at/.exec(sms.body)?.[1]
    expect(name).toBe('Win S')
    expect(sms.body).toMatch(/^CareLocker: the emergency information of Win S was opened at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\. They may need help\.$/)
    expect(sms.body).not.toMatch(/https?:|www\.|evil|prize/i)
  })

  it('keeps the name to letters, spaces, hyphens and apostrophes, at most 30 characters', async () => {
    now = new Date()
    const phone = newPhone()
    const { token } = await patient(`${'Bartholomew-Maximilian'.repeat(3)} O'Connor-Ng`, [phone])
    await get(`/api/v1/emergency/${token}`)
    const sms = await twilio.waitFor((m) => m.to === phone)
    const name = /emergency information of (.*) was opened at/.exec(sms.body)?.[1] ?? ''
    expect(name.length).toBeLessThanOrEqual(30)
    expect(name).toMatch(/^[\p{L}\p{M}' -]+$/u)
    expect(name.endsWith(' O')).toBe(true)
  })

  it('one number receives at most 10 alert SMS per 24 hours, whichever patients list it', async () => {
    now = new Date()
    const shared = newPhone()
    for (let i = 0; i < 12; i++) {
      const { token } = await patient(`Patient Number${i}`, [shared, newPhone()])
      expect((await get(`/api/v1/emergency/${token}`)).statusCode).toBe(200)
    }
    expect(await smsJobs({ to: shared })).toBe(10)
    // A number listed twice by one patient gets one message.
    const twice = newPhone()
    const { p, token } = await patient('Listed Twice', [twice, twice])
    await get(`/api/v1/emergency/${token}`)
    expect(await smsJobs({ patientId: p.id })).toBe(1)
  })
})

describe('a disabled patient’s links (SPEC §4.6)', () => {
  it('emergency and share links answer 410 while the account is disabled', async () => {
    now = new Date()
    const { p, token } = await patient('Soon Disabled')
    const record = await uploadRecord(t, p, { name: 'note.txt', bytes: 'shared\n' }, { category: 'lab_report' })
    const share = (await t.app.inject({ method: 'POST', url: `/api/v1/patients/me/records/${record.id}/shares`, headers: p.headers, payload: {} })).json()
    const shareToken = share.token as string
    expect((await get(`/api/v1/shared/${shareToken}`)).statusCode).toBe(200)

    const admin = await createAdmin(t)
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${p.id}/disable`, headers: admin.headers })).statusCode).toBe(200)
    for (const url of [`/api/v1/emergency/${token}`, `/api/v1/emergency/${token}/records/${record.id}/content`, `/e/${token}`, `/api/v1/shared/${shareToken}`, `/api/v1/shared/${shareToken}/content`, `/s/${shareToken}`]) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(410)
      expect(res.body).not.toContain('Soon Disabled')
      expect(res.body).not.toContain('shared\n')
    }
    expect(await smsJobs({ patientId: p.id })).toBe(0)
  })
})
