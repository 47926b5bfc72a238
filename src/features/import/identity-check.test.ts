import { describe, expect, it } from 'vitest'
import { identityDifferences, nameWords, namesShareAWord } from './identity-check.js'

describe('nameWords (SPEC §4.4: names compared without case, accents and digits)', () => {
  it('drops Synthea digits and case', () => {
    expect(nameWords('Maria639 Lopez')).toEqual(['maria', 'lopez'])
    expect(nameWords('BOBBIE849 Brekke496')).toEqual(['bobbie', 'brekke'])
  })

  it('strips accents (NFD) and splits on anything that is not a letter', () => {
    expect(nameWords('José García-López')).toEqual(['jose', 'garcia', 'lopez'])
    expect(nameWords("Zoë O'Brien, Jr.")).toEqual(['zoe', 'o', 'brien', 'jr'])
    expect(nameWords('Renée\u00a0Ångström')).toEqual(['renee', 'angstrom'])
  })

  it('keeps letters of other scripts', () => {
    expect(nameWords('Ελένη Παπαδοπούλου')).toEqual(['ελενη', 'παπαδοπουλου'])
    expect(nameWords('王 伟')).toEqual(['王', '伟'])
  })

  it('a name of digits and punctuation only has no words', () => {
    expect(nameWords(' 123 - . ')).toEqual([])
  })
})

describe('namesShareAWord', () => {
  it('one word in common is enough, whatever the order', () => {
    expect(namesShareAWord('Bobbie Brekke', ['Bobbie849 Brekke496'])).toBe(true)
    expect(namesShareAWord('Brekke, Bob', ['Bobbie849 Brekke496'])).toBe(true)
    expect(namesShareAWord('María Pérez', ['MARIA639 Gonzalez12'])).toBe(true)
  })

  it('no word in common differs, even with a similar spelling', () => {
    expect(namesShareAWord('Maria Lopez', ['Gordon Smith'])).toBe(false)
    expect(namesShareAWord('Bob Brek', ['Bobbie849 Brekke496'])).toBe(false)
  })

  it('any of the source names counts (a maiden name)', () => {
    expect(namesShareAWord('Dora Beier', ['Domenica436 Brown30', 'Domenica436 Beier427'])).toBe(true)
  })

  it('an empty side never differs', () => {
    expect(namesShareAWord('', ['Gordon Smith'])).toBe(true)
    expect(namesShareAWord('Maria Lopez', [])).toBe(true)
    expect(namesShareAWord('Maria Lopez', ['42'])).toBe(true)
  })
})

describe('identityDifferences (SPEC §4.4 "Whose record is it?")', () => {
  const maria = { fullName: 'Maria Lopez', dateOfBirth: '1980-03-04', sex: 'female' }

  it('lists name, date of birth and sex when all three differ, with the values as written', () => {
    expect(identityDifferences(maria, { fullName: 'Gordon841 Smith12', dateOfBirth: '1961-07-30', sex: 'male' })).toEqual([
      { field: 'fullName', locker: 'Maria Lopez', source: 'Gordon841 Smith12' },
      { field: 'dateOfBirth', locker: '1980-03-04', source: '1961-07-30' },
      { field: 'sex', locker: 'female', source: 'male' },
    ])
  })

  it('the same person written differently has no differences', () => {
    expect(identityDifferences(maria, { fullName: 'María639 López81', names: ['María639 López81'], dateOfBirth: '1980-03-04', sex: 'female' })).toEqual([])
  })

  it('a sex of unknown on either side, or not recorded, never differs; other vs female does', () => {
    expect(identityDifferences({ ...maria, sex: 'unknown' }, { sex: 'male' })).toEqual([])
    expect(identityDifferences(maria, { sex: 'unknown' })).toEqual([])
    expect(identityDifferences({ ...maria, sex: null }, { sex: 'male' })).toEqual([])
    expect(identityDifferences(maria, { sex: 'other' })).toEqual([{ field: 'sex', locker: 'female', source: 'other' }])
  })

  it('an empty profile (registration name only) is compared on the name alone', () => {
    const fresh = { fullName: 'Maria Lopez', dateOfBirth: null, sex: null }
    expect(identityDifferences(fresh, { fullName: 'Maria639 Lopez81', dateOfBirth: '1980-03-04', sex: 'female' })).toEqual([])
    expect(identityDifferences(fresh, { fullName: 'Gordon841 Smith12', dateOfBirth: '1961-07-30', sex: 'male' })).toEqual([
      { field: 'fullName', locker: 'Maria Lopez', source: 'Gordon841 Smith12' },
    ])
  })

  it('a source without a patient never differs', () => {
    expect(identityDifferences(maria, {})).toEqual([])
  })

  it('a date of birth that differs is reported even when the names match', () => {
    expect(identityDifferences(maria, { fullName: 'Maria Lopez', dateOfBirth: '1980-04-03' })).toEqual([
      { field: 'dateOfBirth', locker: '1980-03-04', source: '1980-04-03' },
    ])
  })
})
