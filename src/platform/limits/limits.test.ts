import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { refreshQuotaUsage } from './quota-usage.js';
import { limitsReport } from './limits.service.js';
import { taskList } from '../jobs/tasks.js';

let platform: TestPlatform;
let admin: pg.Client;

beforeAll(async () => {
  // No tenant cache: a limit changed by the test applies to the very next request.
  platform = await startTestPlatform({ TENANT_CACHE_TTL_MS: '0', RATE_LIMIT: 'true' });
  admin = await platform.admin();
});
afterAll(() => platform?.close());

async function setLimits(tenant: TestTenant, limits: Record<string, number>) {
  await admin.query(`update platform.tenants set limits = limits || $2::jsonb where id = $1`, [tenant.id, JSON.stringify(limits)]);
}

/** Rows really in the tenant's tables, read past RLS. */
async function count(tenant: TestTenant, table: string, where = 'true') {
  return Number((await admin.query(`select count(*) as n from ${table} where tenant_id = $1 and ${where}`, [tenant.id])).rows[0].n);
}

const post = (tenant: TestTenant, url: string, payload: Record<string, unknown>) =>
  platform.call(tenant, { method: 'POST', url, token: tenant.ownerToken, payload });

function expectQuotaProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, limit: string, usage: number, max: number) {
  expect(res.statusCode).toBe(409);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json()).toMatchObject({ code: 'quota_exceeded', limit, usage, max });
  expect(res.json().detail).toContain(limit);
}

