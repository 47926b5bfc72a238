/** Pure logic of the slot grid (SPEC §10): Luxon in the doctor's zone, DST-correct. */
import { describe, expect, it } from 'vitest'
import { bookableSlot, freeSlots, gridSlots, isKnownTimeZone, weeklyErrors, type Schedule } from './slots.js'

const paris = (weekly: Schedule['weekly'], slotMinutes = 60): Schedule => ({ timeZone: 'Europe/Paris', slotMinutes, weekly })
const iso = (d: { start: Date }[]) => d.map((s) => s.start.toISOString())

describe('the weekly grid in the doctor’s zone', () => {
  it('places 09:00 Paris at 08:00Z before the spring change (Sat 28 March 2026) and 07:00Z after it (Mon 30 March)', () => {
    const s = paris([{ weekday: 6, start: '09:00', end: '11:00' }, { weekday: 1, start: '09:00', end: '11:00' }])
    const slots = gridSlots(s, new Date('2026-03-27T00:00:00Z'), new Date('2026-03-31T00:00:00Z'))
    expect(iso(slots)).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-28T09:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-03-30T08:00:00.000Z'])
  })

  it('a window across the missing hour of Sunday 29 March (01:00–04:00 Paris) holds two real hours, not three', () => {
    const s = paris([{ weekday: 7, start: '01:00', end: '04:00' }])
    const slots = gridSlots(s, new Date('2026-03-29T00:00:00Z'), new Date('2026-03-30T00:00:00Z'))
    expect(iso(slots)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z'])
  })

  it('a window across the repeated hour of Sunday 25 October (01:00–04:00 Paris) holds four real hours', () => {
    const s = paris([{ weekday: 7, start: '01:00', end: '04:00' }])
    const slots = gridSlots(s, new Date('2026-10-24T00:00:00Z'), new Date('2026-10-26T00:00:00Z'))
    expect(iso(slots)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z'])
  })

  it('drops a last piece shorter than a slot, and a window may end at 24:00', () => {
    const s = paris([{ weekday: 1, start: '22:00', end: '24:00' }], 45)
    expect(iso(gridSlots(s, new Date('2026-01-05T00:00:00Z'), new Date('2026-01-06T00:00:00Z')))).toEqual(['2026-01-05T21:00:00.000Z', '2026-01-05T21:45:00.000Z'])
  })

  it('free slots leave out exceptions, booked spans and the past; bookable slots must be on the grid', () => {
    const s = paris([{ weekday: 1, start: '09:00', end: '13:00' }])
    const window = { from: new Date('2026-01-05T00:00:00Z'), to: new Date('2026-01-06T00:00:00Z'), now: new Date('2026-01-05T08:30:00Z') }
    const free = freeSlots(s, window, [{ start: new Date('2026-01-05T10:30:00Z'), end: new Date('2026-01-05T11:00:00Z') }], [{ start: new Date('2026-01-05T09:00:00Z'), end: new Date('2026-01-05T10:00:00Z') }])
    expect(iso(free)).toEqual(['2026-01-05T11:00:00.000Z'])
    const later = freeSlots(s, { ...window, now: new Date('2026-01-05T07:00:00Z') }, [], [{ start: new Date('2026-01-05T09:00:00Z'), end: new Date('2026-01-05T10:00:00Z') }])
    expect(iso(later)).toEqual(['2026-01-05T08:00:00.000Z', '2026-01-05T10:00:00.000Z', '2026-01-05T11:00:00.000Z'])
    const now = new Date('2026-01-01T00:00:00Z')
    expect(bookableSlot(s, new Date('2026-01-05T09:00:00Z'), now, [])?.end.toISOString()).toBe('2026-01-05T10:00:00.000Z')
    expect(bookableSlot(s, new Date('2026-01-05T09:30:00Z'), now, [])).toBeUndefined()
    expect(bookableSlot(s, new Date('2026-01-06T09:00:00Z'), now, [])).toBeUndefined()
    expect(bookableSlot(s, new Date('2026-01-05T09:00:00Z'), new Date('2026-01-05T09:00:00Z'), [])).toBeUndefined()
  })

  it('knows IANA zones and finds bad windows', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true)
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false)
    expect(weeklyErrors([{ weekday: 1, start: '10:00', end: '10:00' }]).map((e) => e.path)).toEqual(['/weekly/0/end'])
    expect(weeklyErrors([{ weekday: 1, start: '09:00', end: '11:00' }, { weekday: 1, start: '10:30', end: '12:00' }]).map((e) => e.path)).toEqual(['/weekly/1'])
    expect(weeklyErrors([{ weekday: 1, start: '09:00', end: '11:00' }, { weekday: 2, start: '10:30', end: '12:00' }, { weekday: 1, start: '11:00', end: '12:00' }])).toEqual([])
  })
})
