import { defineConfig } from 'vitest/config'

/** Browser tests: real Debian Chromium through playwright-core (`npm run test:e2e`). */
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
