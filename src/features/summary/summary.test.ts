import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAdmin, registerUser, registerVerified, type TestUser } from '../../../test/helpers/factories.js'
import { fixturePath } from '../../../test/helpers/fixtures.js'
import { startTestApp, type TestApp } from '../../../test/helpers/test-app.js'
import { waitUntil } from '../../../test/helpers/wait.js'
import type { VitalType } from '../vitals/vital-types.js'
import { windowStart, trendSeriesOf } from './summary.rules.js'
import { grant } from '../../policy/index.js'
import { loadSummaryFacts } from './summary.service.js'

const DOMENICA = readFileSync(
  fixturePath('synthea/Domenica436_Brown30_ec8a12cb-be19-e117-d5fc-6fa3743ab6f4.json'),
  'utf8',
)

const summaryOf = (t: TestApp, u: TestUser, pid = 'me') => t.app.inject({ method: 'GET', url: `/api/v1/patients/${pid}/summary`, headers: u.headers })
const importInto = async (t: TestApp, u: TestUser) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/import', headers: { ...u.headers, 'content-type': 'application/json' }, payload: DOMENICA })
  expect(res.statusCode, res.body).toBe(200)
}
const consent = (t: TestApp, patientId: string, doctorId: string) =>
  t.deps.db.insertInto('consultations').values({ patientId, doctorId, status: 'approved', createdAt: new Date() }).execute()

type Highlight = { severity: string; message: string; evidence: { type: string; id: string }[] }

