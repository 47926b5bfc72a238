/** Escapes `%`, `_` and `\` so user text is matched literally inside an (I)LIKE pattern. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/** `%text%` for a case-insensitive "contains" search. */
export const containsPattern = (s: string): string => `%${escapeLike(s)}%`
