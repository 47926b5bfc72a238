/**
 * Vital-sign catalogue for display (SPEC §4.8): labels, canonical and accepted units,
 * plausible input ranges, and the reference ("normal") bands drawn behind the charts.
 * Bands are for orientation only; the server's `flag` is authoritative.
 */
import type { Vital, VitalType } from '../api/types'

export interface Band {
  low: number
  high: number
}

export interface VitalMeta {
  label: string
  unit: string
  units: string[]
  unitLabel: Record<string, string>
  range: Band
  band?: Band
  /** Blood pressure only. */
  bands?: { systolic: Band; diastolic: Band }
  step: number
}

export const VITALS: Record<VitalType, VitalMeta> = {
  blood_pressure: {
    label: 'Blood pressure',
    unit: 'mmHg',
    units: ['mmHg'],
    unitLabel: { mmHg: 'mmHg' },
    range: { low: 20, high: 300 },
    bands: { systolic: { low: 90, high: 120 }, diastolic: { low: 60, high: 80 } },
    step: 1,
  },
  heart_rate: { label: 'Heart rate', unit: '/min', units: ['/min'], unitLabel: { '/min': 'beats/min' }, range: { low: 20, high: 300 }, band: { low: 60, high: 100 }, step: 1 },
  blood_glucose: {
    label: 'Blood glucose',
    unit: 'mg/dL',
    units: ['mg/dL', 'mmol/L'],
    unitLabel: { 'mg/dL': 'mg/dL', 'mmol/L': 'mmol/L' },
    range: { low: 10, high: 1000 },
    band: { low: 70, high: 140 },
    step: 0.1,
  },
  body_weight: { label: 'Weight', unit: 'kg', units: ['kg', 'lb'], unitLabel: { kg: 'kg', lb: 'lb' }, range: { low: 0.5, high: 500 }, step: 0.1 },
  body_height: { label: 'Height', unit: 'cm', units: ['cm', 'in'], unitLabel: { cm: 'cm', in: 'in' }, range: { low: 20, high: 280 }, step: 0.1 },
  body_temperature: {
    label: 'Temperature',
    unit: 'Cel',
    units: ['Cel', '[degF]'],
    unitLabel: { Cel: '°C', '[degF]': '°F' },
    range: { low: 25, high: 45 },
    band: { low: 36.1, high: 37.2 },
    step: 0.1,
  },
  oxygen_saturation: { label: 'Oxygen saturation (SpO₂)', unit: '%', units: ['%'], unitLabel: { '%': '%' }, range: { low: 50, high: 100 }, band: { low: 95, high: 100 }, step: 1 },
  respiratory_rate: {
    label: 'Respiratory rate',
    unit: '/min',
    units: ['/min'],
    unitLabel: { '/min': 'breaths/min' },
    range: { low: 4, high: 80 },
    band: { low: 12, high: 20 },
    step: 1,
  },
}

export const unitLabel = (type: VitalType, unit: string): string => VITALS[type]?.unitLabel[unit] ?? unit

/** `120/80 mmHg`, `72 beats/min`. */
export function formatVital(v: Vital): string {
  const meta = VITALS[v.type]
  const unit = meta ? unitLabel(v.type, v.unit) : v.unit
  if (v.type === 'blood_pressure') return `${v.systolic ?? '?'}/${v.diastolic ?? '?'} ${unit}`
  const value = typeof v.value === 'number' ? Math.round(v.value * 10) / 10 : '?'
  return `${value} ${unit}`
}

/** The newest vital of each type, in catalogue order. */
export function latestPerType(items: Vital[]): Vital[] {
  const best = new Map<VitalType, Vital>()
  for (const v of items) {
    const cur = best.get(v.type)
    if (!cur || v.measuredAt > cur.measuredAt) best.set(v.type, v)
  }
  return (Object.keys(VITALS) as VitalType[]).flatMap((t) => {
    const v = best.get(t)
    return v ? [v] : []
  })
}
