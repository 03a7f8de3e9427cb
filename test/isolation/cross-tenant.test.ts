import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentials } from '../../src/platform/db/databases.js';
import pg from 'pg';
import { crossTenantViolations } from '../support/cross-tenant.js';
import { populateTenant } from '../support/fixtures.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

let platform: TestPlatform;
let A: TestTenant;
let B: TestTenant;

beforeAll(async () => {
  platform = await startTestPlatform();
  [A, B] = [await platform.createTenant(), await platform.createTenant()];
  await populateTenant(platform, A);
  await populateTenant(platform, B);
});
afterAll(() => platform?.close());

describe('cross-tenant access through every tenant route', () => {
  it('gives A’s owner 404 for every one of B’s ids, and lists without B’s rows', async () => {
    const admin = await platform.admin();
    const { violations, checked } = await crossTenantViolations(platform, A, B, admin);
    expect(violations).toEqual([]);
    expect(checked).toBeGreaterThan(10);
  });

  it('covers every /api route the app serves', () => {
    const api = platform.app.routeCatalog.filter((r) => r.url.startsWith('/api'));
    expect(api.length).toBeGreaterThan(5);
    expect(api.every((r) => r.config.tenantRoute)).toBe(true);
  });

  it('refuses A’s session at B’s address and A’s API key with B’s id', async () => {
    const atB = await platform.call(B, { method: 'GET', url: '/api/auth/me', token: A.ownerToken });
    expect(atB.statusCode).toBe(401);
    const key = (await platform.call(A, { method: 'POST', url: '/api/api-keys', token: A.ownerToken, payload: { name: 'k', role: 'owner' } })).json().key;
    const withBId = await platform.app.inject({
      method: 'GET', url: '/api/staff', headers: { 'x-tenant-id': B.id, authorization: `Bearer ${key}`, host: 'api.example.net' },
    });
    expect(withBId.statusCode).toBe(401);
    const withAId = await platform.app.inject({
      method: 'GET', url: '/api/staff', headers: { 'x-tenant-id': A.id, authorization: `Bearer ${key}`, host: 'api.example.net' },
    });
    expect(withAId.statusCode).toBe(200);
  });

  it('catches the leak when isolation is broken on purpose (RLS off in a scratch cell)', async () => {
    const database = `studiohive_scratch_${randomUUID().slice(0, 8)}`;
    const placement = await platform.runtime.tenants.addPoolPlacement({ id: `pool-${database.slice(-8)}`, cluster: 'main', database, tenantCapacity: 10 });
    const [C, D] = [await platform.createTenant({ placementId: placement.id }), await platform.createTenant({ placementId: placement.id })];
    await populateTenant(platform, C);
    await populateTenant(platform, D);
    const scratch = new pg.Client({ connectionString: withCredentials(platform.adminUrl, { database }) });
    await scratch.connect();
    try {
      await scratch.query('alter table app.staff no force row level security; alter table app.staff disable row level security');
      const { violations } = await crossTenantViolations(platform, C, D, scratch);
      expect(violations.some((v) => v.startsWith('GET /api/staff/:staffId with B'))).toBe(true);
      expect(violations.some((v) => v.startsWith('GET /api/staff shows B'))).toBe(true);
    } finally {
      await scratch.end();
    }
  });
});
