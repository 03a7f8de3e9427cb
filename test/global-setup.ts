import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/platform/runtime.js';
import { openAppRuntime } from '../src/app/composition.js';
import { TEST_ENV } from './support/env.js';
import { startThrowAwayPostgres, type ThrowAwayPostgres } from './support/throwaway-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The owner connection the platform runs with (DATABASE_URL). */
    adminUrl: string;
    /** A superuser on the main cluster: it bypasses RLS, for looking at what really is in the tables. */
    superuserUrl: string;
    /** More clusters by name (EXTRA_CLUSTERS): owner connections, and a superuser connection for each. */
    extraClusters: Record<string, string>;
    extraSuperuserUrls: Record<string, string>;
  }
}

const jsonRecord = (raw: string | undefined): Record<string, string> => (raw ? (JSON.parse(raw) as Record<string, string>) : {});

/**
 * The clock-ahead run (vitest.config.ts) is worth nothing if libfaketime did not reach the processes the suite
 * starts: PostgreSQL's clock, read here from the main process that keeps the real one, must be well ahead.
 */
async function requireClockAhead(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ now: Date }>('select now()');
    const aheadDays = (rows[0]!.now.getTime() - Date.now()) / 86_400_000;
    if (aheadDays < 30) throw new Error(`TEST_CLOCK_AHEAD is set, yet PostgreSQL's clock is ${aheadDays.toFixed(1)} days ahead`);
  } finally {
    await client.end();
  }
}

/**
 * The whole run shares one real PostgreSQL, migrated once, plus a second cluster ("second" in EXTRA_CLUSTERS) for
 * silos and pool cells placed on another server. By default both are embedded and thrown away afterwards. With
 * TEST_DATABASE_URL (an owner role, which need not be a superuser) and TEST_SUPERUSER_URL, the run uses a real
 * server instead, and TEST_EXTRA_CLUSTERS / TEST_EXTRA_SUPERUSER_URLS name its other clusters (.ci/run does this
 * with Debian's PostgreSQL 15: .ci/postgres-clusters.sh).
 */
export default async function setup(project: TestProject) {
  const started: ThrowAwayPostgres[] = [];
  let adminUrl = process.env.TEST_DATABASE_URL;
  let superuserUrl = process.env.TEST_SUPERUSER_URL ?? adminUrl;
  let extraClusters = jsonRecord(process.env.TEST_EXTRA_CLUSTERS);
  let extraSuperuserUrls = { ...extraClusters, ...jsonRecord(process.env.TEST_EXTRA_SUPERUSER_URLS) };
  if (!adminUrl) {
    const [main, second] = await Promise.all([startThrowAwayPostgres('test-main'), startThrowAwayPostgres('test-second')]);
    started.push(main, second);
    adminUrl = superuserUrl = main.adminUrl;
    extraClusters = extraSuperuserUrls = { second: second.adminUrl };
  }
  const config = loadConfig({ ...TEST_ENV, DATABASE_URL: adminUrl, EXTRA_CLUSTERS: JSON.stringify(extraClusters) });
  const runtime = await openAppRuntime(config, createLogger({ LOG_LEVEL: 'silent' }));
  await runtime.migrate();
  await runtime.close();
  if (process.env.TEST_CLOCK_AHEAD) await requireClockAhead(superuserUrl!);
  project.provide('adminUrl', adminUrl);
  project.provide('superuserUrl', superuserUrl!);
  project.provide('extraClusters', extraClusters);
  project.provide('extraSuperuserUrls', extraSuperuserUrls);
  return async () => {
    for (const server of started) await server.stop();
  };
}
