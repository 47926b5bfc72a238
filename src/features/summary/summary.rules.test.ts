import { describe, expect, it } from 'vitest'
import { VITAL_TYPES, type VitalType } from '../vitals/vital-types.js'
import {
  TREND_THRESHOLDS,
  bloodPressureCategory,
  formatNumber,
  glucoseAssessment,
  isDiabetesCondition,
  leastSquaresSums,
  slopeOf,
  summarizeByRules,
  trendDirection,
  trendSeriesOf,
  windowStart,
  type SummaryFacts,
  type SummaryLab,
  type SummaryVital,
} from './summary.rules.js'

const AS_OF = new Date('2026-11-20T15:30:00.000Z')
const DAY = 86_400_000
let seq = 0
const id = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`

function vital(type: VitalType, daysAgo: number, v: Partial<SummaryVital> & { value?: number | null }): SummaryVital {
  return { id: id(), type, value: null, systolic: null, diastolic: null, context: null, measuredAt: new Date(AS_OF.getTime() - daysAgo * DAY), ...v }
}
/**
 * Facts as the summary service builds them: `vitals` are the latest readings, `trends` the
 * window's series of the same readings (computed here in JavaScript, as the service does in SQL).
 */
const facts = (over: Partial<Omit<SummaryFacts, 'trends'>> = {}): SummaryFacts => {
  const asOf = over.asOf ?? AS_OF
  const start = windowStart(asOf)
  const vitals = over.vitals ?? []
  const inWindow = vitals.filter((v) => v.measuredAt.getTime() >= start.getTime())
  const trends = VITAL_TYPES.flatMap((t) => trendSeriesOf(t, inWindow.filter((v) => v.type === t), start) ?? [])
  return { asOf, allergies: [], conditions: [], medications: [], records: [], labs: [], ...over, vitals, trends }
}
const find = (f: SummaryFacts, re: RegExp) => summarizeByRules(f).highlights.find((h) => re.test(h.message))

describe('blood pressure category (ACC/AHA 2017)', () => {
  it.each([
    [119, 79, 'normal', 'info'],
    [120, 79, 'elevated', 'info'],
    [129, 79, 'elevated', 'info'],
    [130, 79, 'stage 1 hypertension', 'warning'],
    [119, 80, 'stage 1 hypertension', 'warning'],
    [139, 89, 'stage 1 hypertension', 'warning'],
    [140, 70, 'stage 2 hypertension', 'warning'],
    [125, 90, 'stage 2 hypertension', 'warning'],
    [180, 120, 'stage 2 hypertension', 'warning'],
    [181, 100, 'hypertensive crisis', 'critical'],
    [150, 121, 'hypertensive crisis', 'critical'],
    [88, 58, 'low', 'warning'],
    [135, 55, 'stage 1 hypertension', 'warning'],
  ])('%i/%i mmHg → %s (%s)', (s, d, category, severity) => {
    expect(bloodPressureCategory(s, d)).toMatchObject({ category, severity })
  })

  it('the latest reading decides and is cited as evidence', () => {
    const old = vital('blood_pressure', 20, { systolic: 190, diastolic: 100 })
    const latest = vital('blood_pressure', 2, { systolic: 118, diastolic: 76 })
    const h = find(facts({ vitals: [latest, old] }), /^Latest blood pressure/)
    expect(h).toEqual({
      severity: 'info',
      message: 'Latest blood pressure 118/76 mmHg on 2026-11-18: normal (ACC/AHA 2017: < 120 and < 80 mmHg).',
      evidence: [{ type: 'vital', id: latest.id }],
    })
  })
})

describe('glucose (ADA Standards of Care)', () => {
  it.each([
    [53, 'fasting', false, 'critical', /level 2 hypoglycemia/],
    [65, null, false, 'warning', /level 1 hypoglycemia/],
    [95, 'fasting', false, 'info', /normal fasting/],
    [100, 'fasting', false, 'warning', /impaired fasting glucose/],
    [126, 'fasting', false, 'warning', /diabetes range/],
    [139, 'postprandial', false, 'info', /normal postprandial/],
    [150, 'postprandial', false, 'warning', /impaired glucose tolerance/],
    [199, 'random', false, 'info', /below the 200/],
    [210, null, false, 'warning', /diabetes range for a random/],
    [420, 'random', false, 'critical', /severe hyperglycemia/],
    [120, 'fasting', true, 'info', /within the preprandial goal/],
    [140, 'fasting', true, 'warning', /above the preprandial goal/],
    [175, 'postprandial', true, 'info', /within the postprandial goal/],
    [185, 'postprandial', true, 'warning', /above the postprandial goal/],
    [150, null, true, 'info', /within the postprandial goal .* above the preprandial goal/],
    [190, null, true, 'warning', /above the preprandial .* and postprandial/],
  ] as const)('%i mg/dL, %s, diabetes %s → %s', (value, context, diabetes, severity, reading) => {
    const a = glucoseAssessment(value, context, diabetes)
    expect(a.severity).toBe(severity)
    expect(a.reading).toMatch(reading)
  })

  it('recognises diabetes conditions but not prediabetes', () => {
    const names = { 'Diabetes mellitus type 2 (disorder)': true, 'Neuropathy due to type 2 diabetes mellitus (disorder)': true, 'Diabetic retinopathy': true, Prediabetes: false, Hypertension: false }
    for (const [name, diabetes] of Object.entries(names)) expect(isDiabetesCondition(name), name).toBe(diabetes)
  })

  it('with diabetes on the condition list the glucose history is at least a warning and cites readings and the condition', () => {
    const readings = [vital('blood_glucose', 400, { value: 110 }), vital('blood_glucose', 300, { value: 104 }), vital('blood_glucose', 200, { value: 118 })]
    const dm = { id: id(), name: 'Diabetes mellitus type 2 (disorder)', status: 'active' as const }
    const h = find(facts({ vitals: readings, conditions: [dm] }), /blood glucose/)
    expect(h?.severity).toBe('warning')
    expect(h?.message).toBe(
      'Latest blood glucose 118 mg/dL on 2026-05-04 (context not recorded): within the preprandial goal of 80–130 mg/dL (ADA Standards of Care). ' +
        'History: 3 readings from 2025-10-16 to 2026-05-04, 104 mg/dL to 118 mg/dL, mean 111 mg/dL; 0 flagged outside the normal range. ' +
        'Diabetes on the active condition list: Diabetes mellitus type 2 (disorder). No HbA1c results are stored in CareLocker (ADA: A1C at least twice a year).',
    )
    expect(h?.evidence).toEqual([...[...readings].reverse().map((r) => ({ type: 'vital', id: r.id })), { type: 'condition', id: dm.id }])
    const without = find(facts({ vitals: readings }), /blood glucose/)
    expect(without?.severity).toBe('info')
    const resolved = find(facts({ vitals: readings, conditions: [{ ...dm, status: 'resolved' }] }), /blood glucose/)
    expect(resolved?.severity).toBe('info')
  })

  it('diabetes without glucose readings is a warning of its own', () => {
    const dm = { id: id(), name: 'Diabetes mellitus type 1', status: 'active' as const }
    const h = find(facts({ conditions: [dm] }), /No blood glucose readings/)
    expect(h).toMatchObject({ severity: 'warning', evidence: [{ type: 'condition', id: dm.id }] })
  })
})

describe('SpO₂, heart rate, temperature and respiratory rate', () => {
  it.each([
    ['oxygen_saturation', 97, 'info', /within the BTS target/],
    ['oxygen_saturation', 92, 'warning', /below the BTS target of 94–98 %/],
    ['oxygen_saturation', 88, 'critical', /critically low/],
    ['heart_rate', 72, 'info', /normal \(50–100 \/min\)/],
    ['heart_rate', 110, 'warning', /tachycardia/],
    ['heart_rate', 45, 'warning', /bradycardia/],
    ['heart_rate', 38, 'critical', /critically low/],
    ['heart_rate', 140, 'critical', /critically high/],
  ] as const)('%s %i → %s', (type, value, severity, message) => {
    const h = find(facts({ vitals: [vital(type, 1, { value })] }), /^Latest (oxygen|heart)/)
    expect(h?.severity).toBe(severity)
    expect(h?.message).toMatch(message)
  })

  it('temperature and respiratory rate appear only when flagged', () => {
    const latest = (type: VitalType, value: number, re: RegExp) => find(facts({ vitals: [vital(type, 1, { value })] }), re)
    expect(latest('body_temperature', 36.8, /temperature/)).toBeUndefined()
    expect(latest('body_temperature', 38.6, /^Latest body temperature/)?.severity).toBe('warning')
    expect(latest('respiratory_rate', 26, /^Latest respiratory/)?.severity).toBe('critical')
  })
})

describe('90-day trends by least-squares slope', () => {
  const points = (xs: number[], ys: number[]) => xs.map((x, i) => ({ x, y: ys[i] as number }))
  it('computes the ordinary least-squares slope from exact integer sums', () => {
    expect(slopeOf(leastSquaresSums(points([0, 1, 2, 3], [1, 3, 5, 7])))).toBe(2)
    expect(slopeOf(leastSquaresSums(points([0, 1, 2], [5, 5, 5])))).toBe(0)
    expect(slopeOf(leastSquaresSums(points([0, 10, 20, 30], [3, 1, 4, 1])))).toBeCloseTo(-0.03, 12)
    expect(slopeOf(leastSquaresSums(points([1, 1, 1], [1, 2, 3])))).toBeUndefined()
    expect(slopeOf(leastSquaresSums(points([1], [1])))).toBeUndefined()
    // Large coordinates (90 days in seconds, values in hundredths) stay exact: the order of summing does not matter.
    const xs = Array.from({ length: 5000 }, (_, i) => i * 1553)
    const ys = xs.map((x, i) => 12_000 + (i % 7) * 37 + Math.floor(x / 10_000))
    const forward = leastSquaresSums(points(xs, ys))
    const backward = leastSquaresSums(points([...xs].reverse(), [...ys].reverse()))
    expect(backward).toEqual(forward)
    expect(slopeOf(forward)).toBeCloseTo(1 / 10_000, 6)
    expect(() => leastSquaresSums([{ x: 0.5, y: 1 }])).toThrow()
  })

  it('direction: fitted change at or beyond the threshold', () => {
    expect(trendDirection(5, 5)).toBe('rising')
    expect(trendDirection(4.99, 5)).toBe('stable')
    expect(trendDirection(-5, 5)).toBe('falling')
  })

  it('rising weight is information, rising systolic pressure a warning, falling SpO₂ a warning; old readings do not count', () => {
    const weights = [80, 80.5, 81, 81.6, 82.4].map((value, i) => vital('body_weight', 80 - i * 15, { value }))
    const pressures = [120, 124, 129, 131].map((systolic, i) => vital('blood_pressure', 60 - i * 15, { systolic, diastolic: 78 }))
    const spo2 = [98, 97, 95, 94].map((value, i) => vital('oxygen_saturation', 40 - i * 10, { value }))
    const ancient = vital('body_weight', 400, { value: 50 })
    const f = facts({ vitals: [...weights, ...pressures, ...spo2, ancient] })
    const w = find(f, /^Body weight over/)
    expect(w?.severity).toBe('info')
    expect(w?.message).toMatch(/^Body weight over the last 90 days: rising, fitted change \+2\.\d\d kg across 60 days \(5 readings, 2026-09-01 to 2026-10-31; least-squares slope, threshold ±2\.0 kg\)\.$/)
    expect(w?.evidence).toEqual([{ type: 'vital', id: weights[0]?.id }, { type: 'vital', id: weights[4]?.id }])
    expect(find(f, /^Blood pressure over/)).toMatchObject({ severity: 'warning', message: expect.stringMatching(/rising, fitted systolic change \+\d+\.\d mmHg, diastolic 0\.0 mmHg/) })
    expect(find(f, /^Oxygen saturation \(SpO₂\) over/)).toMatchObject({ severity: 'warning', message: expect.stringMatching(/falling/) })
  })

  it('needs three readings spanning a week', () => {
    const two = [vital('heart_rate', 30, { value: 60 }), vital('heart_rate', 1, { value: 90 })]
    expect(find(facts({ vitals: two }), /over the last 90 days/)).toBeUndefined()
    const short = [1, 2, 3, 4].map((d) => vital('heart_rate', d, { value: 60 + d * 10 }))
    expect(find(facts({ vitals: short }), /over the last 90 days/)).toBeUndefined()
    expect(Object.keys(TREND_THRESHOLDS)).toHaveLength(8)
  })

  it('says when nothing was measured in the window', () => {
    const h = find(facts({ vitals: [vital('heart_rate', 200, { value: 70 })] }), /No vital signs/)
    expect(h?.message).toBe('No vital signs were recorded since 2026-08-22; the latest reading is from 2026-05-04.')
  })
})

describe('profile and records', () => {
  it('severe allergies warn; conditions (active only, disorders apart from findings), medications and recent records are listed sorted', () => {
    const f = facts({
      allergies: [
        { id: 'a2', substance: 'Penicillin', severity: 'severe', reaction: 'anaphylaxis' },
        { id: 'a1', substance: 'peanuts', severity: 'severe' },
        { id: 'a3', substance: 'Dust mite', severity: 'mild' },
        { id: 'a4', substance: 'Latex' },
      ],
      conditions: [
        { id: 'c1', name: 'Hypertension', status: 'active', since: '2019-01-02' },
        { id: 'c2', name: 'Asthma' },
        { id: 'c3', name: 'Acute bronchitis (disorder)', status: 'resolved' },
        { id: 'c4', name: 'Full-time employment (finding)', status: 'active' },
      ],
      medications: [
        { id: 'm2', name: 'Metformin 500 MG', frequency: 'twice a day' },
        { id: 'm1', name: 'amlodipine 5 MG', dosage: '5 mg' },
      ],
      records: [
        { id: 'r1', title: 'Lipid panel', category: 'lab_report', recordDate: '2026-11-01' },
        { id: 'r2', title: null, category: 'imaging', recordDate: '2026-10-01' },
        { id: 'r0', title: 'Old', category: 'other', recordDate: '2026-01-01' },
      ],
    })
    const { highlights } = summarizeByRules(f)
    expect(highlights.map((h) => [h.severity, h.message, h.evidence.map((e) => e.id)])).toEqual([
      ['warning', 'Severe allergies (2): peanuts; Penicillin (anaphylaxis).', ['a1', 'a2']],
      ['info', 'Other allergies (2): Dust mite (mild); Latex (severity not recorded).', ['a3', 'a4']],
      ['info', 'Active conditions (2): Asthma; Hypertension since 2019-01-02.', ['c2', 'c1']],
      ['info', 'Other active findings and situations (1): Full-time employment (finding).', ['c4']],
      ['info', 'Current medications (2): amlodipine 5 MG, 5 mg; Metformin 500 MG, twice a day.', ['m1', 'm2']],
      ['info', 'Records dated since 2026-08-22 (2): 2026-11-01 lab report "Lipid panel"; 2026-10-01 imaging.', ['r1', 'r2']],
    ])
  })
})

describe('the whole summary', () => {
  const rich = () =>
    facts({
      vitals: [
        vital('blood_pressure', 3, { systolic: 185, diastolic: 95 }),
        vital('blood_pressure', 30, { systolic: 150, diastolic: 92 }),
        vital('blood_pressure', 60, { systolic: 140, diastolic: 90 }),
        vital('heart_rate', 3, { value: 88 }),
        vital('oxygen_saturation', 3, { value: 92 }),
        vital('blood_glucose', 3, { value: 180, context: 'fasting' }),
      ],
      allergies: [{ id: 'a1', substance: 'Penicillin', severity: 'severe' }],
      conditions: [{ id: 'c1', name: 'Hypertension', status: 'active' }],
      medications: [{ id: 'm1', name: 'Lisinopril 10 MG' }],
    })

  it('sorts critical, then warnings, then information, and renders one line per highlight', () => {
    const s = summarizeByRules(rich())
    expect(s.highlights.map((h) => h.severity)).toEqual(['critical', 'warning', 'warning', 'warning', 'warning', 'info', 'info', 'info'])
    const lines = s.text.split('\n')
    expect(lines[0]).toBe('Health summary (rules): 1 critical, 4 warning, 3 for information.')
    expect(lines[1]).toBe('CRITICAL: Latest blood pressure 185/95 mmHg on 2026-11-17: hypertensive crisis (ACC/AHA 2017: above 180 and/or 120 mmHg).')
    expect(lines).toHaveLength(s.highlights.length + 1)
    expect(s.text).not.toMatch(/\bago\b|yesterday|today|last week/i)
  })

  it('is deterministic: shuffled input and a later time on the same UTC day give byte-identical output', () => {
    const a = rich()
    // The same readings and profile in another order, and series summed in another order.
    const b = facts({ ...a, asOf: new Date('2026-11-20T23:59:59.000Z'), vitals: [...a.vitals].reverse(), allergies: [...a.allergies].reverse() })
    b.trends.reverse()
    expect(b.trends).toEqual([...a.trends].reverse())
    expect(JSON.stringify(summarizeByRules(b))).toBe(JSON.stringify(summarizeByRules(a)))
  })

  it('says so when there is nothing to summarize; windows start at a UTC midnight; numbers never show -0', () => {
    expect(summarizeByRules(facts())).toEqual({ text: 'Health summary (rules): nothing is recorded yet to summarize.', highlights: [] })
    expect(windowStart(AS_OF).toISOString()).toBe('2026-08-22T00:00:00.000Z')
    expect(formatNumber(-0.004, 1)).toBe('0.0')
    expect(formatNumber(2.345, 1)).toBe('2.3')
  })
})

describe('lab results (SPEC §4.8b): latest per code, guideline named, the result cited', () => {
  const lab = (loinc: string, daysAgo: number, value: number | null, unit: string | null): SummaryLab => ({
    id: id(),
    loinc,
    value,
    unit,
    effectiveAt: new Date(AS_OF.getTime() - daysAgo * DAY),
  })
  const labFind = (labs: SummaryLab[], re: RegExp) => find(facts({ labs }), re)

  it.each([
    ['4548-4', 7.2, '%', 'warning', 'Latest HbA1c 7.2 % on 2026-11-10: diabetes range (ADA Standards of Care 2025: ≥ 6.5 %).'],
    ['4548-4', 6.5, '%', 'warning', 'Latest HbA1c 6.5 % on 2026-11-10: diabetes range (ADA Standards of Care 2025: ≥ 6.5 %).'],
    ['4548-4', 6.4, '%', 'info', 'Latest HbA1c 6.4 % on 2026-11-10: prediabetes range (ADA Standards of Care 2025: 5.7–6.4 %).'],
    ['4548-4', 5.7, '%', 'info', 'Latest HbA1c 5.7 % on 2026-11-10: prediabetes range (ADA Standards of Care 2025: 5.7–6.4 %).'],
    ['4548-4', 6.45, '%', 'info', 'Latest HbA1c 6.45 % on 2026-11-10: prediabetes range (ADA Standards of Care 2025: 5.7–6.4 %).'],
    ['4548-4', 5.6, '%', 'info', 'Latest HbA1c 5.6 % on 2026-11-10: below the prediabetes range (ADA Standards of Care 2025: < 5.7 %).'],
    ['4548-4', 48, 'mmol/mol', 'warning', 'Latest HbA1c 48 mmol/mol on 2026-11-10: diabetes range (ADA Standards of Care 2025: ≥ 48 mmol/mol).'],
    ['18262-6', 190, 'mg/dL', 'warning', 'Latest LDL cholesterol 190 mg/dL on 2026-11-10: severe hypercholesterolemia (2018 AHA/ACC cholesterol guideline: ≥ 190 mg/dL (4.9 mmol/L)).'],
    ['13457-7', 189, 'mg/dL', 'info', 'Latest LDL cholesterol 189 mg/dL on 2026-11-10: below the severe hypercholesterolemia threshold (2018 AHA/ACC cholesterol guideline: < 190 mg/dL).'],
    ['18262-6', 5, 'mmol/L', 'warning', 'Latest LDL cholesterol 5 mmol/L on 2026-11-10: severe hypercholesterolemia (2018 AHA/ACC cholesterol guideline: ≥ 190 mg/dL (4.9 mmol/L)).'],
    ['33914-3', 14, 'mL/min/{1.73_m2}', 'critical', 'Latest eGFR 14 mL/min/{1.73_m2} on 2026-11-10: GFR category G5 (kidney failure) (KDIGO 2012: < 15).'],
    ['62238-1', 15, 'mL/min/{1.73_m2}', 'warning', 'Latest eGFR 15 mL/min/{1.73_m2} on 2026-11-10: GFR category G4 (KDIGO 2012: 15–29).'],
    ['98979-8', 59, 'mL/min/{1.73_m2}', 'warning', 'Latest eGFR 59 mL/min/{1.73_m2} on 2026-11-10: GFR category G3a (KDIGO 2012: 45–59).'],
    ['33914-3', 60, 'mL/min/{1.73_m2}', 'info', 'Latest eGFR 60 mL/min/{1.73_m2} on 2026-11-10: GFR category G2 (KDIGO 2012: 60–89).'],
    ['2823-3', 6.0, 'mmol/L', 'critical', 'Latest potassium 6 mmol/L on 2026-11-10: moderate or severe hyperkalaemia (UK Kidney Association 2020 hyperkalaemia guideline: ≥ 6.0 mmol/L).'],
    ['6298-4', 5.1, 'mmol/L', 'warning', 'Latest potassium 5.1 mmol/L on 2026-11-10: hyperkalaemia (UK Kidney Association 2020 hyperkalaemia guideline: above 5.0 mmol/L).'],
    ['2823-3', 5.0, 'meq/L', 'info', 'Latest potassium 5 meq/L on 2026-11-10: within the reference interval (UK Kidney Association 2020 hyperkalaemia guideline: 3.5–5.0 mmol/L).'],
    ['2823-3', 3.4, 'mmol/L', 'warning', 'Latest potassium 3.4 mmol/L on 2026-11-10: hypokalaemia (UK Kidney Association 2020 hyperkalaemia guideline: below 3.5 mmol/L).'],
    ['2823-3', 2.4, 'mmol/L', 'critical', 'Latest potassium 2.4 mmol/L on 2026-11-10: severe hypokalaemia (UK Kidney Association 2020 hyperkalaemia guideline: below 2.5 mmol/L).'],
  ] as const)('%s %d %s → %s', (loinc, value, unit, severity, message) => {
    const l = lab(loinc, 10, value, unit)
    expect(labFind([l], /^Latest (HbA1c|LDL|eGFR|potassium)/)).toEqual({ severity, message, evidence: [{ type: 'lab', id: l.id }] })
  })

  it('the latest result of the group decides (LDL direct or calculated, potassium in blood or serum)', () => {
    const older = lab('18262-6', 30, 250, 'mg/dL')
    const newer = lab('13457-7', 5, 120, 'mg/dL')
    expect(labFind([older, newer], /^Latest LDL/)).toMatchObject({ severity: 'info', evidence: [{ type: 'lab', id: newer.id }] })
    const k = [lab('2823-3', 3, 4.1, 'mmol/L'), lab('6298-4', 1, 6.3, 'mmol/L')]
    expect(labFind(k, /^Latest potassium/)).toMatchObject({ severity: 'critical', evidence: [{ type: 'lab', id: k[1]!.id }] })
  })

  it('a textual result or an unknown unit gives no highlight; other codes are ignored', () => {
    const labs = [lab('4548-4', 1, null, null), lab('2823-3', 1, 6.5, 'mg/dL'), lab('33914-3', 1, 10, 'mL/s'), lab('2160-0', 1, 9, 'mg/dL')]
    expect(summarizeByRules(facts({ labs })).highlights).toEqual([])
  })

  it('lab highlights sort by severity with the rest, and a stored HbA1c silences the "no HbA1c" reminder', () => {
    const diabetes = { id: id(), name: 'Diabetes mellitus type 2 (disorder)', status: 'active' as const }
    const glucose = vital('blood_glucose', 1, { value: 150, context: 'postprandial' })
    const without = summarizeByRules(facts({ vitals: [glucose], conditions: [diabetes] }))
    expect(without.highlights.find((h) => /blood glucose/.test(h.message))?.message).toMatch(/No HbA1c results are stored/)
    const a1c = lab('4548-4', 2, 8.1, '%')
    const egfr = lab('33914-3', 2, 12, 'mL/min/{1.73_m2}')
    const s = summarizeByRules(facts({ vitals: [glucose], conditions: [diabetes], labs: [a1c, egfr] }))
    expect(s.highlights.find((h) => /blood glucose/.test(h.message))?.message).not.toMatch(/HbA1c/)
    expect(s.highlights[0]?.evidence).toEqual([{ type: 'lab', id: egfr.id }])
    expect(s.text).toContain('CRITICAL: Latest eGFR 12 mL/min/{1.73_m2} on 2026-11-18: GFR category G5 (kidney failure) (KDIGO 2012: < 15).')
    expect(s.text).toContain('WARNING: Latest HbA1c 8.1 % on 2026-11-18: diabetes range (ADA Standards of Care 2025: ≥ 6.5 %).')
  })
})
