/**
 * The vital-sign catalogue of SPEC §4.8: LOINC codes, canonical units, accepted units with
 * their conversion, plausible ranges, and the low/normal/high/critical flag.
 *
 * Pure: no database, no HTTP. Used by the vitals service (POST /patients/{pid}/vitals) and
 * by the FHIR import (SPEC §4.4), so both store the same canonical values.
 */
import { ValidationError, type FieldError } from '../../app/errors.js'

export const VITAL_TYPES = [
  'blood_pressure',
  'heart_rate',
  'blood_glucose',
  'body_weight',
  'body_height',
  'body_temperature',
  'oxygen_saturation',
  'respiratory_rate',
] as const

export type VitalType = (typeof VITAL_TYPES)[number]

/** When a blood glucose was measured; drives its thresholds (ADA). */
export const GLUCOSE_CONTEXTS = ['fasting', 'random', 'postprandial'] as const
export type GlucoseContext = (typeof GLUCOSE_CONTEXTS)[number]

export const VITAL_FLAGS = ['low', 'normal', 'high', 'critical'] as const
export type VitalFlag = (typeof VITAL_FLAGS)[number]

/** LOINC of the blood-pressure panel's components (SPEC §4.8). */
export const SYSTOLIC_LOINC = '8480-6'
export const DIASTOLIC_LOINC = '8462-4'

export interface PlausibleRange {
  min: number
  max: number
}

export interface VitalDefinition {
  type: VitalType
  /** The LOINC code stored with the vital (SPEC §4.8). */
  loinc: string
  /** What people call the measurement, for messages ("Body temperature"). */
  label: string
  /** UCUM code of the canonical unit every value is stored in. */
  unit: string
  /** The canonical unit as people write it, for messages ("°C", not the UCUM "Cel"). */
  unitText: string
  /** Accepted unit spellings (matched case-insensitively) → conversion to the canonical unit. */
  units: Readonly<Record<string, (v: number) => number>>
  /** Plausible range in the canonical unit; for blood pressure, of `systolic` and `diastolic`. */
  range: PlausibleRange | { systolic: PlausibleRange; diastolic: PlausibleRange }
}

const same = (v: number) => v
const mmolPerLToMgPerDl = (v: number) => v * 18.016 // glucose 180.16 g/mol
const lbToKg = (v: number) => v * 0.45359237 // international avoirdupois pound (exact)
const inToCm = (v: number) => v * 2.54 // international inch (exact)
const degFToCel = (v: number) => ((v - 32) * 5) / 9

const PER_MIN = { '/min': same, '1/min': same }

/** SPEC §4.8 table. Unit keys include the UCUM spellings Synthea and other FHIR sources use. */
export const VITAL_CATALOGUE: Readonly<Record<VitalType, VitalDefinition>> = {
  blood_pressure: {
    type: 'blood_pressure',
    label: 'Blood pressure',
    unitText: 'mmHg',
    loinc: '85354-9',
    unit: 'mmHg',
    units: { mmHg: same, 'mm[Hg]': same, 'mm Hg': same },
    range: { systolic: { min: 40, max: 300 }, diastolic: { min: 20, max: 200 } },
  },
  heart_rate: {
    type: 'heart_rate',
    label: 'Heart rate',
    unitText: 'beats per minute',
    loinc: '8867-4',
    unit: '/min',
    units: { ...PER_MIN, '{beats}/min': same, 'beats/min': same, bpm: same },
    range: { min: 20, max: 300 },
  },
  blood_glucose: {
    type: 'blood_glucose',
    label: 'Blood glucose',
    unitText: 'mg/dL',
    loinc: '2339-0',
    unit: 'mg/dL',
    units: { 'mg/dL': same, 'mmol/L': mmolPerLToMgPerDl },
    range: { min: 10, max: 1000 },
  },
  body_weight: {
    type: 'body_weight',
    label: 'Body weight',
    unitText: 'kg',
    loinc: '29463-7',
    unit: 'kg',
    units: { kg: same, g: (v) => v / 1000, lb: lbToKg, lbs: lbToKg, '[lb_av]': lbToKg },
    range: { min: 0.5, max: 500 },
  },
  body_height: {
    type: 'body_height',
    label: 'Body height',
    unitText: 'cm',
    loinc: '8302-2',
    unit: 'cm',
    units: { cm: same, m: (v) => v * 100, mm: (v) => v / 10, in: inToCm, '[in_i]': inToCm },
    range: { min: 20, max: 280 },
  },
  body_temperature: {
    type: 'body_temperature',
    label: 'Body temperature',
    unitText: '°C',
    loinc: '8310-5',
    unit: 'Cel',
    units: { Cel: same, '°C': same, degC: same, '[degF]': degFToCel, '°F': degFToCel, degF: degFToCel },
    range: { min: 25, max: 45 },
  },
  oxygen_saturation: {
    type: 'oxygen_saturation',
    label: 'Oxygen saturation',
    unitText: '%',
    loinc: '59408-5',
    unit: '%',
    units: { '%': same },
    range: { min: 50, max: 100 },
  },
  respiratory_rate: {
    type: 'respiratory_rate',
    label: 'Respiratory rate',
    unitText: 'breaths per minute',
    loinc: '9279-1',
    unit: '/min',
    units: { ...PER_MIN, '{breaths}/min': same, 'breaths/min': same },
    range: { min: 4, max: 80 },
  },
}

