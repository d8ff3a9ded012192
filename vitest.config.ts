import { defineConfig } from 'vitest/config';

/**
 * Three projects, so that the suite holds on a busy two-core machine:
 *  - integration: every file has its own database and queue prefix, so files run two at a time;
 *  - browser: the Chromium tests run after the integration files have finished
 *    (sequence.groupOrder), one file at a time, each reusing one browser, so that they never
 *    race the rest of the suite for the cores. Their timeouts are sized for a slow day: a
 *    timeout is a safety net, never an assertion;
 *  - soak: the short fault soak, last and alone (it runs the hub's processes).
 */
export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['config/**/*.test.ts', 'src/**/*.test.ts', 'workers/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/web/**', 'test/soak/**'],
          fileParallelism: true,
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/web/**/*.test.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          // starts processes and its own Postgres and Redis, and restarts them: alone, last
          name: 'soak',
          include: ['test/soak/**/*.test.ts'],
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 300_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
