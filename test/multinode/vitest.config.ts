import { defineConfig } from 'vitest/config'

/**
 * `npm run test:multinode`: tests that run several real server processes on one
 * PostgreSQL database (test/helpers/node-process.ts). Needs DATABASE_URL (any database on
 * the server; each file creates and drops its own). Kept out of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/multinode/**/*.multinode.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
})
