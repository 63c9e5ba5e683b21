import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests start Chromium; keep the 2-core machine from oversubscribing.
    maxWorkers: 2,
  },
});
