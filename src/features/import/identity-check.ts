/**
 * "Whose record is it?" (SPEC §4.4): compares the patient a source describes with the
 * locker's profile before anything is imported. Pure functions, no I/O.
 *
 * A field differs only when it is on both sides: an empty side (no date of birth yet, sex
 * not recorded, a source without a Patient) never differs.
 * - Date of birth: both `YYYY-MM-DD` and not equal.
 * - Sex: both recorded, neither `unknown`, and not equal.
 * - Name: the two names share no word, words compared by {@link nameWords} (without case,
 *   accents and digits — Synthea writes "Maria639 García"). The source's every name counts
 *   (official, usual, maiden…), so a locker kept under a maiden name still matches.
 */

export type IdentityField = 'fullName' | 'dateOfBirth' | 'sex'

/** One disagreement, as the 409 `identity-mismatch` problem lists it: values as written on each side. */
export interface IdentityDifference {
  field: IdentityField
  locker: string
  source: string
}

/** The locker's side: the profile (before the first save, `fullName` is the registration name, SPEC §4.2). */
export interface LockerIdentity {
  fullName: string | null
  dateOfBirth: string | null
  sex: string | null
}

/** The source's side: its patient's display name, every name it has, date of birth and sex. */
export interface SourceIdentity {
  fullName?: string | undefined
  names?: string[] | undefined
  dateOfBirth?: string | undefined
  sex?: string | undefined
}

/**
 * The words of a name, for comparison: Unicode NFD with combining marks removed ("José" →
 * "jose"), lower-cased, digits dropped, split on anything that is not a letter ("García-López"
 * → garcia, lopez; "Maria639" → maria). Empty words are dropped.
 */
export function nameWords(name: string): string[] {
  return name
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .filter((w) => w.length > 0)
}

/**
 * True when some word of `a` is a word of one of `others` — or when either side has no
 * word at all (an empty side never differs).
 */
export function namesShareAWord(a: string, others: string[]): boolean {
  const mine = new Set(nameWords(a))
  const theirs = others.flatMap(nameWords)
  if (mine.size === 0 || theirs.length === 0) return true
  return theirs.some((w) => mine.has(w))
}

/** The differences between the locker and the source, in the order name, date of birth, sex; empty when they may be the same person. */
export function identityDifferences(locker: LockerIdentity, source: SourceIdentity): IdentityDifference[] {
  const out: IdentityDifference[] = []
  const sourceNames = [...(source.fullName ? [source.fullName] : []), ...(source.names ?? [])]
  if (locker.fullName && source.fullName && !namesShareAWord(locker.fullName, sourceNames)) {
    out.push({ field: 'fullName', locker: locker.fullName, source: source.fullName })
  }
  if (locker.dateOfBirth && source.dateOfBirth && locker.dateOfBirth !== source.dateOfBirth) {
    out.push({ field: 'dateOfBirth', locker: locker.dateOfBirth, source: source.dateOfBirth })
  }
  const known = (s: string | null | undefined): s is string => !!s && s !== 'unknown'
  if (known(locker.sex) && known(source.sex) && locker.sex !== source.sex) {
    out.push({ field: 'sex', locker: locker.sex, source: source.sex })
  }
  return out
}
