/**
 * Prescription reference numbers (SPEC §4.9): for pharmacies without a scanner, read over a
 * counter or a phone, e.g. `K7QF-9M2X-4TRB-8`.
 *
 * Algorithm — Douglas Crockford, "Base32" (https://www.crockford.com/base32.html):
 * - Alphabet: the 32 symbols `0123456789ABCDEFGHJKMNPQRSTVWXYZ` (digits and letters without
 *   I, L, O and U), each worth its index 0–31. No two symbols look or sound alike.
 * - Decoding is forgiving: case is ignored, hyphens (and here spaces) are ignored, `O`/`o`
 *   reads as 0 and `I`/`i`/`L`/`l` as 1.
 * - Check symbol: the number encoded by the symbols, modulo 37, written with the same 32
 *   symbols plus five check-only ones: `*` = 32, `~` = 33, `$` = 34, `=` = 35, `U` = 36.
 *   37 is prime and does not divide 32, so changing any one symbol changes the value by
 *   (d′ − d)·32^k with 0 < |d′ − d| < 37, which is never a multiple of 37: every single
 *   mistyped symbol is caught (and so is every transposition of two adjacent symbols).
 *
 * Our numbers: 12 data symbols (60 bits from the OS CSPRNG) + the check symbol, grouped
 * `XXXX-XXXX-XXXX-C`. We redraw the rare numbers whose check would be one of the five
 * check-only symbols, so a reference never contains punctuation to read aloud; that keeps
 * log2(2^60 · 32/37) ≈ 59.8 bits of entropy (SPEC: ≥ 50). Lookup still accepts any valid
 * Crockford check symbol.
 */
import { randomBytes } from 'node:crypto'

export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
/** Values 32–36 of the check symbol. */
export const CROCKFORD_CHECK_EXTRA = '*~$=U'
/** Data symbols of a reference number (60 random bits). */
export const REFERENCE_DATA_LENGTH = 12

const DECODE: Record<string, number> = {}
for (let i = 0; i < CROCKFORD_ALPHABET.length; i += 1) DECODE[CROCKFORD_ALPHABET[i]!] = i
// Crockford's look-alikes.
DECODE.O = 0
DECODE.I = 1
DECODE.L = 1

const CHECK_DECODE: Record<string, number> = { ...DECODE }
for (let i = 0; i < CROCKFORD_CHECK_EXTRA.length; i += 1) CHECK_DECODE[CROCKFORD_CHECK_EXTRA[i]!] = 32 + i

/** The check value (0–36) of data symbol values, most significant first: their number mod 37. */
export function checkValue(values: readonly number[]): number {
  let mod = 0
  for (const v of values) mod = (mod * 32 + v) % 37
  return mod
}

/** The symbol of a check value 0–36. */
export function checkSymbol(value: number): string {
  return value < 32 ? CROCKFORD_ALPHABET[value]! : CROCKFORD_CHECK_EXTRA[value - 32]!
}

/** `K7QF9M2X4TRB8` → `K7QF-9M2X-4TRB-8`: groups of four, the check symbol last on its own. */
export function formatReference(code: string): string {
  const data = code.slice(0, REFERENCE_DATA_LENGTH)
  return `${data.match(/.{1,4}/g)?.join('-') ?? data}-${code.slice(REFERENCE_DATA_LENGTH)}`
}

/**
 * A new reference code (canonical form: 13 upper-case symbols, no hyphens). 60 random bits
 * from `randomBytes`, redrawn while the check would be a check-only symbol.
 */
export function generateReferenceCode(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const bytes = random(8)
    let n = bytes.readBigUInt64BE(0) & ((1n << 60n) - 1n)
    const values: number[] = []
    for (let i = 0; i < REFERENCE_DATA_LENGTH; i += 1) {
      values.unshift(Number(n & 31n))
      n >>= 5n
    }
    const check = checkValue(values)
    if (check < 32) return values.map((v) => CROCKFORD_ALPHABET[v]).join('') + checkSymbol(check)
  }
}

export type ParsedReference =
  | { ok: true; code: string }
  | { ok: false; reason: 'format' | 'check' }

/**
 * Reads a reference number as typed: case, spaces and hyphens are ignored, and Crockford's
 * look-alikes are mapped (O → 0, I/L → 1). Returns the canonical code, or why it is not one:
 * `format` (wrong length, a symbol outside the alphabet) or `check` (the check symbol does not
 * match — a mistyped symbol).
 */
export function parseReference(input: string): ParsedReference {
  const compact = input.replace(/[\s-]+/g, '').toUpperCase()
  if (compact.length !== REFERENCE_DATA_LENGTH + 1) return { ok: false, reason: 'format' }
  const values: number[] = []
  for (const ch of compact.slice(0, REFERENCE_DATA_LENGTH)) {
    const v = DECODE[ch]
    if (v === undefined) return { ok: false, reason: 'format' }
    values.push(v)
  }
  const check = CHECK_DECODE[compact[REFERENCE_DATA_LENGTH]!]
  if (check === undefined) return { ok: false, reason: 'format' }
  if (checkValue(values) !== check) return { ok: false, reason: 'check' }
  return { ok: true, code: values.map((v) => CROCKFORD_ALPHABET[v]).join('') + checkSymbol(check) }
}