describe('hard quotas', () => {
  it('refuses an import that would take the studio past its members quota, saying how many more fit, and imports none', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { members: 3 });
    expect((await post(tenant, '/api/members', { familyName: '一' })).statusCode).toBe(201);
    const file = Buffer.from(['会員番号,氏名', 'A,山田 花子', 'B,佐藤 次郎', 'C,鈴木 三郎'].join('\n'));
    const refused = await platform.call(tenant, {
      method: 'POST', url: '/api/members/import', token: tenant.ownerToken, headers: { 'idempotency-key': `import-${tenant.id}`, 'accept-language': 'en' },
      payload: { file: file.toString('base64') },
    });
    expectQuotaProblem(refused, 'tenant.members', 1, 3);
    expect(refused.json().detail).toContain('This would add 3 members, but this studio\'s plan allows 3 and 1 are in use, so 2 more fit');
    expect(await count(tenant, 'app.members')).toBe(1);
  });

  it('refuses a member past the quota, naming the limit, and creates nothing; cancelled members do not count', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { members: 2 });
    for (const name of ['一', '二']) expect((await post(tenant, '/api/members', { familyName: name })).statusCode).toBe(201);
    const refused = await post(tenant, '/api/members', { familyName: '三' });
    expectQuotaProblem(refused, 'tenant.members', 2, 2);
    expect(await count(tenant, 'app.members')).toBe(2);
    // Counter rows and history are in the refused transaction too: the next member still gets number 3.
    await setLimits(tenant, { members: 3 });
    const third = await post(tenant, '/api/members', { familyName: '三' });
    expect(third.statusCode).toBe(201);
    expect(third.json().memberNumber).toBe(3);
    expectQuotaProblem(await post(tenant, '/api/members', { familyName: '四' }), 'tenant.members', 3, 3);
    const cancel = await platform.call(tenant, {
      method: 'POST', url: `/api/members/${third.json().id}/status`, token: tenant.ownerToken,
      headers: { 'idempotency-key': `cancel-${third.json().id}` }, payload: { to: 'cancelled', reason: 'moved away' },
    });
    expect(cancel.statusCode).toBe(200);
    expect((await post(tenant, '/api/members', { familyName: '四' })).statusCode).toBe(201);
  });

  it('refuses a location past the quota, and bringing an archived one back', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { locations: 1 });
    const first = await post(tenant, '/api/locations', { name: 'Shibuya' });
    expect(first.statusCode).toBe(201);
    expectQuotaProblem(await post(tenant, '/api/locations', { name: 'Ebisu' }), 'tenant.locations', 1, 1);
    expect(await count(tenant, 'app.locations')).toBe(1);
    const archive = await platform.call(tenant, { method: 'PATCH', url: `/api/locations/${first.json().id}`, token: tenant.ownerToken, payload: { archived: true } });
    expect(archive.statusCode).toBe(200);
    expect((await post(tenant, '/api/locations', { name: 'Ebisu' })).statusCode).toBe(201);
    const back = await platform.call(tenant, { method: 'PATCH', url: `/api/locations/${first.json().id}`, token: tenant.ownerToken, payload: { archived: false } });
    expectQuotaProblem(back, 'tenant.locations', 1, 1);
    expect(await count(tenant, 'app.locations', 'archived_at is null')).toBe(1);
  });

  it('refuses a staff account past the quota (the owner counts)', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { staff: 1 });
    const refused = await post(tenant, '/api/staff', { email: `desk@${tenant.slug}.example.com`, displayName: 'Desk', role: 'front_desk' });
    expectQuotaProblem(refused, 'tenant.staff', 1, 1);
    expect(await count(tenant, 'app.staff')).toBe(1);
    expect(await count(tenant, 'app.outbox', `template = 'staff_invite'`)).toBe(0);
  });

  it('lets exactly one of many concurrent creates at quota-1 through', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { members: 1, locations: 1, staff: 2 });
    const [members, locations, staff] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, (_, i) => post(tenant, '/api/members', { familyName: `同時${i}` }))),
      Promise.all(Array.from({ length: 8 }, (_, i) => post(tenant, '/api/locations', { name: `Room ${i}` }))),
      Promise.all(Array.from({ length: 8 }, (_, i) => post(tenant, '/api/staff', { email: `s${i}@${tenant.slug}.example.com`, displayName: `S${i}`, role: 'instructor' }))),
    ]);
    for (const answers of [members, locations, staff]) {
      expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    }
    expect(await count(tenant, 'app.members')).toBe(1);
    expect(await count(tenant, 'app.locations')).toBe(1);
    expect(await count(tenant, 'app.staff')).toBe(2);
  });

  it('refuses new members once the measured stored bytes reach the storage quota', async () => {
    const tenant = await platform.createTenant();
    expect((await post(tenant, '/api/members', { familyName: '容量' })).statusCode).toBe(201);
    const usage = await refreshQuotaUsage(platform.runtime, tenant.id);
    expect(usage).toMatchObject({ members: 1, locations: 0, staff: 1 });
    expect(usage!.storedBytes).toBeGreaterThan(0);
    await setLimits(tenant, { storageBytes: usage!.storedBytes });
    expectQuotaProblem(await post(tenant, '/api/members', { familyName: '容量' }), 'tenant.storage_bytes', usage!.storedBytes, usage!.storedBytes);
    await setLimits(tenant, { storageBytes: usage!.storedBytes + 1 });
    expect((await post(tenant, '/api/members', { familyName: '容量' })).statusCode).toBe(201);
  });

  it("counts a pool tenant's stored bytes from its own rows only", async () => {
    const small = await platform.createTenant();
    const big = await platform.createTenant();
    for (let i = 0; i < 20; i++) expect((await post(big, '/api/members', { familyName: `多${i}`, staffNotes: 'x'.repeat(500) })).statusCode).toBe(201);
    const [a, b] = [await refreshQuotaUsage(platform.runtime, small.id), await refreshQuotaUsage(platform.runtime, big.id)];
    expect(b!.storedBytes - a!.storedBytes).toBeGreaterThan(20 * 500);
    const { rows } = await admin.query(`select members, stored_bytes, (select stored_bytes from platform.tenants where id = $1) as on_catalog from platform.tenant_quota_usage where tenant_id = $1`, [big.id]);
    expect(rows[0]).toMatchObject({ members: 20, stored_bytes: b!.storedBytes, on_catalog: b!.storedBytes });
  });

  it('the quota_usage sweep queues one job per tenant under a job key', async () => {
    const tenant = await platform.createTenant();
    await taskList(platform.runtime).quota_usage_sweep!({}, {} as never);
    const { rows } = await admin.query(`select count(*)::int as n from graphile_worker.jobs where key = $1`, [`quota_usage:${tenant.id}`]);
    expect(rows[0].n).toBe(1);
    await taskList(platform.runtime).quota_usage!({ tenantId: tenant.id }, {} as never);
    expect((await admin.query(`select staff from platform.tenant_quota_usage where tenant_id = $1`, [tenant.id])).rows[0]).toEqual({ staff: 1 });
  });
});

