import { defineConfig } from 'vitest/config';

// TEST_CLOCK_AHEAD (libfaketime's FAKETIME syntax, .ci/run uses +365d) puts every process the suite starts on a
// clock that far ahead: test workers, PostgreSQL and the server processes, which inherit this environment
// (Chromium crawls under libfaketime, so test/support/browser.ts gives its pages the workers' time instead). Vitest's own process keeps the real clock: under libfaketime its search for test files once came
// back empty. The thread-safe build, because Node and Chromium are multi-threaded; monotonic clocks and file times
// stay real, so timeouts keep their length and only the date moves. global-setup.ts checks that it took.
if (process.env.TEST_CLOCK_AHEAD) {
  Object.assign(process.env, {
    LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1',
    FAKETIME: process.env.TEST_CLOCK_AHEAD,
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    NO_FAKE_STAT: '1',
  });
}

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
