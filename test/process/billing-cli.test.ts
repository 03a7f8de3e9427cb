import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

let platform: TestPlatform;
let tenant: TestTenant;
/** Holds the tenant's billing lock, as a run in another process would. */
let holder: pg.Client;

const billingRun = (args: string[]) => runCli(platform.databaseEnv, ['billing-run', '--tenant', tenant.id, ...args]);
const lockKey = () => `billing:${tenant.id}`;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  holder = await platform.admin();
});
afterAll(() => platform?.close());

describe('studiohive billing-run, as a process', () => {
  it('says it skipped a tenant whose lock another run holds, on stderr and in --json, and exits 75; runs once the lock is free', async () => {
    await holder.query(`select pg_advisory_lock(hashtextextended($1, 0))`, [lockKey()]);
    try {
      const skipped = await billingRun(['--json']);
      expect(skipped.stderr).toContain(`billing-run: tenant ${tenant.id} skipped: another run is in progress`);
      expect(skipped.code).toBe(75);
      expect(JSON.parse(skipped.stdout)).toMatchObject([{ tenantId: tenant.id, skipped: 'another run is in progress', invoicesCreated: 0 }]);
      const table = await billingRun([]);
      expect(table.code).toBe(75);
      expect(table.stderr).toContain('skipped: another run is in progress');
      expect(table.stdout).toContain('another run is in progress');
    } finally {
      await holder.query(`select pg_advisory_unlock(hashtextextended($1, 0))`, [lockKey()]);
    }
    const ran = await billingRun(['--json']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject([{ tenantId: tenant.id, skipped: null }]);
  });
});
