import { defineConfig } from 'vitest/config';

// `EIU_TEST_PG=postgres://… npm test` runs the whole suite on PostgreSQL
// (tests/support/test-database.ts), and with it tests/postgres: several server
// instances over one PostgreSQL server, and the PostgreSQL layer itself.
const onPostgres = Boolean(process.env.EIU_TEST_PG);

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**', ...(onPostgres ? [] : ['tests/postgres/**'])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests start Chromium; keep the 2-core machine from oversubscribing.
    maxWorkers: 2,
  },
});
