import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 15_000,
    // Two test files at a time, whatever the cores: most tests wait on Redis, timers and child
    // processes, not the CPU (vitest's default on 2 cores is one at a time). The whole suite with two
    // CPU burners took 293 s this way, 499 s one file at a time.
    maxWorkers: 2,
    hookTimeout: 20_000,
  },
})
