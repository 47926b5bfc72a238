import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Several server processes on one PostgreSQL database: `npm run test:multinode`;
    // operations tests that cause real faults (SPEC §11): `npm run test:ops`.
    exclude: [...configDefaults.exclude, 'test/multinode/**', 'test/ops/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
