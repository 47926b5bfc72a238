import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../app/errors.js'
import {
  VITAL_CATALOGUE,
  VITAL_TYPES,
  flagVital,
  normalizeVital,
  vitalTypeForLoinc,
  type VitalInput,
} from './vital-types.js'

/** The field errors `normalizeVital` throws for `input`, or fails the test when it does not throw. */
function fieldErrors(input: VitalInput): Array<{ path: string; message: string }> {
  try {
    normalizeVital(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError)
    const e = err as ValidationError
    expect(e.status).toBe(400)
    return e.errors ?? []
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`)
}
const paths = (input: VitalInput) => fieldErrors(input).map((e) => e.path)

describe('vital catalogue (SPEC §4.8)', () => {
  it('lists the eight types with their LOINC codes and canonical units', () => {
    expect(VITAL_TYPES.map((t) => [t, VITAL_CATALOGUE[t].loinc, VITAL_CATALOGUE[t].unit])).toEqual([
      ['blood_pressure', '85354-9', 'mmHg'],
      ['heart_rate', '8867-4', '/min'],
      ['blood_glucose', '2339-0', 'mg/dL'],
      ['body_weight', '29463-7', 'kg'],
      ['body_height', '8302-2', 'cm'],
      ['body_temperature', '8310-5', 'Cel'],
      ['oxygen_saturation', '59408-5', '%'],
      ['respiratory_rate', '9279-1', '/min'],
    ])
  })

  it('maps every catalogue LOINC code back to its type', () => {
    for (const t of VITAL_TYPES) expect(vitalTypeForLoinc(VITAL_CATALOGUE[t].loinc)).toBe(t)
  })

  it('maps the legacy blood-pressure panel 55284-4 to blood_pressure', () => {
    expect(vitalTypeForLoinc('55284-4')).toBe('blood_pressure')
  })

  it('maps the FHIR vital-signs oxygen saturation code 2708-6 to oxygen_saturation', () => {
    expect(vitalTypeForLoinc('2708-6')).toBe('oxygen_saturation')
  })

  it('knows nothing of other codes, including the BP components and BMI', () => {
    expect(vitalTypeForLoinc('8480-6')).toBeUndefined()
    expect(vitalTypeForLoinc('8462-4')).toBeUndefined()
    expect(vitalTypeForLoinc('39156-5')).toBeUndefined()
    expect(vitalTypeForLoinc('')).toBeUndefined()
  })
})

describe('normalizeVital: units and conversion', () => {
  it('defaults to the canonical unit and returns the catalogue LOINC', () => {
    expect(normalizeVital({ type: 'heart_rate', value: 72 })).toEqual({
      type: 'heart_rate',
      loinc: '8867-4',
      value: 72,
      unit: '/min',
      flag: 'normal',
    })
  })

  it('converts mmol/L glucose to mg/dL (×18.016) and keeps the context', () => {
    expect(normalizeVital({ type: 'blood_glucose', value: 5.5, unit: 'mmol/L', context: 'fasting' })).toEqual({
      type: 'blood_glucose',
      loinc: '2339-0',
      value: 99.09, // 5.5 × 18.016 = 99.088
      unit: 'mg/dL',
      context: 'fasting',
      flag: 'normal',
    })
  })

  it('converts pounds to kilograms (×0.45359237), in either spelling', () => {
    expect(normalizeVital({ type: 'body_weight', value: 154, unit: 'lb' }).value).toBe(69.85)
    expect(normalizeVital({ type: 'body_weight', value: 154, unit: '[lb_av]' }).value).toBe(69.85)
  })

  it('converts inches to centimetres (×2.54)', () => {
    expect(normalizeVital({ type: 'body_height', value: 70, unit: 'in' })).toMatchObject({ value: 177.8, unit: 'cm' })
    expect(normalizeVital({ type: 'body_height', value: 70, unit: '[in_i]' }).value).toBe(177.8)
  })

  it('converts Fahrenheit to Celsius ((F − 32) × 5/9)', () => {
    expect(normalizeVital({ type: 'body_temperature', value: 98.6, unit: '[degF]' })).toMatchObject({
      value: 37,
      unit: 'Cel',
    })
    expect(normalizeVital({ type: 'body_temperature', value: 101, unit: '[degF]' }).value).toBe(38.33)
  })

  it('accepts the UCUM spellings FHIR sources use', () => {
    expect(normalizeVital({ type: 'blood_pressure', systolic: 120, diastolic: 70, unit: 'mm[Hg]' }).unit).toBe('mmHg')
    expect(normalizeVital({ type: 'heart_rate', value: 60, unit: '{beats}/min' }).unit).toBe('/min')
    expect(normalizeVital({ type: 'respiratory_rate', value: 16, unit: '{breaths}/min' }).unit).toBe('/min')
    expect(normalizeVital({ type: 'body_temperature', value: 37, unit: 'Cel' }).unit).toBe('Cel')
    expect(normalizeVital({ type: 'oxygen_saturation', value: 97, unit: '%' }).unit).toBe('%')
    expect(normalizeVital({ type: 'blood_glucose', value: 90, unit: 'mg/dl' }).value).toBe(90)
  })

  it('rounds to two decimals', () => {
    expect(normalizeVital({ type: 'blood_pressure', systolic: 135.49039, diastolic: 74.51112 })).toMatchObject({
      systolic: 135.49,
      diastolic: 74.51,
    })
    expect(normalizeVital({ type: 'body_temperature', value: 37.053 }).value).toBe(37.05)
  })

  it('rejects a unit that does not fit the type, at /unit', () => {
    expect(fieldErrors({ type: 'heart_rate', value: 70, unit: 'kg' })).toEqual([
      { path: '/unit', message: expect.stringContaining('/min') },
    ])
    expect(paths({ type: 'body_weight', value: 70, unit: 'cm' })).toEqual(['/unit'])
    expect(paths({ type: 'blood_glucose', value: 5, unit: 'mmol' })).toEqual(['/unit'])
    expect(paths({ type: 'oxygen_saturation', value: 97, unit: '/min' })).toEqual(['/unit'])
    expect(paths({ type: 'blood_pressure', systolic: 120, diastolic: 80, unit: 'kPa' })).toEqual(['/unit'])
  })
})

describe('normalizeVital: required fields and plausible ranges', () => {
  it('requires value, or systolic and diastolic for blood pressure', () => {
    expect(paths({ type: 'heart_rate' })).toEqual(['/value'])
    expect(paths({ type: 'blood_pressure', systolic: 120 })).toEqual(['/diastolic'])
    expect(paths({ type: 'blood_pressure' })).toEqual(['/systolic', '/diastolic'])
  })

  it('rejects fields of the other shape', () => {
    expect(paths({ type: 'blood_pressure', value: 120, systolic: 120, diastolic: 80 })).toEqual(['/value'])
    expect(paths({ type: 'heart_rate', value: 70, systolic: 120 })).toEqual(['/systolic'])
    expect(paths({ type: 'heart_rate', value: 70, context: 'fasting' })).toEqual(['/context'])
  })

  it('rejects a glucose context outside fasting|random|postprandial', () => {
    expect(paths({ type: 'blood_glucose', value: 90, context: 'bedtime' as never })).toEqual(['/context'])
  })

  it('rejects a number that is not finite', () => {
    expect(paths({ type: 'heart_rate', value: Number.NaN })).toEqual(['/value'])
    expect(paths({ type: 'heart_rate', value: Number.POSITIVE_INFINITY })).toEqual(['/value'])
  })

  it('accepts the range boundaries and rejects just outside them', () => {
    const cases: Array<[VitalInput['type'], number, number]> = [
      ['heart_rate', 20, 300],
      ['blood_glucose', 10, 1000],
      ['body_weight', 0.5, 500],
      ['body_height', 20, 280],
      ['body_temperature', 25, 45],
      ['oxygen_saturation', 50, 100],
      ['respiratory_rate', 4, 80],
    ]
    for (const [type, min, max] of cases) {
      expect(normalizeVital({ type, value: min }).value).toBe(min)
      expect(normalizeVital({ type, value: max }).value).toBe(max)
      expect(paths({ type, value: min - 0.1 })).toEqual(['/value'])
      expect(paths({ type, value: max + 0.1 })).toEqual(['/value'])
    }
  })

  it('checks the range after conversion to the canonical unit', () => {
    // 56 mmol/L = 1008.9 mg/dL > 1000; 0.5 mmol/L = 9.01 mg/dL < 10
    expect(paths({ type: 'blood_glucose', value: 56, unit: 'mmol/L' })).toEqual(['/value'])
    expect(paths({ type: 'blood_glucose', value: 0.5, unit: 'mmol/L' })).toEqual(['/value'])
    // 1200 lb = 544 kg > 500
    expect(paths({ type: 'body_weight', value: 1200, unit: 'lb' })).toEqual(['/value'])
    // 120 °F = 48.9 °C > 45
    expect(fieldErrors({ type: 'body_temperature', value: 120, unit: '[degF]' })[0]?.message).toBe(
      'Body temperature 120 °F (48.89 °C) is outside the plausible range of 25–45 °C.',
    )
  })

  it('names the range and unit in words, never UCUM codes like "Cel"', () => {
    expect(fieldErrors({ type: 'blood_pressure', systolic: 400, diastolic: 95 })).toEqual([
      { path: '/systolic', message: 'Systolic pressure 400 mmHg is outside the plausible range of 40–300 mmHg.' },
    ])
    expect(fieldErrors({ type: 'body_temperature', value: 46, unit: 'Cel' })[0]?.message).toBe('Body temperature 46 °C is outside the plausible range of 25–45 °C.')
    expect(fieldErrors({ type: 'heart_rate', value: 301 })[0]?.message).toBe('Heart rate 301 beats per minute is outside the plausible range of 20–300 beats per minute.')
    expect(fieldErrors({ type: 'body_weight', value: 1200, unit: 'lb' })[0]?.message).toBe('Body weight 1200 lb (544.31 kg) is outside the plausible range of 0.5–500 kg.')
  })

  it('checks systolic 40–300 and diastolic 20–200 mmHg', () => {
    expect(normalizeVital({ type: 'blood_pressure', systolic: 300, diastolic: 200 })).toMatchObject({ systolic: 300 })
    expect(normalizeVital({ type: 'blood_pressure', systolic: 40, diastolic: 20 })).toMatchObject({ diastolic: 20 })
    expect(paths({ type: 'blood_pressure', systolic: 301, diastolic: 80 })).toEqual(['/systolic'])
    expect(paths({ type: 'blood_pressure', systolic: 39, diastolic: 30 })).toEqual(['/systolic'])
    expect(paths({ type: 'blood_pressure', systolic: 120, diastolic: 19 })).toEqual(['/diastolic'])
    expect(paths({ type: 'blood_pressure', systolic: 250, diastolic: 201 })).toEqual(['/diastolic'])
  })

  it('requires systolic above diastolic', () => {
    expect(fieldErrors({ type: 'blood_pressure', systolic: 80, diastolic: 80 })).toEqual([
      { path: '/diastolic', message: expect.stringContaining('lower than systolic') },
    ])
    expect(paths({ type: 'blood_pressure', systolic: 70, diastolic: 90 })).toEqual(['/diastolic'])
  })

  it('rejects an unknown type at /type', () => {
    expect(paths({ type: 'bmi' as never, value: 22 })).toEqual(['/type'])
  })
})

describe('flagVital', () => {
  const bp = (systolic: number, diastolic: number) => flagVital({ type: 'blood_pressure', systolic, diastolic })

  it('blood pressure follows ACC/AHA 2017: crisis > 180/120 critical, stage 1–2 high, < 90/60 low', () => {
    expect(bp(119, 79)).toBe('normal')
    expect(bp(125, 79)).toBe('normal') // elevated
    expect(bp(130, 79)).toBe('high') // stage 1 by systolic
    expect(bp(120, 80)).toBe('high') // stage 1 by diastolic
    expect(bp(180, 120)).toBe('high') // stage 2, not yet crisis
    expect(bp(181, 100)).toBe('critical')
    expect(bp(170, 121)).toBe('critical')
    expect(bp(89, 59)).toBe('low')
    expect(bp(95, 59)).toBe('low')
    expect(bp(90, 60)).toBe('normal')
    expect(bp(140, 55)).toBe('high') // the higher category wins
  })

  it('heart rate: ≤ 40 or > 130 critical (NEWS2), > 100 high, < 50 low', () => {
    const hr = (value: number) => flagVital({ type: 'heart_rate', value })
    expect([40, 41, 49, 50, 100, 101, 130, 131].map(hr)).toEqual([
      'critical', 'low', 'low', 'normal', 'normal', 'high', 'high', 'critical',
    ])
  })

  it('glucose follows ADA: < 54 critical, < 70 low, ≥ 400 critical, high by context', () => {
    const g = (value: number, context?: 'fasting' | 'random' | 'postprandial') =>
      flagVital({ type: 'blood_glucose', value, context })
    expect([53.9, 54, 69.9, 70].map((v) => g(v, 'fasting'))).toEqual(['critical', 'low', 'low', 'normal'])
    expect([99, 100, 126].map((v) => g(v, 'fasting'))).toEqual(['normal', 'high', 'high'])
    expect([139, 140].map((v) => g(v, 'postprandial'))).toEqual(['normal', 'high'])
    expect([199, 200].map((v) => g(v, 'random'))).toEqual(['normal', 'high'])
    expect([199, 200].map((v) => g(v))).toEqual(['normal', 'high']) // no context: random
    expect([399, 400].map((v) => g(v, 'fasting'))).toEqual(['high', 'critical'])
  })

  it('oxygen saturation: < 90 critical, < 94 low (BTS target 94–98 %)', () => {
    const s = (value: number) => flagVital({ type: 'oxygen_saturation', value })
    expect([89.9, 90, 93.9, 94, 100].map(s)).toEqual(['critical', 'low', 'low', 'normal', 'normal'])
  })

  it('temperature: NEWS2 bands, and > 40 °C critical', () => {
    const t = (value: number) => flagVital({ type: 'body_temperature', value })
    expect([35, 35.1, 36, 36.1, 38, 38.1, 40, 40.1].map(t)).toEqual([
      'critical', 'low', 'low', 'normal', 'normal', 'high', 'high', 'critical',
    ])
  })

  it('respiratory rate: NEWS2 bands', () => {
    const rr = (value: number) => flagVital({ type: 'respiratory_rate', value })
    expect([8, 9, 11, 12, 20, 21, 24, 25].map(rr)).toEqual([
      'critical', 'low', 'low', 'normal', 'normal', 'high', 'high', 'critical',
    ])
  })

  it('weight and height are always normal', () => {
    expect(flagVital({ type: 'body_weight', value: 200 })).toBe('normal')
    expect(flagVital({ type: 'body_height', value: 50 })).toBe('normal')
  })

  it('normalizeVital flags the converted value', () => {
    expect(normalizeVital({ type: 'body_temperature', value: 104, unit: '[degF]' }).flag).toBe('high') // 40.0 °C
    expect(normalizeVital({ type: 'body_temperature', value: 105, unit: '[degF]' }).flag).toBe('critical') // 40.56 °C
    expect(normalizeVital({ type: 'blood_glucose', value: 3, unit: 'mmol/L' }).flag).toBe('low') // 54.05 mg/dL
    expect(normalizeVital({ type: 'blood_glucose', value: 2.9, unit: 'mmol/L' }).flag).toBe('critical') // 52.25 mg/dL
    expect(normalizeVital({ type: 'blood_pressure', systolic: 185, diastolic: 95 }).flag).toBe('critical')
  })
})
