import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { uploadRecord } from '../../../test/helpers/uploads.js'
import { startTwilioStub, type TwilioStub } from '../../../test/helpers/twilio-stub.js'

// Each patient gets numbers of their own: one number receives at most 10 alert SMS a day
// whichever patients list it (SPEC §4.6), and this file alerts more often than that.
let nextNumber = 100
let CONTACTS = newContacts()
function newContacts() {
  const n = nextNumber++
  return [
    { name: 'Luis Lopez', relationship: 'spouse', phone: `+442079460${String(n).padStart(3, '0')}` },
    { name: 'Ana Lopez', relationship: 'sister', phone: `+442079461${String(n).padStart(3, '0')}` },
  ]
}

let smtp: SmtpSink
let twilio: TwilioStub
let t: TestApp
let now = new Date()
beforeAll(async () => {
  smtp = await startSmtpSink()
  twilio = await startTwilioStub()
  t = await startTestApp(
    {
      SMTP_URL: smtp.url,
      ...twilio.env,
      EMERGENCY_ALERT_COOLDOWN_MIN: '15',
    },
    { now: () => now },
  )
})
afterAll(async () => {
  await t?.close()
  await smtp?.close()
  await twilio?.close()
})

const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString().slice(0, 10)

/** Alert SMS jobs queued for the patient; exact right after a response, since jobs are enqueued in the request's transaction. */
const smsJobs = async (patientId: string) => {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'notify.sms' AND data->'data'->>'patientId' = ${patientId}`.execute(t.deps.db)
  return rows[0]!.n
}

async function patientWithData(fullName = 'Maria Lopez'): Promise<TestUser> {
  CONTACTS = newContacts()
  const p = await registerUser(t, 'patient', { name: fullName })
  const res = await t.app.inject({
    method: 'PUT',
    url: '/api/v1/patients/me/profile',
    headers: p.headers,
    payload: {
      fullName,
      dateOfBirth: '1980-04-02',
      sex: 'female',
      bloodGroup: 'AB-',
      organDonor: true,
      allergies: [{ substance: 'Penicillin', severity: 'severe', reaction: 'Anaphylaxis' }, { substance: 'Latex', severity: 'mild' }],
      conditions: [{ name: 'Type 1 diabetes', status: 'active' }],
      medications: [{ name: 'Insulin glargine', dosage: '20 units', frequency: 'nightly' }],
      emergencyContacts: CONTACTS,
    },
  })
  expect(res.statusCode, res.body).toBe(200)
  for (const [title, recordDate] of [['Recent lab', daysAgo(10)], ['Two months ago', daysAgo(60)], ['Last year', daysAgo(400)], ['Seven months ago', daysAgo(213)]] as const) {
    await uploadRecord(t, p, { name: 'result.txt', bytes: `Result: ${title}\n` }, { category: 'lab_report', title, recordDate })
  }
  return p
}

const link = async (p: TestUser) => (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: p.headers })).json()

describe('emergency access (SPEC §4.6)', () => {
  it('shows the profile basics and exactly the records of the last 6 months, newest first; alerts contacts once per cooldown', async () => {
    now = new Date()
    const p = await patientWithData()
    const { url, token } = await link(p)
    expect(url).toBe(`http://carelocker.test/e/${token}`)
    expect((await link(p)).token).toBe(token)

    const res = await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}`, headers: { 'user-agent': 'Mozilla/5.0 (iPhone)' } })
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.patient).toMatchObject({ fullName: 'Maria Lopez', bloodGroup: 'AB-', organDonor: true, dateOfBirth: '1980-04-02', sex: 'female' })
    expect(body.patient.allergies.map((a: { substance: string }) => a.substance)).toEqual(['Penicillin', 'Latex'])
    expect(body.records.map((r: { title: string }) => r.title)).toEqual(['Recent lab', 'Two months ago'])
    const content = await t.app.inject({ method: 'GET', url: body.records[0].contentUrl.replace('http://carelocker.test', '') })
    expect(content.statusCode).toBe(200)
    expect(content.body).toBe('Result: Recent lab\n')

    // One SMS per contact naming the patient and the UTC time; the patient's email.
    for (const c of CONTACTS) {
      const sms = await twilio.waitFor((m) => m.to === c.phone)
      expect(sms.body).toContain('Maria L ')
      expect(sms.body).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}.*UTC/)
    }
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(p.email) && /Emergency access/i.test(m.subject))
    expect(mail.text).toBeTruthy()

    // A second access inside the cooldown alerts nobody, but is still audited.
    const smsBefore = await smsJobs(p.id)
    expect(smsBefore).toBe(CONTACTS.length)
    expect((await t.app.inject({ method: 'GET', url: `/e/${token}` })).statusCode).toBe(200)
    expect(await smsJobs(p.id)).toBe(smsBefore)
    await t.deps.audit.sealNow() // events reach the patient's log once sealed (within 2 s)
    const audit = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?action=emergency.accessed', headers: p.headers })).json()
    expect(audit.items).toHaveLength(2)
    expect(audit.items[0].actor.kind).toBe('emergency')
  })

  it('a record older than 6 months cannot be fetched through the emergency link', async () => {
    const p = await patientWithData()
    const { token } = await link(p)
    const all = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: p.headers })).json().items
    const old = all.find((r: { title: string }) => r.title === 'Last year')
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}/records/${old.id}/content` })).statusCode).toBe(404)
    const otherPatient = await patientWithData()
    const foreign = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/records', headers: otherPatient.headers })).json().items[0]
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}/records/${foreign.id}/content` })).statusCode).toBe(404)
  })

  it('link-preview bots and HEAD requests get no data, alert nobody and write nothing; the preview links to the full card', async () => {
    const p = await patientWithData()
    const { token } = await link(p)
    const auditCount = async () => {
      await t.deps.audit.sealNow()
      return (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/audit?limit=100', headers: p.headers })).json().items.length
    }
    const auditBefore = await auditCount()
    const bot = await t.app.inject({ method: 'GET', url: `/e/${token}`, headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' } })
    expect(bot.statusCode).toBe(200)
    expect(bot.body).not.toContain('Maria Lopez')
    expect(bot.body).toContain(`href="/e/${token}?show=1"`)
    expect(bot.body).toContain('Show emergency information')
    const head = await t.app.inject({ method: 'HEAD', url: `/e/${token}` })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    for (const url of [`/api/v1/emergency/${token}`]) {
      const res = await t.app.inject({ method: 'HEAD', url })
      expect(res.statusCode).toBe(405)
      expect(res.headers.allow).toContain('GET')
      expect(res.body).not.toContain('Maria')
    }
    expect(await smsJobs(p.id)).toBe(0)
    expect(await auditCount()).toBe(auditBefore)
  })

  it('a refresh storm sends one round of SMS: one message per contact', async () => {
    const p = await patientWithData('Stormy Weather')
    const { token } = await link(p)
    const results = await Promise.all(Array.from({ length: 10 }, () => t.app.inject({ method: 'GET', url: `/e/${token}` })))
    expect(results.every((r) => r.statusCode === 200)).toBe(true)
    expect(await smsJobs(p.id)).toBe(CONTACTS.length)
    for (const c of CONTACTS) await twilio.waitFor((m) => m.to === c.phone && m.body.includes('Stormy W '))
  })

  it('after the cooldown a new access alerts again', async () => {
    now = new Date()
    const p = await patientWithData()
    const { token } = await link(p)
    await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}` })
    await twilio.waitFor((m) => m.to === CONTACTS[0]!.phone)
    const count = () => twilio.messages.filter((m) => m.to === CONTACTS[0]!.phone).length
    const first = count()
    now = new Date(now.getTime() + 16 * 60_000)
    await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${token}` })
    const deadline = Date.now() + 10_000
    while (count() === first && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    expect(count()).toBe(first + 1)
    now = new Date()
  })

  it('a rotated token answers 410; an unknown one 404; the QR codes encode the current link', async () => {
    const p = await patientWithData()
    const old = await link(p)
    const rotated = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/emergency/rotate', headers: p.headers })
    expect(rotated.statusCode).toBe(200)
    expect(rotated.json().token).not.toBe(old.token)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${old.token}` })).statusCode).toBe(410)
    expect((await t.app.inject({ method: 'GET', url: `/e/${old.token}` })).statusCode).toBe(410)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${rotated.json().token}` })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/emergency/${'z'.repeat(43)}` })).statusCode).toBe(404)
    const png = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency/qr.png', headers: p.headers })
    expect(png.headers['content-type']).toBe('image/png')
    expect(png.rawPayload.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    const svg = await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency/qr.svg', headers: p.headers })
    expect(svg.body).toContain('<svg')
  })

  it('only patients manage an emergency link; public routes are read-only', async () => {
    const doctor = await registerVerified(t, 'doctor')
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/emergency', headers: doctor.headers })).statusCode).toBe(403)
    const p = await patientWithData()
    const { token } = await link(p)
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/emergency/${token}` })).statusCode).toBe(405)
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/emergency/${token}` })).statusCode).toBe(405)
  })

  it('the /e/ page puts blood group and allergies first and stays small', async () => {
    const p = await patientWithData()
    const { token } = await link(p)
    const res = await t.app.inject({ method: 'GET', url: `/e/${token}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.body.length).toBeLessThan(50 * 1024)
    const blood = res.body.indexOf('AB-')
    const allergy = res.body.indexOf('Penicillin')
    const conditions = res.body.indexOf('Type 1 diabetes')
    expect(blood).toBeGreaterThan(0)
    expect(allergy).toBeGreaterThan(0)
    expect(blood).toBeLessThan(conditions)
    expect(allergy).toBeLessThan(conditions)
    expect(res.body).not.toContain('<script')
  })
})