/**
 * Codes that mean one of our types although they are not the catalogue's code:
 * 55284-4 is the blood-pressure panel of older FHIR/Synthea output (SPEC §4.4), and 2708-6 is
 * the code the FHIR R4 vital-signs profile requires on oxygen saturation (59408-5 goes with it
 * for pulse oximetry, but not always); 3141-9 is the body weight of C-CDA vital signs.
 */
const LOINC_ALIASES: Readonly<Record<string, VitalType>> = {
  '55284-4': 'blood_pressure',
  '2708-6': 'oxygen_saturation',
  // Body weight Measured: the code C-CDA's Vital Sign Result Type value set (HITSP) gives weight.
  '3141-9': 'body_weight',
}

const TYPE_BY_LOINC: ReadonlyMap<string, VitalType> = new Map<string, VitalType>([
  ...VITAL_TYPES.map((t) => [VITAL_CATALOGUE[t].loinc, t] as const),
  ...Object.entries(LOINC_ALIASES),
])

/** `'85354-9'` or `'55284-4'` → `'blood_pressure'`, …; `undefined` for a code outside the catalogue. */
export function vitalTypeForLoinc(code: string): VitalType | undefined {
  return TYPE_BY_LOINC.get(code.trim())
}

export function isVitalType(value: unknown): value is VitalType {
  return typeof value === 'string' && (VITAL_TYPES as readonly string[]).includes(value)
}

/** A vital as entered (API body) or read from FHIR, in any accepted unit. */
export interface VitalInput {
  type: VitalType
  value?: number
  systolic?: number
  diastolic?: number
  /** Defaults to the type's canonical unit. */
  unit?: string
  /** Blood glucose only. */
  context?: GlucoseContext
}

/** A vital in its canonical unit, rounded to 2 decimals, with its flag. */
export interface NormalizedVital {
  type: VitalType
  loinc: string
  value?: number
  systolic?: number
  diastolic?: number
  unit: string
  context?: GlucoseContext
  flag: VitalFlag
}

/**
 * Finds the conversion for `unit` (case-insensitive, surrounding spaces ignored) among the
 * type's accepted units; `undefined` when the unit does not fit the type.
 */
export function unitConverter(type: VitalType, unit: string): ((v: number) => number) | undefined {
  const wanted = unit.trim().toLowerCase()
  for (const [spelling, convert] of Object.entries(VITAL_CATALOGUE[type].units)) {
    if (spelling.toLowerCase() === wanted) return convert
  }
  return undefined
}

const round2 = (v: number) => Math.round(v * 100) / 100

/** Unit spellings as people write them: UCUM codes and their variants → "°C", "°F", "lb", "in", "mmHg". */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  cel: '°C', degc: '°C', '[degf]': '°F', degf: '°F', '[lb_av]': 'lb', lbs: 'lb', '[in_i]': 'in', 'mm[hg]': 'mmHg', 'mm hg': 'mmHg',
}
/** `'[degF]'` → `'°F'`; a unit without a friendlier spelling is returned as given. */
export const unitWords = (unit: string): string => UNIT_WORDS[unit.trim().toLowerCase()] ?? unit.trim()
const FIELD_WORDS = { systolic: 'Systolic pressure', diastolic: 'Diastolic pressure' } as const

