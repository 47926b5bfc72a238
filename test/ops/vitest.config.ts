import { defineConfig } from 'vitest/config'

/**
 * `npm run test:ops`: the operations tests of SPEC §11 that cause real conditions —
 * a real S3-compatible server, a private PostgreSQL cluster stopped and started, an SMTP
 * server down then up, a process killed with SIGKILL, backup and restore, key rotation.
 * Slow and process-heavy, so kept out of `npm test`; `.ci/run` runs it on both engines.
 */
export default defineConfig({
  test: {
    include: ['test/ops/**/*.ops.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
})