describe('health summary (SPEC §4.8), rules generator', () => {
  let t: TestApp
  let domenica: TestUser
  beforeAll(async () => {
    t = await startTestApp()
    domenica = await registerUser(t, 'patient', { name: 'Domenica Brown' })
    await importInto(t, domenica)
  })
  afterAll(async () => t.close())

  it('the summary of the diabetic Synthea patient Domenica436 flags her glucose history and lists her active conditions', async () => {
    const res = await summaryOf(t, domenica)
    expect(res.statusCode, res.body).toBe(200)
    const s = res.json()
    expect(s.generator).toBe('rules')
    expect(Math.abs(Date.parse(s.generatedAt) - Date.now())).toBeLessThan(60_000)

    const vitals = await t.deps.db.selectFrom('vitals').select(['id', 'type']).where('patientId', '=', domenica.id).execute()
    const glucoseIds = new Set(vitals.filter((v) => v.type === 'blood_glucose').map((v) => v.id))
    const profile = (await t.app.inject({ method: 'GET', url: '/api/v1/patients/me/profile', headers: domenica.headers })).json()
    const diabetes = profile.conditions.find((c: { name: string }) => /^Diabetes mellitus type 2/.test(c.name))
    expect(diabetes).toBeDefined()

    const highlights: Highlight[] = s.highlights
    const glucose = highlights.find((h) => /blood glucose/.test(h.message))
    expect(glucose?.severity).toBe('warning')
    expect(glucose?.message).toMatch(/History: 11 readings from 2016-06-10 to 2025-08-01/)
    expect(glucose?.message).toMatch(/Diabetes on the active condition list: .*Diabetes mellitus type 2/)
    // Her HbA1c results are stored now (SPEC §4.8b): the lab rule speaks of them, not the glucose reminder.
    expect(glucose?.message).not.toMatch(/No HbA1c results/)
    const labs = await t.deps.db.selectFrom('labResults').select(['id', 'loinc', 'effectiveAt']).where('patientId', '=', domenica.id).orderBy('effectiveAt', 'desc').execute()
    const latestOf = (code: string) => labs.find((l) => l.loinc === code)?.id
    const byLab = (code: string) => highlights.find((h) => h.evidence.some((e) => e.type === 'lab' && e.id === latestOf(code)))
    expect(byLab('4548-4')).toEqual({
      severity: 'warning',
      message: 'Latest HbA1c 6.99 % on 2025-08-01: diabetes range (ADA Standards of Care 2025: ≥ 6.5 %).',
      evidence: [{ type: 'lab', id: latestOf('4548-4') }],
    })
    expect(byLab('18262-6')?.message).toBe('Latest LDL cholesterol 148.88 mg/dL on 2025-08-01: below the severe hypercholesterolemia threshold (2018 AHA/ACC cholesterol guideline: < 190 mg/dL).')
    expect(byLab('33914-3')?.message).toBe('Latest eGFR 112.74 mL/min/{1.73_m2} on 2025-08-01: GFR category G1 (KDIGO 2012: ≥ 90).')
    expect(byLab('6298-4')?.message).toBe('Latest potassium 4.57 mmol/L on 2025-08-01: within the reference interval (UK Kidney Association 2020 hyperkalaemia guideline: 3.5–5.0 mmol/L).')
    const cited = glucose?.evidence.filter((e) => e.type === 'vital').map((e) => e.id) ?? []
    expect(cited).toHaveLength(11)
    expect(cited.every((id) => glucoseIds.has(id))).toBe(true)
    expect(glucose?.evidence).toContainEqual({ type: 'condition', id: diabetes.id })

    const conditions = highlights.find((h) => h.message.startsWith('Active conditions'))
    const active = profile.conditions.filter((c: { status?: string; name: string }) => c.status !== 'resolved' && !/\((finding|situation)\)$/.test(c.name))
    expect(active.length).toBeGreaterThanOrEqual(5)
    for (const c of active) {
      expect(conditions?.message).toContain(c.name)
      expect(conditions?.evidence).toContainEqual({ type: 'condition', id: c.id })
    }
    expect(conditions?.message).not.toMatch(/Acute bronchitis/) // resolved
    expect(highlights.find((h) => h.message.startsWith('Current medications'))?.evidence.length).toBe(profile.medications.length)
    expect(highlights.find((h) => h.message.startsWith('Latest blood pressure'))?.message).toMatch(/ACC\/AHA 2017/)
    expect(s.text.split('\n')).toHaveLength(highlights.length + 1)
    // Nothing identifies her in the summary itself.
    expect(s.text).not.toMatch(/Domenica|Brown/)
  })

  it('the 90-day trend sums computed by the database equal the same least squares computed in JavaScript', async () => {
    const p = await registerUser(t)
    const now = Date.now()
    const readings: [number, Record<string, unknown>][] = [
      [80.3, { type: 'blood_pressure', systolic: 121, diastolic: 79 }],
      [61.7, { type: 'blood_pressure', systolic: 128.5, diastolic: 83 }],
      [40.1, { type: 'blood_pressure', systolic: 133, diastolic: 85 }],
      [9.9, { type: 'blood_pressure', systolic: 141, diastolic: 88 }],
      [70, { type: 'body_weight', value: 81.25 }],
      [35, { type: 'body_weight', value: 80.1 }],
      [2, { type: 'body_weight', value: 79.35 }],
      [120, { type: 'body_weight', value: 90 }], // outside the window
    ]
    for (const [daysAgo, body] of readings) {
      const measuredAt = new Date(now - daysAgo * 86_400_000 - 123).toISOString()
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: p.headers, payload: { ...body, measuredAt } })
      expect(res.statusCode, res.body).toBe(201)
    }
    const asOf = new Date()
    // The proof withPatientData hands getSummary: the policy's grant of the patient's own data.
    const patient = { kind: 'user', id: p.id, role: 'patient', status: 'active', name: 'Pat', sessionId: 's', secondFactor: false, meta: { ip: '127.0.0.1', userAgent: 'test' } } as const
    const facts = await loadSummaryFacts(t.deps.db, grant(patient, 'summary.read', { patientId: p.id, actorHasApprovedConsultation: false }), asOf)
    const start = windowStart(asOf)
    const rows = await t.deps.db.selectFrom('vitals').selectAll().where('patientId', '=', p.id).where('measuredAt', '>=', start).execute()
    const points = rows.map((r) => ({ id: r.id, type: r.type as VitalType, value: r.value, systolic: r.systolic, diastolic: r.diastolic, context: null, measuredAt: r.measuredAt }))
    const expected = (['blood_pressure', 'body_weight'] as const).map((type) => trendSeriesOf(type, points.filter((v) => v.type === type), start))
    expect([...facts.trends].sort((a, b) => (a.type < b.type ? -1 : 1))).toEqual(expected)

    const highlights: Highlight[] = (await summaryOf(t, p)).json().highlights
    expect(highlights.find((h) => h.message.startsWith('Blood pressure over the last 90 days'))).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/^Blood pressure over the last 90 days: rising, fitted systolic change \+\d+\.\d mmHg, diastolic \+\d+\.\d mmHg across 70 days \(4 readings/),
    })
    expect(highlights.find((h) => h.message.startsWith('Body weight over the last 90 days'))?.message).toMatch(/: stable, fitted change -1\.\d\d kg across 68 days \(3 readings/)
  })

  it('is byte-identical on two calls with the same data', async () => {
    const a = (await summaryOf(t, domenica)).json()
    const b = (await summaryOf(t, domenica)).json()
    expect(JSON.stringify(b.highlights)).toBe(JSON.stringify(a.highlights))
    expect(b.text).toBe(a.text)
  })

  it('a consenting doctor reads it (audited summary.viewed); others get 404 or 403; a patient reading her own is not audited', async () => {
    const admin = await createAdmin(t)
    const doctor = await registerVerified(t, 'doctor', admin)
    const stranger = await registerVerified(t, 'doctor', admin)
    const pharmacist = await registerVerified(t, 'pharmacist', admin)
    const other = await registerUser(t)
    const patient = await registerUser(t)
    await consent(t, patient.id, doctor.id)
    const own = await summaryOf(t, patient)
    expect(own.json()).toMatchObject({ generator: 'rules', text: 'Health summary (rules): nothing is recorded yet to summarize.', highlights: [] })
    await t.app.inject({ method: 'POST', url: `/api/v1/patients/${patient.id}/vitals`, headers: doctor.headers, payload: { type: 'blood_pressure', systolic: 182, diastolic: 100 } })
    const seen = await summaryOf(t, doctor, patient.id)
    expect(seen.statusCode, seen.body).toBe(200)
    expect(seen.json().highlights[0]).toMatchObject({ severity: 'critical', message: expect.stringMatching(/hypertensive crisis/) })
    for (const [who, status] of [[stranger, 404], [other, 404], [pharmacist, 403], [admin, 403]] as const) {
      expect((await summaryOf(t, who, patient.id)).statusCode, who.role).toBe(status)
    }
    expect((await summaryOf(t, doctor)).statusCode).toBe(404) // a doctor has no "me" locker
    const events = await t.deps.db.selectFrom('auditEvents').select(['action', 'actorId', 'resourceType']).where('patientId', '=', patient.id).where('action', 'like', 'summary.%').orderBy('id').execute()
    expect(events).toEqual([
      { action: 'summary.viewed', actorId: doctor.id, resourceType: 'summary' },
      { action: 'summary.denied', actorId: stranger.id, resourceType: 'summary' },
      { action: 'summary.denied', actorId: other.id, resourceType: 'summary' },
    ])
  })
})

