import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure code, no database: jq, DSL, engine, CTK) starts instantly;
// `integration` gets a real Postgres from test/support/global-setup.ts (DATABASE_URL,
// testcontainers, or a throwaway local cluster) and a cloned database per file.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/count-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/ctk/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/chaos/**/*.test.ts', 'test/runtime/**/*.test.ts'],
          exclude: ['test/chaos/**/*.long.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      // `chaos` (npm run test:chaos, WEIR_CHAOS=long): the reliability battery of test/chaos at full
      // size, one file at a time (each starts its own replicas, some their own Postgres). Defined
      // only then, so `vitest run` does not run the battery a second time beside `integration`.
      ...(process.env.WEIR_CHAOS === 'long'
        ? [
            {
              test: {
                name: 'chaos',
                include: ['test/chaos/**/*.test.ts'],
                globalSetup: ['test/support/global-setup.ts'],
                testTimeout: 900_000,
                hookTimeout: 300_000,
                pool: 'forks' as const,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
