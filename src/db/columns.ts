/**
 * Explicit column lists for hot queries. A query that runs as a named server-side statement
 * (src/db/connection.ts) must not select `*`: a statement prepared before a migration adds a
 * column fails with "cached plan must not change result type". These helpers keep an
 * explicit list as complete as `selectAll` would be, checked by the compiler.
 */

/**
 * Every column of table type `T`, as a tuple: `allColumns<PatientProfilesTable>()(['patientId', …])`.
 * Omitting a column of `T` is a type error naming the missing ones (`{ missing: 'notes' }`).
 */
export function allColumns<T>() {
  return <const K extends readonly (keyof T & string)[]>(columns: K & (Exclude<keyof T, K[number]> extends never ? unknown : { missing: Exclude<keyof T, K[number]> })): K =>
    columns
}

/** `columns` qualified by a table alias for a join: `qualified('p', ['id'])` → `['p.id']`. */
export function qualified<const A extends string, const K extends string>(alias: A, columns: readonly K[]): `${A}.${K}`[] {
  return columns.map((c) => `${alias}.${c}` as `${A}.${K}`)
}
