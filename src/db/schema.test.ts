/**
 * Schema drift (issue 13): `schema.ts` is written by hand, so this test migrates a fresh
 * database exactly as the app does (`openDatabase`, on the engine under test), introspects
 * it and compares it with the interfaces of `DB` as the TypeScript compiler reads them:
 * the same tables, the same columns (snake_case ↔ camelCase as the CamelCasePlugin maps
 * them), and `| null` in a column's type exactly when the column is nullable.
 */
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDatabaseTables, readSchemaTypes, schemaDifferences, SCHEMA_TS, type TableShapes } from '../../test/helpers/schema-drift.js'
import { createServerDatabase } from '../../test/helpers/test-app.js'
import { openDatabase, type Database } from './connection.js'

let database: Database
let dropServerDatabase: (() => Promise<void>) | undefined
let migrated: TableShapes

beforeAll(async () => {
  const server = process.env.DATABASE_URL ? await createServerDatabase(process.env.DATABASE_URL) : undefined
  dropServerDatabase = server?.drop
  database = await openDatabase({ databaseUrl: server?.url ?? 'memory://', dataDir: tmpdir() })
  migrated = await readDatabaseTables(database.db as unknown as Kysely<unknown>)
})
afterAll(async () => {
  await database?.close()
  await dropServerDatabase?.()
})

describe('schema.ts against the migrated database', () => {
  it('declares every table and column of the migrations, nullable exactly where the database is', () => {
    expect(migrated.size).toBeGreaterThan(20)
    const differences = schemaDifferences(migrated, readSchemaTypes())
    expect(differences, `schema.ts has drifted from src/db/migrations:\n${differences.join('\n')}`).toEqual([])
  })

  it('reports a copy of schema.ts that drifted: a column dropped, one renamed, a nullability changed, a table added', async () => {
    const text = (await readFile(SCHEMA_TS, 'utf8'))
      .replace('  revokedReason: string | null\n', '')
      .replace('  bloodGroup: string | null\n', '  bloodType: string | null\n')
      .replace('  recordDate: CalendarDate\n', '  recordDate: CalendarDate | null\n')
      .replace('export interface DB {\n', 'export interface DB {\n  ghosts: { id: string }\n')
    expect(schemaDifferences(migrated, readSchemaTypes(SCHEMA_TS, text)).sort()).toEqual(
      [
        'table sessions: column revoked_reason is in the database but not in schema.ts',
        'table patient_profiles: column blood_group is in the database but not in schema.ts',
        'table patient_profiles: column blood_type is in schema.ts but not in the database',
        'table records: column record_date is NOT NULL in the database but its type has `| null` in schema.ts',
        'table ghosts is in schema.ts but not in the database',
      ].sort(),
    )
  })
})
