/** The pure mapping of Apple Health elements (SPEC §9): dates, `Me`, records, blood-pressure correlations, the zip entry's name. */
import { describe, expect, it } from 'vitest'
import { appleDateToIso, mapAppleMe, mapAppleRecord, mapBloodPressure } from './apple-health-records.js'
import { isExportXml } from './apple-health-zip.js'

describe('Apple Health mapping', () => {
  it('reads Apple dates with their offset, and nothing else', () => {
    expect(appleDateToIso('2019-08-10 14:10:00 +0200')).toBe('2019-08-10T12:10:00.000Z')
    expect(appleDateToIso('2019-08-10 23:30:00 -0530')).toBe('2019-08-11T05:00:00.000Z')
    for (const bad of [undefined, '', '2019-08-10', '2019-08-10T14:10:00+02:00', '2019-13-10 14:10:00 +0200', 'x 2019-08-10 14:10:00 +0200']) {
      expect(appleDateToIso(bad)).toBeUndefined()
    }
  })

  it('maps Me, ignoring "not set" and unknown values', () => {
    expect(mapAppleMe({ HKCharacteristicTypeIdentifierDateOfBirth: '1990-05-20', HKCharacteristicTypeIdentifierBiologicalSex: 'HKBiologicalSexOther', HKCharacteristicTypeIdentifierBloodType: 'HKBloodTypeABPositive' }))
      .toEqual({ dateOfBirth: '1990-05-20', sex: 'other', bloodGroup: 'AB+' })
    expect(mapAppleMe({ HKCharacteristicTypeIdentifierDateOfBirth: '', HKCharacteristicTypeIdentifierBiologicalSex: 'HKBiologicalSexNotSet', HKCharacteristicTypeIdentifierBloodType: 'HKBloodTypeNotSet' }))
      .toEqual({ dateOfBirth: undefined, sex: undefined, bloodGroup: undefined })
    expect(mapAppleMe({ HKCharacteristicTypeIdentifierDateOfBirth: '20/05/1990' }).dateOfBirth).toBeUndefined()
  })

  it('gives the same import key to the same reading and another to a different one', () => {
    const r = { type: 'HKQuantityTypeIdentifierHeartRate', unit: 'count/min', value: '70', startDate: '2024-01-01 10:00:00 +0000', endDate: '2024-01-01 10:00:00 +0000', sourceName: 'Watch' }
    const a = mapAppleRecord(r)
    const b = mapAppleRecord({ ...r })
    const c = mapAppleRecord({ ...r, sourceName: 'Phone' })
    if (!('vital' in a) || !('vital' in b) || !('vital' in c)) throw new Error('expected vitals')
    expect(a.vital.sourceRef).toBe(b.vital.sourceRef)
    expect(a.vital.sourceRef).not.toBe(c.vital.sourceRef)
    expect(mapAppleRecord({ ...r, value: 'NaN' })).toEqual({ skip: 'vital sign without a numeric value' })
    expect(mapAppleRecord({ ...r, startDate: 'yesterday' })).toEqual({ skip: 'vital sign without a readable start date' })
  })

  it('takes a blood pressure only from one systolic and one diastolic in the same unit', () => {
    const at = '2024-01-01 10:00:00 +0000'
    const bp = { type: 'HKCorrelationTypeIdentifierBloodPressure', startDate: at, endDate: at }
    const sys = { type: 'HKQuantityTypeIdentifierBloodPressureSystolic', unit: 'mmHg', value: '120', startDate: at, endDate: at }
    const dia = { type: 'HKQuantityTypeIdentifierBloodPressureDiastolic', unit: 'mmHg', value: '80', startDate: at, endDate: at }
    expect(mapBloodPressure(bp, [sys, dia])).toMatchObject({ vital: { type: 'blood_pressure', systolic: 120, diastolic: 80, unit: 'mmHg', measuredAt: '2024-01-01T10:00:00.000Z' } })
    expect(mapBloodPressure(bp, [sys, sys, dia])).toEqual({ skip: 'blood-pressure correlation without one systolic and one diastolic value' })
    expect(mapBloodPressure(bp, [sys, { ...dia, unit: 'kPa' }])).toEqual({ skip: 'vital sign in a unit that does not fit its type' })
    expect(mapBloodPressure(bp, [{ ...sys, value: '70' }, dia])).toEqual({ skip: 'vital sign value outside the plausible range' })
  })

  it('recognises the export inside a zip, not its macOS copies or the CDA twin', () => {
    expect(isExportXml('apple_health_export/export.xml')).toBe(true)
    expect(isExportXml('Export/apple_health_export/export.xml')).toBe(true)
    for (const name of ['__MACOSX/apple_health_export/._export.xml', 'x/__MACOSX/apple_health_export/export.xml', 'apple_health_export/export_cda.xml', 'export.xml', 'apple_health_export/.DS_Store']) {
      expect(isExportXml(name)).toBe(false)
    }
  })
})
