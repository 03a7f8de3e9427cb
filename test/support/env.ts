import os from 'node:os';
import path from 'node:path';

/** The environment every test platform starts from (plus DATABASE_URL from the global setup). */
export const TEST_ENV = {
  APP_DATABASE_PASSWORD: 'test-app-role-password',
  PLATFORM_DATABASE_PASSWORD: 'test-platform-role-password',
  TENANT_PURGE_SETTLE_MS: '5000',
  PLATFORM_ADMIN_TOKEN: 'test-platform-admin-token-0123456789',
  LOG_LEVEL: 'silent',
  BASE_DOMAIN: 'studiohive.test',
  RUN_WORKER: 'false',
  SEED_DEMO: 'false',
  // Page views the tests send land here, not in the checkout's data folder.
  ANALYTICS_DIR: path.join(os.tmpdir(), 'studiohive-test-analytics'),
  // Tests drive one tenant far past its plan's requests per minute; the rate limit's own tests turn it on.
  RATE_LIMIT: 'false',
  // No test reaches the internet: LINE is the stand-in (test/support/line.ts) where a test is about LINE, and
  // elsewhere a port nothing listens on, which refuses at once (a message queued for a linked member, say by the
  // cross-tenant fixtures, must not make a worker wait for api.line.me's timeout).
  LINE_API_URL: 'http://127.0.0.1:9',
  LINE_ACCESS_URL: 'http://127.0.0.1:9',
} as const;