describe('request rate limit per tenant', () => {
  it('answers a flooding tenant 429 with Retry-After before opening a transaction, while another tenant is served', async () => {
    const noisy = await platform.createTenant();
    const quiet = await platform.createTenant();
    await setLimits(noisy, { apiRequestsPerMinute: 120 }); // 20 per 10-second window
    const get = (tenant: TestTenant, token = tenant.ownerToken) => platform.call(tenant, { method: 'GET', url: '/api/locations', token });
    const flood = await Promise.all(Array.from({ length: 50 }, () => get(noisy)));
    const others = await Promise.all(Array.from({ length: 30 }, () => get(quiet)));
    const statuses = (rs: typeof flood) => rs.reduce<Record<number, number>>((n, r) => ({ ...n, [r.statusCode]: (n[r.statusCode] ?? 0) + 1 }), {});
    expect(statuses(flood)).toEqual({ 200: 20, 429: 30 });
    expect(statuses(others)).toEqual({ 200: 30 });
    const limited = flood.find((r) => r.statusCode === 429)!;
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-limit']).toBe('20');
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(10);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.json()).toMatchObject({ code: 'rate_limited', limit: 'tenant.api_requests_per_minute', max: 120 });
    expect(flood.find((r) => r.statusCode === 200)!.headers['ratelimit-policy']).toBe('20;w=10');
    // Authentication happens inside the tenant's transaction: a bad token still meets the limit first.
    expect((await get(noisy, 'shs_not-a-token')).statusCode).toBe(429);
    // The tenant is resolved and limited before the body is read: a malformed body is not a way around it.
    const malformed = await platform.call(noisy, { method: 'POST', url: '/api/locations', token: noisy.ownerToken, payload: { name: 42 } });
    expect(malformed.statusCode).toBe(429);
    expect((await platform.call(quiet, { method: 'POST', url: '/api/locations', token: quiet.ownerToken, payload: { name: 42 } })).statusCode).toBe(400);
    // Page views are not metered: the beacon still answers the limited tenant.
    const view = await platform.call(noisy, {
      method: 'POST', url: '/api/beacon', payload: { path: '/members' },
      headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' },
    });
    expect(view.statusCode).toBe(204);
  });

  it('is off with RATE_LIMIT=false', async () => {
    const off = await startTestPlatform({ TENANT_CACHE_TTL_MS: '0', RATE_LIMIT: 'false' });
    try {
      const tenant = await off.createTenant();
      await setLimits(tenant, { apiRequestsPerMinute: 2 });
      const answers = await Promise.all(Array.from({ length: 6 }, () => off.call(tenant, { method: 'GET', url: '/api/locations', token: tenant.ownerToken })));
      expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await off.close();
    }
  });
});

describe('the limits report', () => {
  it('covers every platform limit and the measured tenants, through GET /platform/limits', async () => {
    const tenant = await platform.createTenant();
    await refreshQuotaUsage(platform.runtime, tenant.id);
    const res = await platform.platform({ method: 'GET', url: '/platform/limits' });
    expect(res.statusCode).toBe(200);
    const { rows, level } = res.json();
    expect(['ok', 'warning', 'critical']).toContain(level);
    const names = (scope: string) => rows.filter((r: any) => r.scope === scope).map((r: any) => r.limit).sort();
    expect(names('cluster:main')).toEqual(['platform.db_connections', 'platform.db_size_bytes']);
    expect(names('jobs')).toEqual(['platform.job_backlog']);
    expect(names('cell:pool-main')).toEqual(['platform.cell_tenants']);
    expect(names('disk:data')).toEqual(['platform.disk_bytes']);
    expect(names(tenant.slug)).toEqual(['tenant.locations', 'tenant.members', 'tenant.staff', 'tenant.storage_bytes']);
    const connections = rows.find((r: any) => r.limit === 'platform.db_connections');
    expect(connections.usage).toBeGreaterThan(0);
    expect(connections.max).toBeGreaterThanOrEqual(connections.usage);
    const one = await platform.platform({ method: 'GET', url: `/platform/limits?tenant=${tenant.slug}` });
    expect(one.json().rows.map((r: any) => r.scope)).toEqual([tenant.slug, tenant.slug, tenant.slug, tenant.slug]);
    expect((await platform.platform({ method: 'GET', url: '/platform/limits?tenant=no-such-studio' })).statusCode).toBe(404);
    expect((await platform.platform({ method: 'GET', url: '/platform/limits?level=bad' })).statusCode).toBe(400);
  });

  it('puts platform limits by scope and tenant quotas as counts per level on /metrics, with no tenant label', async () => {
    const tenant = await platform.createTenant();
    await setLimits(tenant, { members: 1 });
    await post(tenant, '/api/members', { familyName: '満員' });
    await limitsReport(platform.runtime, { tenant: tenant.id });
    const text = await platform.runtime.metrics.registry.metrics();
    expect(text).toMatch(/studiohive_limit_usage\{limit="platform.db_connections",scope="cluster:main"\} \d+/);
    expect(text).toMatch(/studiohive_limit_max\{limit="platform.cell_tenants",scope="cell:pool-main"\} \d+/);
    expect(text).toMatch(/studiohive_tenants_at_limit_level\{limit="tenant.members",level="critical"\} [1-9]\d*/);
    expect(text).toMatch(/studiohive_tenant_limit_usage_ratio_max\{limit="tenant.members"\} (1|[1-9]\d*(\.\d+)?)\n/);
    expect(text).not.toContain(tenant.id);
    expect(text).not.toContain(tenant.slug);
  });
});
