import { mkdtemp, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestPlatform, uniqueSlug, type TestPlatform } from '../../../test/support/platform.js';
import { freePort } from '../../../test/support/server-process.js';
import { withCredentials } from './databases.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import { migrateDatabase } from './migrate.js';
import { ensureDatabase } from './roles.js';

/**
 * A cluster named in EXTRA_CLUSTERS on which the runtime roles were never made (a pool cell added by hand, or by a
 * release that made them only on the main cluster): its own PostgreSQL, started here, because the run's clusters
 * already have the roles.
 */
let third: EmbeddedServer;
let dataDir: string;
let platform: TestPlatform;
const id = `pool-${uniqueSlug('third')}`;
const database = `studiohive_${id.replaceAll('-', '_')}`;
/** The runtime roles' default names (the test environment keeps them). */
const roleNames = ['studiohive_app', 'studiohive_platform'];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-test-third-'));
  await chmod(dataDir, 0o777);
  third = await startEmbeddedPostgres({ dataDir, port: await freePort(), database: 'studiohive_test', password: 'third-admin-password', persistent: false });
  platform = await startTestPlatform({ EXTRA_CLUSTERS: JSON.stringify({ ...inject('extraClusters'), third: third.adminUrl }) });
});
afterAll(async () => {
  // The cell leaves the shared catalog with its tenants: other files' migrates would report a cluster they do not know.
  const admin = await platform.admin();
  await admin.query('delete from platform.tenants where placement_id = $1', [id]);
  await admin.query('delete from platform.placements where id = $1', [id]);
  await platform.close();
  await third.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const rolesOnThird = async () => {
  const client = new pg.Client({ connectionString: third.adminUrl });
  await client.connect();
  try {
    return (await client.query<{ rolname: string }>('select rolname from pg_roles where rolname = any($1) order by 1', [roleNames])).rows.map((r) => r.rolname);
  } finally {
    await client.end();
  }
};

describe('a placement on an extra cluster', () => {
  it('gets the runtime roles made on its cluster by migrate, before its database is migrated, and then serves its tenants', async () => {
    // The cell's database and schema exist, and the catalog names it; its cluster has no runtime role.
    await ensureDatabase(third.adminUrl, database);
    await migrateDatabase(withCredentials(third.adminUrl, { database }), ['tenant']);
    const admin = await platform.admin();
    await admin.query(`insert into platform.placements (id, tier, cluster, database, tenant_capacity) values ($1, 'pool', 'third', $2, 10)`, [id, database]);
    expect(await rolesOnThird()).toEqual([]);

    const report = await platform.runtime.migrate({ placement: id });
    expect(report.placements).toEqual([expect.objectContaining({ id, cluster: 'third', status: 'ok', error: null })]);
    expect(await rolesOnThird()).toEqual(['studiohive_app', 'studiohive_platform']);

    // The app role signs in there: a tenant created in the cell, its owner signed in through the HTTP path.
    const tenant = await platform.createTenant({ placementId: id });
    const me = await platform.call(tenant, { method: 'GET', url: '/api/auth/me', token: tenant.ownerToken });
    expect(me.statusCode, me.body).toBe(200);
  });
});
