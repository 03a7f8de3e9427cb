import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Limits leave room for a loaded 2-core machine: the slowest test without a limit of its own takes about 20 s
    // alone (cross-tenant.test.ts); tests that take longer set their own, at least 5× their time alone.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // CI also keeps a JSON report per run (VITEST_REPORT names it), from which .ci/run prints a plain
    // "N passed, N failed" closing line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: `.ci/report/${process.env.VITEST_REPORT ?? 'vitest'}.json` }]] : ['default'],
  },
});
