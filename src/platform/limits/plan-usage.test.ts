import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestMail, tokenInMail } from '../../../test/support/fixtures.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { limitsReport } from './limits.service.js';
import { refreshQuotaUsage } from './quota-usage.js';

let platform: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  // Members have their own thresholds here (critical from 4 in use), so the test sees both sides read the overrides.
  platform = await startTestPlatform({ LIMIT_THRESHOLDS: JSON.stringify({ 'tenant.members': { warning: '90%', critical: 4 } }) });
  admin = await platform.admin();
});
afterAll(() => platform?.close());

/** Changes the catalog row as an operator would, and makes this instance read it again. */
async function setLimits(tenant: TestTenant, set: Record<string, number>, remove: string[] = []) {
  await admin.query(`update platform.tenants set limits = (limits || $2::jsonb) - $3::text[] where id = $1`, [tenant.id, JSON.stringify(set), remove]);
  platform.runtime.directory.forget(tenant);
}

const send = (tenant: TestTenant, method: 'GET' | 'POST', url: string, token: string | undefined, payload?: object) =>
  platform.call(tenant, { method, url, token, payload });

async function created(tenant: TestTenant, url: string, payload: object) {
  const res = await send(tenant, 'POST', url, tenant.ownerToken, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const plan = (tenant: TestTenant, token: string | undefined) => send(tenant, 'GET', '/api/settings/plan', token);

describe('GET /api/settings/plan', () => {
  it("shows the owner each quota's live usage, limit and level, the same as the operators' report", async () => {
    const tenant = await platform.createTenant();
    for (let i = 0; i < 4; i++) await created(tenant, '/api/members', { familyName: `会員${i}` });
    for (let i = 0; i < 4; i++) await created(tenant, '/api/locations', { name: `Studio ${i}` });
    await created(tenant, '/api/staff', { email: `desk@${tenant.slug}.example.com`, displayName: 'Desk', role: 'front_desk' });
    const measured = await refreshQuotaUsage(platform.runtime, tenant.id);
    await setLimits(tenant, { members: 5, locations: 5, storageBytes: measured!.storedBytes * 10, apiRequestsPerMinute: 120 }, ['staff']);

    const report = await limitsReport(platform.runtime, { tenant: tenant.id });
    platform.runtime.directory.forget(tenant);
    const res = await plan(tenant, tenant.ownerToken);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    const stored = Number((await admin.query(`select stored_bytes from platform.tenants where id = $1`, [tenant.id])).rows[0].stored_bytes);
    expect(body).toEqual({
      plan: 'standard',
      quotas: [
        // 4 of 5 is 80%: a warning by default, critical by this platform's own threshold for members.
        { key: 'members', limit: 'tenant.members', usage: 4, max: 5, percent: 80, level: 'critical' },
        { key: 'locations', limit: 'tenant.locations', usage: 4, max: 5, percent: 80, level: 'warning' },
        { key: 'staff', limit: 'tenant.staff', usage: 2, max: null, percent: null, level: 'ok' },
        { key: 'storageBytes', limit: 'tenant.storage_bytes', usage: stored, max: measured!.storedBytes * 10, percent: expect.any(Number), level: 'ok' },
        { key: 'apiRequestsPerMinute', limit: 'tenant.api_requests_per_minute', usage: null, max: 120, percent: null, level: null },
      ],
      storageMeasuredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const measuredAt = (await admin.query(`select measured_at from platform.tenant_quota_usage where tenant_id = $1`, [tenant.id])).rows[0].measured_at as Date;
    expect(new Date(body.storageMeasuredAt).getTime()).toBe(measuredAt.getTime());

    // The operators' report has a row for every limited quota, with the same numbers and the same level.
    const asReported = report.rows.map(({ limit, usage, max, percent, level }) => ({ limit, usage, max, percent, level }));
    const asShown = body.quotas
      .filter((q: { max: number | null; usage: number | null }) => q.max !== null && q.usage !== null)
      .map(({ limit, usage, max, percent, level }: Record<string, unknown>) => ({ limit, usage, max, percent, level }));
    expect(asShown).toEqual(expect.arrayContaining(asReported));
    expect(asShown).toHaveLength(asReported.length);

    // Counted live: a member cancelled or added shows at once, before any measurement job runs.
    await created(tenant, '/api/members', { familyName: '五人目' });
    const full = (await plan(tenant, tenant.ownerToken)).json().quotas[0];
    expect(full).toEqual({ key: 'members', limit: 'tenant.members', usage: 5, max: 5, percent: 100, level: 'critical' });
  });

  it('shows a tenant never measured with no measurement time, and its plan as the catalog names it', async () => {
    const tenant = await platform.createTenant();
    const body = (await plan(tenant, tenant.ownerToken)).json();
    expect(body.plan).toBe('standard');
    expect(body.storageMeasuredAt).toBeNull();
    expect(body.quotas.find((q: { key: string }) => q.key === 'storageBytes')).toMatchObject({ usage: 0, max: 10 * 1024 ** 3, percent: 0, level: 'ok' });
    expect(body.quotas.find((q: { key: string }) => q.key === 'staff')).toMatchObject({ usage: 1, max: 50, percent: 2, level: 'ok' });
  });

  it('is for owners and managers only: front desk, instructors and members are refused', async () => {
    const tenant = await platform.createTenant();
    const key = async (role: string) => (await created(tenant, '/api/api-keys', { name: role, role })).key as string;
    expect((await plan(tenant, await key('manager'))).statusCode).toBe(200);
    for (const role of ['front_desk', 'instructor']) {
      const res = await plan(tenant, await key(role));
      expect(res.statusCode, role).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    const email = `member@${tenant.slug}.example.com`;
    const signUp = await send(tenant, 'POST', '/api/member-auth/sign-up', undefined, { email, password: 'member password 1', familyName: '佐藤', givenName: '花子', acceptedTermsVersion: '2026-04' });
    expect(signUp.statusCode).toBe(202);
    const confirmed = await send(tenant, 'POST', '/api/member-auth/confirm', undefined, { token: tokenInMail(await latestMail(platform, tenant, email, 'member_confirm_email')) });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect((await plan(tenant, confirmed.json().token)).statusCode).toBe(403);
    expect((await plan(tenant, undefined)).statusCode).toBe(401);
  });
});