const isBpRange = (
  r: VitalDefinition['range'],
): r is { systolic: PlausibleRange; diastolic: PlausibleRange } => 'systolic' in r

/**
 * Validates a vital and converts it to its canonical unit (SPEC §4.8): mmol/L → mg/dL (×18.016),
 * lb → kg (×0.45359237), in → cm (×2.54), °F → °C ((F − 32) × 5/9); values rounded to 2 decimals,
 * then checked against the plausible range, then flagged with {@link flagVital}.
 *
 * Throws `ValidationError` (400) listing every problem as `{path, message}`: `/type` unknown type;
 * `/unit` a unit that does not fit the type; `/value`, `/systolic`, `/diastolic` missing,
 * not a finite number, out of range, or given to the wrong type; `/diastolic` not below systolic;
 * `/context` on anything but blood glucose, or not fasting|random|postprandial.
 */
export function normalizeVital(input: VitalInput): NormalizedVital {
  const { type } = input
  if (!isVitalType(type)) {
    throw new ValidationError('Unknown vital-sign type.', [
      { path: '/type', message: `Must be one of ${VITAL_TYPES.join(', ')}.` },
    ])
  }
  const def = VITAL_CATALOGUE[type]
  const errors: FieldError[] = []

  const unit = input.unit ?? def.unit
  const convert = unitConverter(type, unit)
  if (!convert) {
    const accepted = Object.keys(def.units).join(', ')
    errors.push({ path: '/unit', message: `'${unit}' is not a unit for ${type}; use one of ${accepted}.` })
  }

  /** Converts and range-checks one field; pushes an error and returns undefined when it fails. */
  const measure = (field: 'value' | 'systolic' | 'diastolic', range: PlausibleRange) => {
    const raw = input[field]
    if (raw === undefined || raw === null) {
      errors.push({ path: `/${field}`, message: `${type} requires ${field}.` })
      return undefined
    }
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      errors.push({ path: `/${field}`, message: 'Must be a finite number.' })
      return undefined
    }
    if (!convert) return undefined
    const v = round2(convert(raw))
    if (v < range.min || v > range.max) {
      // In words a person reads ("°C", "beats per minute"), never UCUM codes (SPEC §4.8); a
      // converted value names both what was typed and what it comes to.
      const what = field === 'value' ? def.label : FIELD_WORDS[field]
      const typed = `${raw} ${unitWords(unit)}`
      const canonical = `${v} ${def.unitText}`
      const given = convert === same ? canonical : `${typed} (${canonical})`
      errors.push({
        path: `/${field}`,
        message: `${what} ${given} is outside the plausible range of ${range.min}–${range.max} ${def.unitText}.`,
      })
      return undefined
    }
    return v
  }
  const forbid = (field: 'value' | 'systolic' | 'diastolic' | 'context', why: string) => {
    if (input[field] !== undefined && input[field] !== null) errors.push({ path: `/${field}`, message: why })
  }

  let result: NormalizedVital | undefined
  if (isBpRange(def.range)) {
    forbid('value', 'blood_pressure takes systolic and diastolic, not value.')
    forbid('context', 'Only blood_glucose takes a context.')
    const systolic = measure('systolic', def.range.systolic)
    const diastolic = measure('diastolic', def.range.diastolic)
    if (systolic !== undefined && diastolic !== undefined) {
      if (systolic <= diastolic) {
        errors.push({ path: '/diastolic', message: 'Diastolic pressure must be lower than systolic.' })
      } else {
        result = { type, loinc: def.loinc, systolic, diastolic, unit: def.unit, flag: 'normal' }
      }
    }
  } else {
    forbid('systolic', `${type} takes value, not systolic.`)
    forbid('diastolic', `${type} takes value, not diastolic.`)
    let context: GlucoseContext | undefined
    if (type === 'blood_glucose') {
      const c: unknown = input.context
      if (c !== undefined && c !== null) {
        if ((GLUCOSE_CONTEXTS as readonly unknown[]).includes(c)) context = c as GlucoseContext
        else errors.push({ path: '/context', message: `Must be one of ${GLUCOSE_CONTEXTS.join(', ')}.` })
      }
    } else {
      forbid('context', 'Only blood_glucose takes a context.')
    }
    const value = measure('value', def.range)
    if (value !== undefined) {
      result = { type, loinc: def.loinc, value, unit: def.unit, flag: 'normal' }
      if (context) result.context = context
    }
  }

  if (errors.length > 0 || !result) {
    throw new ValidationError(`Invalid ${type} measurement.`, errors)
  }
  result.flag = flagVital(result)
  return result
}

