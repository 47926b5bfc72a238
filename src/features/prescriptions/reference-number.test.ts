import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  CROCKFORD_ALPHABET,
  CROCKFORD_CHECK_EXTRA,
  checkSymbol,
  checkValue,
  formatReference,
  generateReferenceCode,
  parseReference,
} from './reference-number.js'

/** The value a symbol reads as (Crockford decoding), or undefined. */
const valueOf = (ch: string, checkPosition: boolean): number | undefined => {
  const c = ch.toUpperCase()
  const mapped = c === 'O' ? '0' : c === 'I' || c === 'L' ? '1' : c
  const i = CROCKFORD_ALPHABET.indexOf(mapped)
  if (i >= 0) return i
  const j = CROCKFORD_CHECK_EXTRA.indexOf(mapped)
  return checkPosition && j >= 0 ? 32 + j : undefined
}

describe('reference numbers: Crockford base32 with a mod-37 check symbol', () => {
  it('is 12 random symbols and a check symbol, grouped XXXX-XXXX-XXXX-C for reading aloud', () => {
    const code = generateReferenceCode()
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{13}$/)
    const printed = formatReference(code)
    expect(printed).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/)
    expect(parseReference(printed)).toEqual({ ok: true, code })
  })

  it('carries at least 50 random bits: 1,000 draws are all distinct and use every symbol', () => {
    const codes = Array.from({ length: 1000 }, () => generateReferenceCode())
    expect(new Set(codes).size).toBe(1000)
    const used = new Set(codes.flatMap((c) => [...c.slice(0, 12)]))
    expect(used.size).toBe(32)
    // 12 symbols × 5 bits = 60 bits, minus the redraws of check-only symbols (log2(32/37)).
    expect(12 * 5 + Math.log2(32 / 37)).toBeGreaterThan(50)
  })

  it('computes the check symbol as the value mod 37, with the five check-only symbols above 31', () => {
    expect(checkValue([0, 16])).toBe(16)
    expect(checkSymbol(16)).toBe('G')
    // 32 → "*", 36 → "U": check-only symbols.
    expect(checkSymbol(32)).toBe('*')
    expect(checkSymbol(36)).toBe('U')
    // A number whose check is a check-only symbol still validates (we never issue one).
    const values = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0] // 32 → check "*"
    expect(checkValue(values)).toBe(32)
    expect(parseReference('0000-0000-0010-*')).toEqual({ ok: true, code: '000000000010*' })
  })

  it('ignores case, spaces and hyphens, and maps the look-alikes O → 0 and I, L → 1', () => {
    const code = '0011AB0CD1EF'
    const full = code + checkSymbol(checkValue([...code].map((c) => CROCKFORD_ALPHABET.indexOf(c))))
    const typed = `oOil ab o-c d L ef ${full[12]!.toLowerCase()}`
    expect(parseReference(typed)).toEqual({ ok: true, code: full })
    expect(parseReference(formatReference(full).toLowerCase())).toEqual({ ok: true, code: full })
  })

  it('refuses a wrong length or a symbol outside the alphabet as a format error', () => {
    const code = generateReferenceCode()
    expect(parseReference(code.slice(1))).toEqual({ ok: false, reason: 'format' })
    expect(parseReference(`${code}0`)).toEqual({ ok: false, reason: 'format' })
    expect(parseReference(`U${code.slice(1)}`)).toEqual({ ok: false, reason: 'format' }) // U is for the check symbol only
    expect(parseReference(`${code.slice(0, 5)}#${code.slice(6)}`)).toEqual({ ok: false, reason: 'format' })
  })

  it('property: any single changed character, at every position, fails the check', () => {
    const candidates = [...CROCKFORD_ALPHABET, ...CROCKFORD_CHECK_EXTRA, 'O', 'I', 'L', 'o', 'i', 'l']
    let tried = 0
    for (let round = 0; round < 25; round += 1) {
      const code = generateReferenceCode((n) => randomBytes(n))
      for (let pos = 0; pos < code.length; pos += 1) {
        const checkPosition = pos === code.length - 1
        const original = valueOf(code[pos]!, checkPosition)
        // Several substitutions per position: every symbol that reads differently.
        for (const sub of candidates) {
          const subValue = valueOf(sub, checkPosition)
          if (subValue === original) continue // the same symbol, or its look-alike
          const changed = code.slice(0, pos) + sub + code.slice(pos + 1)
          const parsed = parseReference(formatReference(changed))
          expect(parsed.ok, `${code} → ${changed}`).toBe(false)
          tried += 1
        }
      }
    }
    expect(tried).toBeGreaterThan(25 * 13 * 30)
  })

  it('also catches two adjacent symbols swapped', () => {
    for (let round = 0; round < 200; round += 1) {
      const code = generateReferenceCode()
      for (let pos = 0; pos < 11; pos += 1) {
        if (code[pos] === code[pos + 1]) continue
        const swapped = code.slice(0, pos) + code[pos + 1] + code[pos] + code.slice(pos + 2)
        expect(parseReference(swapped)).toEqual({ ok: false, reason: 'check' })
      }
    }
  })
})
