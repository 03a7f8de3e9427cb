import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentials } from '../../src/platform/db/databases.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';

let platform: TestPlatform;
let A: TestTenant;
let B: TestTenant;
let app: pg.Client;
let bStaffId: string;

/** Runs statements as the app role inside one transaction that is always rolled back. */
async function asApp<T>(tenantId: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  await app.query('begin');
  try {
    if (tenantId) await app.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
    return await fn(app);
  } finally {
    await app.query('rollback');
  }
}

const failsWith = async (p: Promise<unknown>, code: string) => expect(p).rejects.toMatchObject({ code });

beforeAll(async () => {
  platform = await startTestPlatform();
  [A, B] = [await platform.createTenant(), await platform.createTenant()];
  const { config } = platform.runtime;
  app = new pg.Client({
    connectionString: withCredentials(platform.adminUrl, { user: config.APP_DATABASE_USER, password: config.APP_DATABASE_PASSWORD! }),
  });
  await app.connect();
  const admin = await platform.admin();
  bStaffId = (await admin.query('select id from app.staff where tenant_id = $1', [B.id])).rows[0].id;
});
afterAll(async () => {
  await app?.end();
  await platform?.close();
});

describe('as the app role, straight SQL', () => {
  it('is really the app role, not a superuser', async () => {
    const who = await app.query('select current_user, usesuper from pg_user where usename = current_user');
    expect(who.rows[0]).toEqual({ current_user: platform.runtime.config.APP_DATABASE_USER, usesuper: false });
  });

  it('sees nothing and can write nothing with no tenant set', async () => {
    await asApp(null, async (c) => {
      for (const table of ['app.staff', 'app.staff_sessions', 'app.login_attempts', 'app.api_keys']) {
        expect((await c.query(`select count(*)::int as n from ${table}`)).rows[0].n).toBe(0);
      }
      expect((await c.query(`update app.staff set display_name = 'x' where id = $1`, [bStaffId])).rowCount).toBe(0);
      expect((await c.query(`delete from app.staff where id = $1`, [bStaffId])).rowCount).toBe(0);
    });
    await asApp(null, (c) =>
      failsWith(c.query(`insert into app.staff (tenant_id, email, display_name, role) values ($1, 'x@y.z', 'x', 'owner')`, [B.id]), '42501'),
    );
  });

  it('with the wrong tenant set, cannot read, change, delete or create the other tenant’s rows', async () => {
    await asApp(A.id, async (c) => {
      expect((await c.query('select count(*)::int as n from app.staff')).rows[0].n).toBeGreaterThan(0);
      expect((await c.query('select * from app.staff where tenant_id = $1', [B.id])).rowCount).toBe(0);
      expect((await c.query('select * from app.staff where id = $1', [bStaffId])).rowCount).toBe(0);
      expect((await c.query(`update app.staff set display_name = 'pwned' where tenant_id = $1`, [B.id])).rowCount).toBe(0);
      expect((await c.query('delete from app.staff where tenant_id = $1', [B.id])).rowCount).toBe(0);
      const admin = await platform.admin();
      const count = async (tenantId: string) =>
        (await admin.query('select count(*)::int as n from app.staff_sessions where tenant_id = $1', [tenantId])).rows[0].n;
      const [aSessions, bSessions] = [await count(A.id), await count(B.id)];
      expect(aSessions).toBeGreaterThan(0);
      // An unfiltered delete reaches exactly A's own rows (rolled back afterwards).
      expect((await c.query('delete from app.staff_sessions')).rowCount).toBe(aSessions);
      expect(await count(B.id)).toBe(bSessions);
    });
    await asApp(A.id, (c) =>
      failsWith(c.query(`insert into app.staff (tenant_id, email, display_name, role) values ($1, 'x@y.z', 'x', 'owner')`, [B.id]), '42501'),
    );
    // Moving one of A's rows into B is refused too.
    await asApp(A.id, (c) => failsWith(c.query('update app.staff set tenant_id = $1', [B.id]), '42501'));
    const admin = await platform.admin();
    const bRows = await admin.query(`select display_name from app.staff where tenant_id = $1`, [B.id]);
    expect(bRows.rows.map((r) => r.display_name)).not.toContain('pwned');
  });

  it('fails, never sees everything, when the tenant setting is garbage', async () => {
    await asApp(null, async (c) => {
      await c.query(`select set_config('app.tenant_id', 'not-a-uuid', true)`);
      await failsWith(c.query('select * from app.staff'), '22P02');
    });
  });

  it('cannot switch the setting off, turn RLS off, or become another role', async () => {
    await asApp(A.id, (c) => failsWith(c.query('alter table app.staff disable row level security'), '42501'));
    await asApp(A.id, (c) => failsWith(c.query('alter table app.staff no force row level security'), '42501'));
    await asApp(A.id, (c) => failsWith(c.query('drop policy tenant_isolation on app.staff'), '42501'));
    await asApp(A.id, (c) => failsWith(c.query('set role postgres'), '42501'));
    await asApp(A.id, (c) => failsWith(c.query('set session_replication_role = replica'), '42501'));
    await asApp(A.id, (c) => failsWith(c.query('create table app.sneaky (id int)'), '42501'));
  });

  it('reads no catalog table, no usage and no analytics salt; looks up one tenant or placement by what a request names', async () => {
    for (const table of ['platform.tenants', 'platform.tenant_domains', 'platform.placements', 'platform.tenant_usage',
      'platform.tenant_quota_usage', 'platform.analytics_salts']) {
      await asApp(A.id, (c) => failsWith(c.query(`select * from ${table} limit 1`), '42501'));
      await asApp(A.id, (c) => failsWith(c.query(`delete from ${table}`), '42501'));
    }
    await asApp(null, async (c) => {
      const byId = await c.query('select id, slug, placement_id from platform.tenant_by_id($1)', [B.id]);
      expect(byId.rows).toEqual([{ id: B.id, slug: B.slug, placement_id: expect.any(String) }]);
      expect((await c.query('select id from platform.tenant_by_slug($1)', [A.slug])).rows).toEqual([{ id: A.id }]);
      expect((await c.query(`select id from platform.tenant_by_slug('%')`)).rows).toEqual([]);
      expect((await c.query(`select id from platform.tenant_by_domain('')`)).rows).toEqual([]);
      const placement = await c.query('select id, tier from platform.placement_by_id($1)', [byId.rows[0].placement_id]);
      expect(placement.rows).toEqual([{ id: byId.rows[0].placement_id, tier: 'pool' }]);
    });
  });

  it('SET LOCAL ends with the transaction, so a pooled connection does not keep the tenant', async () => {
    await app.query('begin');
    await app.query(`select set_config('app.tenant_id', $1, true)`, [A.id]);
    await app.query('commit');
    expect((await app.query('select count(*)::int as n from app.staff')).rows[0].n).toBe(0);
  });
});