/**
 * Flags a vital already in its canonical unit (adult thresholds; the first matching rule wins,
 * checked critical → high → low):
 *
 * - blood_pressure — ACC/AHA 2017 High Blood Pressure Guideline (Whelton et al., Hypertension
 *   2018;71:e13): critical = hypertensive crisis, systolic > 180 and/or diastolic > 120; high =
 *   stage 1 or 2 hypertension, systolic ≥ 130 or diastolic ≥ 80 (when the two fall in different
 *   categories the higher one counts); "elevated" (120–129 / < 80) stays normal. low = hypotension,
 *   systolic < 90 or diastolic < 60 (the customary 90/60 mmHg limit, e.g. AHA "Low blood pressure").
 * - heart_rate — NEWS2 (Royal College of Physicians 2017) scores ≤ 40 and ≥ 131 /min 3 → critical;
 *   high > 100 /min (tachycardia, 2015 ACC/AHA/HRS SVT guideline); low < 50 /min (bradycardia,
 *   2018 ACC/AHA/HRS bradycardia guideline).
 * - blood_glucose — ADA Standards of Care in Diabetes (2024–2025), sections 2 and 6: critical
 *   < 54 mg/dL (level 2 hypoglycaemia) or ≥ 400 mg/dL (a common laboratory critical-value limit;
 *   ADA sets no upper alert value); low < 70 (level 1 hypoglycaemia); high by context: fasting ≥ 100
 *   (impaired fasting glucose 100–125, diabetes ≥ 126), postprandial ≥ 140 (2-h OGTT), random or
 *   unspecified ≥ 200 (diagnostic random plasma glucose).
 * - oxygen_saturation — BTS guideline for oxygen use in adults (O'Driscoll et al., Thorax 2017):
 *   target 94–98 %, so low < 94; critical < 90 (prompt assessment; NEWS2 scores ≤ 91 % 3).
 *   Targets of 88–92 % for patients at risk of hypercapnia are not applied.
 * - body_temperature — NEWS2: critical ≤ 35.0 °C (score 3, hypothermia); low ≤ 36.0; high ≥ 38.1;
 *   critical also > 40.0 °C (heat-stroke core temperature, Bouchama & Knochel, NEJM 2002).
 * - respiratory_rate — NEWS2: critical ≤ 8 or ≥ 25 /min (score 3); low 9–11; high 21–24.
 * - body_weight, body_height — always normal: no threshold without age, sex or BMI.
 */
export function flagVital(v: {
  type: VitalType
  value?: number | undefined
  systolic?: number | undefined
  diastolic?: number | undefined
  context?: GlucoseContext | undefined
}): VitalFlag {
  if (v.type === 'blood_pressure') {
    const s = v.systolic
    const d = v.diastolic
    if (s === undefined || d === undefined) return 'normal'
    if (s > 180 || d > 120) return 'critical'
    if (s >= 130 || d >= 80) return 'high'
    if (s < 90 || d < 60) return 'low'
    return 'normal'
  }
  const x = v.value
  if (x === undefined) return 'normal'
  switch (v.type) {
    case 'heart_rate':
      if (x <= 40 || x > 130) return 'critical'
      if (x > 100) return 'high'
      if (x < 50) return 'low'
      return 'normal'
    case 'blood_glucose': {
      if (x < 54 || x >= 400) return 'critical'
      const high = v.context === 'fasting' ? 100 : v.context === 'postprandial' ? 140 : 200
      if (x >= high) return 'high'
      if (x < 70) return 'low'
      return 'normal'
    }
    case 'oxygen_saturation':
      if (x < 90) return 'critical'
      if (x < 94) return 'low'
      return 'normal'
    case 'body_temperature':
      if (x <= 35 || x > 40) return 'critical'
      if (x >= 38.1) return 'high'
      if (x <= 36) return 'low'
      return 'normal'
    case 'respiratory_rate':
      if (x <= 8 || x >= 25) return 'critical'
      if (x >= 21) return 'high'
      if (x <= 11) return 'low'
      return 'normal'
    case 'body_weight':
    case 'body_height':
      return 'normal'
  }
}
