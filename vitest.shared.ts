/** Vitest settings every package shares: its test files, and a JSON report `.ci/run` sums up. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    reporters: ['default', ['json', { outputFile: '.test-report.json' }]],
  },
});
