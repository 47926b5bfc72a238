/**
 * The ordered list of migrations, applied by Kysely's Migrator at start on both engines
 * (PGlite and PostgreSQL ≥ 15). Add a file `NNNN-name.ts` and list it here; never edit a
 * migration that has landed.
 */
import type { Migration, MigrationProvider } from 'kysely'
import * as m0001 from './0001-initial.js'

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
}