describe('health summary with an OpenAI-compatible model (LLM_*)', () => {
  type Mode = 'ok' | 'error' | 'silent' | 'garbage'
  let mode: Mode = 'ok'
  const requests: { url: string | undefined; auth: string | undefined; body: string }[] = []
  /** Answers held back in 'silent' mode: the model never replies, so only the timeout ends the call. */
  const unanswered: ServerResponse[] = []
  let server: Server
  let t: TestApp
  let patient: TestUser

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString('utf8')))
      req.on('end', () => {
        requests.push({ url: req.url, auth: req.headers.authorization, body })
        const send = (status: number, payload: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(JSON.stringify(payload))
        }
        if (mode === 'error') return send(500, { error: { message: 'boom' } })
        if (mode === 'garbage') return send(200, { choices: [] })
        const answer = { id: 'chatcmpl-1', object: 'chat.completion', model: 'test-model', choices: [{ index: 0, message: { role: 'assistant', content: '  Blood pressure needs attention.  ' }, finish_reason: 'stop' }] }
        if (mode === 'silent') return void unanswered.push(res)
        return send(200, answer)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    t = await startTestApp({ LLM_BASE_URL: `http://127.0.0.1:${port}/v1/`, LLM_API_KEY: 'sk-test', LLM_MODEL: 'test-model', LLM_TIMEOUT_MS: '5000' })
    patient = await registerUser(t, 'patient', { name: 'Zebulon Quill' })
    for (const [systolic, diastolic] of [[150, 95], [142, 91]]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/patients/me/vitals', headers: patient.headers, payload: { type: 'blood_pressure', systolic, diastolic } })
      expect(res.statusCode).toBe(201)
    }
  })
  afterAll(async () => {
    await t.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('on success the text is the model\'s and generator is llm:<model>; only the highlights were sent, without names or ids', async () => {
    mode = 'ok'
    requests.length = 0
    const res = await summaryOf(t, patient)
    expect(res.statusCode, res.body).toBe(200)
    const s = res.json()
    expect(s).toMatchObject({ generator: 'llm:test-model', text: 'Blood pressure needs attention.' })
    expect(s.highlights[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/^Latest blood pressure 142\/91 mmHg/) })
    expect(requests).toHaveLength(1)
    const sent = requests[0]
    expect(sent?.url).toBe('/v1/chat/completions')
    expect(sent?.auth).toBe('Bearer sk-test')
    const body = JSON.parse(sent?.body ?? '{}')
    expect(body.model).toBe('test-model')
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user'])
    const findings = JSON.parse(body.messages[1].content).findings
    expect(findings).toEqual(s.highlights.map((h: Highlight) => ({ severity: h.severity, message: h.message })))
    expect(sent?.body).not.toMatch(/Zebulon|Quill/)
    expect(sent?.body).not.toContain(patient.id)
    for (const h of s.highlights as Highlight[]) for (const e of h.evidence) expect(sent?.body).not.toContain(e.id)
  })

  it('an HTTP error, a timeout or a body that is not a chat completion falls back to the rules text', async () => {
    mode = 'ok'
    const rules = (await summaryOf(t, patient)).json().highlights
    for (const m of ['error', 'silent', 'garbage'] as const) {
      mode = m
      requests.length = 0
      const s = (await summaryOf(t, patient)).json()
      await waitUntil(() => requests.length === 1, 10_000, `the ${m} model to be asked`) // so the fallback is its failure's
      expect(s.generator, m).toBe('rules')
      expect(s.text).toMatch(/^Health summary \(rules\): 0 critical, 1 warning, 0 for information.\nWARNING: Latest blood pressure 142\/91 mmHg/)
      expect(s.highlights).toEqual(rules)
    }
    // The silent model never answered: the summary came back because the call timed out.
    expect(unanswered).toHaveLength(1)
    for (const res of unanswered.splice(0)) res.destroy()
  })

  it('nothing is sent when there is nothing to summarize', async () => {
    mode = 'ok'
    requests.length = 0
    const empty = await registerUser(t)
    expect((await summaryOf(t, empty)).json().generator).toBe('rules')
    expect(requests).toHaveLength(0)
  })
})
