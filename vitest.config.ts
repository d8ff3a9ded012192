import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['config/**/*.test.ts', 'src/**/*.test.ts', 'workers/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // each file has its own database and queue prefix, so files run in parallel safely
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
