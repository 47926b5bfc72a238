/** Calendar dates in UTC (SPEC §2: calendar dates are `YYYY-MM-DD`, instants are UTC). */

/** The UTC calendar date of an instant: `2026-11-20T23:30:00Z` → `2026-11-20`. */
export const utcDate = (instant: Date): string => instant.toISOString().slice(0, 10)
