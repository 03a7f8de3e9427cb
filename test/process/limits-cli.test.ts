import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { populateTenant } from '../support/fixtures.js';
import { runCli } from '../support/cli.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;
/** Members of the seeded tenant, topped up through the API so the quotas below make round percentages. */
const members = 8;

/** `studiohive limits …` as its own process: its exit code, what it printed, and what it said on stderr. */
const limits = (args: string[], env: Record<string, string> = {}) => runCli(platform.databaseEnv, ['limits', ...args], env);

const setMembersQuota = (max: number) =>
  admin.query(`update platform.tenants set limits = limits || jsonb_build_object('members', $2::int) where id = $1`, [tenant.id, max]);

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await platform.admin();
  tenant = await platform.createTenant();
  await populateTenant(platform, tenant);
  const seeded = Number((await admin.query(`select count(*) from app.members where tenant_id = $1 and status <> 'cancelled'`, [tenant.id])).rows[0].count);
  for (let i = seeded; i < members; i++) {
    const res = await platform.call(tenant, { method: 'POST', url: '/api/members', token: tenant.ownerToken, payload: { familyName: `会員${i}` } });
    expect(res.statusCode).toBe(201);
  }
});
afterAll(() => platform?.close());

// The tenant's quotas are measured by the command itself (--tenant), so nothing depends on the cron having run.
// Only the tenant's rows are asked for: the shared test database's connections belong to every test running.
describe('studiohive limits, as a process', () => {
  it('exits 0 on a seeded tenant within its plan, and --json parses', async () => {
    const run = await limits(['--tenant', tenant.slug, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout);
    expect(rows.map((r: { limit: string }) => r.limit)).toEqual(['tenant.members', 'tenant.locations', 'tenant.staff', 'tenant.storage_bytes']);
    expect(rows[0]).toMatchObject({ scope: tenant.slug, usage: members, max: 5000, level: 'ok' });
    const table = await limits(['--tenant', tenant.id]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^scope\s+limit\s+usage\s+max\s+percent\s+level/);
    expect(table.stdout).toContain('tenant.members');
  });

  it('exits 1 at 80% of a quota and 2 at 99% or more', async () => {
    await setMembersQuota(10); // 8 of 10: 80%
    const warning = await limits(['--tenant', tenant.slug, '--json']);
    expect(JSON.parse(warning.stdout)[0]).toMatchObject({ limit: 'tenant.members', level: 'warning' });
    expect(warning.code).toBe(1);
    expect(warning.stderr).toContain('limits: warning');
    await setMembersQuota(members);
    const critical = await limits(['--tenant', tenant.slug, '--json']);
    expect(JSON.parse(critical.stdout)[0]).toMatchObject({ limit: 'tenant.members', usage: members, max: members, percent: 100, level: 'critical' });
    expect(critical.code).toBe(2);
    expect(critical.stderr).toContain('limits: critical');
    // --level shows only what needs attention.
    const only = await limits(['--tenant', tenant.slug, '--json', '--level', 'critical']);
    expect(JSON.parse(only.stdout).map((r: { limit: string }) => r.limit)).toEqual(['tenant.members']);
  });

  it('moves the level with LIMIT_THRESHOLDS, as a percentage or a count', async () => {
    const thresholds = (t: Record<string, string | number>) => ({ LIMIT_THRESHOLDS: JSON.stringify({ 'tenant.members': t }) });
    await setMembersQuota(16); // 50%
    expect((await limits(['--tenant', tenant.slug])).code).toBe(0);
    expect((await limits(['--tenant', tenant.slug], thresholds({ warning: '40%' }))).code).toBe(1);
    expect((await limits(['--tenant', tenant.slug], thresholds({ critical: 8 }))).code).toBe(2);
    expect((await limits(['--tenant', tenant.slug], thresholds({ warning: 9 }))).code).toBe(0);
    await setMembersQuota(9); // 89%: a warning by default, not with the warning raised to 95%
    expect((await limits(['--tenant', tenant.slug])).code).toBe(1);
    expect((await limits(['--tenant', tenant.slug], thresholds({ warning: '95%' }))).code).toBe(0);
  });

  it('tells a refused invocation apart from a level: an error on stderr and no table', async () => {
    const unknown = await limits(['--tenant', 'no-such-studio']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain('No tenant "no-such-studio"');
    const level = await limits(['--level', 'loud']);
    expect(level.stdout).toBe('');
    expect(level.stderr).toContain('--level must be warning or critical');
  });
});
