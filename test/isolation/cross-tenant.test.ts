import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentials } from '../../src/platform/db/databases.js';
import pg from 'pg';
import webpush from 'web-push';
import { crossTenantViolations, fingerprint } from '../support/cross-tenant.js';
import { unzip } from '../support/zip.js';
import { populateTenant, type PopulatedTenant } from '../support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let platform: TestPlatform;
let A: PopulatedTenant;
let B: PopulatedTenant;

beforeAll(async () => {
  // Push on (a pair of this run), so the member's push routes answer rather than say push is off.
  const vapid = webpush.generateVAPIDKeys();
  platform = await startTestPlatform({ VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey });
  A = await populateTenant(platform, await platform.createTenant());
  B = await populateTenant(platform, await platform.createTenant());
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

  it('refuses A’s sessions at B’s address and A’s API key with B’s id', async () => {
    const atB = await platform.call(B, { method: 'GET', url: '/api/auth/me', token: A.ownerToken });
    expect(atB.statusCode).toBe(401);
    const memberAtB = await platform.call(B, { method: 'GET', url: '/api/me', token: A.memberToken });
    expect(memberAtB.statusCode).toBe(401);
    expect((await platform.call(A, { method: 'GET', url: '/api/me', token: A.memberToken })).statusCode).toBe(200);
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

  it('gives A’s owner an archive of A’s rows only, and A’s sessions no archive or import at B’s address', async () => {
    const admin = await platform.admin();
    const download = await platform.call(A, { method: 'POST', url: '/api/settings/archive', token: A.ownerToken, headers: { 'x-studiohive-csrf': '1' } });
    expect(download.statusCode, download.body).toBe(200);
    const files = await unzip(download.rawPayload);
    // The audit log aside: the test above had A's owner send B's ids, and A's log records each attempt, as its own
    // history (the same exception as the list check's).
    const rows = [...files].filter(([name]) => name.startsWith('tables/') && name !== 'tables/app.audit_log.ndjson').map(([, bytes]) => bytes.toString('utf8')).join('');
    const ids = async (tenantId: string) => {
      const tables = (await admin.query<{ t: string }>(`select format('%I.%I', table_schema, table_name) as t from information_schema.columns where table_schema = 'app' and column_name = 'id' and data_type = 'uuid'`)).rows;
      const all: string[] = [];
      for (const { t } of tables) all.push(...(await admin.query(`select id::text as id from ${t} where tenant_id = $1`, [tenantId])).rows.map((r) => r.id as string));
      return all;
    };
    const [aIds, bIds] = [await ids(A.id), await ids(B.id)];
    expect(aIds.filter((id) => rows.includes(id)).length).toBeGreaterThan(50);
    expect(bIds.filter((id) => rows.includes(id))).toEqual([]);
    expect(rows).not.toContain(B.slug);
    // A's sessions at B's address: neither B's archive nor an import into B.
    expect((await platform.call(B, { method: 'POST', url: '/api/settings/archive', token: A.ownerToken, headers: { 'x-studiohive-csrf': '1' } })).statusCode).toBe(401);
    const csv = Buffer.from('ID,氏名\nX-1,侵入 太郎\n').toString('base64');
    const before = await fingerprint(admin, B.id);
    for (const url of ['/api/members/import/preview', '/api/members/import']) {
      const res = await platform.call(B, { method: 'POST', url, token: A.ownerToken, payload: { file: csv }, headers: { 'idempotency-key': randomUUID() } });
      expect(res.statusCode, url).toBe(401);
    }
    expect(await fingerprint(admin, B.id)).toBe(before);
  });

  it('catches the leak when isolation is broken on purpose (RLS off in a scratch cell)', async () => {
    const database = `studiohive_scratch_${randomUUID().slice(0, 8)}`;
    const placement = await platform.runtime.tenants.addPlacement({ tier: 'pool', id: `pool-${database.slice(-8)}`, cluster: 'main', database, tenantCapacity: 10 });
    const C = await populateTenant(platform, await platform.createTenant({ placementId: placement.id }));
    const D = await populateTenant(platform, await platform.createTenant({ placementId: placement.id }));
    const scratch = new pg.Client({ connectionString: withCredentials(platform.adminUrl, { database }) });
    await scratch.connect();
    try {
      // Staff rows, and the member realm's sessions and accounts (a session is only found through its account).
      for (const table of ['app.staff', 'app.member_sessions', 'app.member_accounts']) {
        await scratch.query(`alter table ${table} no force row level security; alter table ${table} disable row level security`);
      }
      const { violations } = await crossTenantViolations(platform, C, D, scratch);
      expect(violations.some((v) => v.startsWith('GET /api/staff/:staffId with B'))).toBe(true);
      expect(violations.some((v) => v.startsWith('GET /api/staff shows B'))).toBe(true);
      expect(violations.some((v) => v.startsWith("GET /api/me at B's address did not refuse A's member session"))).toBe(true);
    } finally {
      await scratch.end();
    }
  });
});
