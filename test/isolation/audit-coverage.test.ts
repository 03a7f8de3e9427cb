import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEntry } from '../../src/platform/http/app.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

let platform: TestPlatform;
let tenant: TestTenant;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
});
afterAll(() => platform?.close());

const isStaffWrite = (r: RouteEntry) =>
  r.config.tenantRoute === true && r.method !== 'GET' && r.config.access !== 'public' && r.config.access !== 'member' && !r.config.dryRun;

describe('the audit log covers every staff write', () => {
  it('marks exactly the staff writes (not dry runs, member or public routes) as audited', () => {
    const routes = platform.app.routeCatalog.filter((r) => r.config.tenantRoute);
    expect(routes.filter((r) => r.config.audited).map((r) => `${r.method} ${r.url}`).sort()).toEqual(routes.filter(isStaffWrite).map((r) => `${r.method} ${r.url}`).sort());
  });

  it('records a row for one request to each, as the owner', async () => {
    const admin = await platform.admin();
    // Signing out ends the owner's session, so it goes last.
    const writes = platform.app.routeCatalog.filter(isStaffWrite).sort((a, b) => Number(a.url.endsWith('/logout')) - Number(b.url.endsWith('/logout')));
    expect(writes.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const r of writes) {
      const requestId = `audit-coverage-${randomUUID()}`;
      const res = await platform.call(tenant, {
        method: r.method as 'POST',
        url: r.url.replace(/:[A-Za-z0-9_]+/g, () => randomUUID()),
        token: tenant.ownerToken,
        payload: {},
        headers: { 'x-request-id': requestId, 'idempotency-key': randomUUID() },
      });
      const rows = await admin.query(`select 1 from app.audit_log where tenant_id = $1 and request_id = $2`, [tenant.id, requestId]);
      if (rows.rowCount !== 1) missing.push(`${r.method} ${r.url} (answered ${res.statusCode})`);
    }
    expect(missing).toEqual([]);
  });
});
