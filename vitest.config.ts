import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Several server processes on one PostgreSQL database: `npm run test:multinode`;
    // operations tests that cause real faults (SPEC §11): `npm run test:ops`.
    exclude: [...configDefaults.exclude, 'test/multinode/**', 'test/ops/**'],
    pool: 'forks',
    // PGlite runs: migrate once, start each file's database from the dump.
    globalSetup: ['test/helpers/pglite-snapshot.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
