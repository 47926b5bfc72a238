/** Unit tests of the one zod-issue → field-error mapper (STYLE §4, RFC 6901). */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { fieldErrorsOf, jsonPointer } from './field-errors.js'

describe('field errors of zod issues', () => {
  it('escapes ~ and / in pointer tokens (RFC 6901 §3) and keeps array indexes as numbers', () => {
    expect(jsonPointer([])).toBe('')
    expect(jsonPointer(['items', 0, 'quantity'])).toBe('/items/0/quantity')
    expect(jsonPointer(['a/b', 'm~n', '~1'])).toBe('/a~1b/m~0n/~01')
  })

  it('names each invalid field by its pointer under the prefix, the whole document as /', () => {
    const schema = z.object({ items: z.array(z.object({ quantity: z.number() })), 'a/b': z.string() })
    const result = schema.safeParse({ items: [{ quantity: 'x' }], 'a/b': 1 })
    expect(result.success).toBe(false)
    expect(fieldErrorsOf(result.error!.issues).map((e) => e.path)).toEqual(['/items/0/quantity', '/a~1b'])
    expect(fieldErrorsOf(result.error!.issues, '/body').map((e) => e.path)).toEqual(['/body/items/0/quantity', '/body/a~1b'])
    const whole = z.string().safeParse(5)
    expect(fieldErrorsOf(whole.error!.issues)).toEqual([{ path: '/', message: whole.error!.issues[0]!.message }])
  })

  it('lists each unknown key of a strict object as its own field', () => {
    const result = z.object({ a: z.string() }).strict().safeParse({ a: 'x', 'b~': 1, c: 2 })
    expect(fieldErrorsOf(result.error!.issues)).toEqual([
      { path: '/b~0', message: 'Unknown field.' },
      { path: '/c', message: 'Unknown field.' },
    ])
  })
})
