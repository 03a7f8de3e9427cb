import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCredentials } from '../../src/platform/db/databases.js';
import { readMigrations } from '../../src/platform/db/migrate.js';
import { tenantsRepo } from '../../src/platform/tenancy/tenants.repo.js';
import { runCli } from '../support/cli.js';
import { TEST_ENV } from '../support/env.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../support/platform.js';
import { freePort, startServer } from '../support/server-process.js';

let platform: TestPlatform;
const cli = (...args: string[]) => runCli(platform.databaseEnv, args);
const clients: pg.Client[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end()));
  await platform?.close();
});

/** The owner's connection to a placement's own database (what an operator repairing it would use). */
async function ownerOf(placementId: string): Promise<pg.Client> {
  const placement = (await tenantsRepo.placement(platform.runtime.databases.platform, placementId))!;
  const client = new pg.Client({ connectionString: withCredentials(platform.adminUrl, { database: placement.database }) });
  await client.connect();
  clients.push(client);
  return client;
}

const me = (p: TestPlatform, tenant: TestTenant) => p.call(tenant, { method: 'GET', url: '/api/auth/me', token: tenant.ownerToken });

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/** GET over real HTTP to a server process, as a browser at the tenant's address. */
const httpGet = (port: number, tenant: TestTenant) =>
  new Promise<Answer>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/api/auth/me', agent: false, headers: { host: tenant.host, authorization: `Bearer ${tenant.ownerToken}` } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });

function expectMaintenance(res: Answer) {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['retry-after']).toBe('60');
  const problem = JSON.parse(res.body);
  expect(problem).toMatchObject({ type: 'urn:studiohive:problem:maintenance', code: 'maintenance', status: 503 });
  // What broke is for operators (the migrate report, the catalog), not for the studio's visitors.
  expect(problem.detail).not.toMatch(/migration|schema|already exists/i);
}

describe('one broken placement', () => {
  it('fails alone: reported and marked, its tenants get 503 maintenance, every other tenant is served, and migrate --placement brings it back', async () => {
    const broken = await platform.createTenant({ tier: 'silo' });
    const healthy = await platform.createTenant({ tier: 'silo' });
    const pooled = await platform.createTenant();
    const brokenId = `silo-${broken.slug}`;
    const healthyId = `silo-${healthy.slug}`;

    // Real breakage: the silo's first tenant migration is no longer recorded as applied, so the next migrate runs it
    // again and PostgreSQL refuses it, because what it creates is in the way.
    const silo = await ownerOf(brokenId);
    const record = (await silo.query(`delete from studiohive_meta.migrations where set_name = 'tenant' and id = 1 returning *`)).rows[0];
    expect(record).toBeDefined();
    const repair = () =>
      silo.query('insert into studiohive_meta.migrations (set_name, id, name, checksum, applied_at) values ($1, $2, $3, $4, $5) on conflict do nothing',
        [record.set_name, record.id, record.name, record.checksum, record.applied_at]);

    try {
      const report = await platform.runtime.migrate();
      const byId = new Map(report.placements.map((p) => [p.id, p]));
      expect(byId.get(brokenId)).toMatchObject({
        status: 'failed', applied: [], cluster: 'main', tier: 'silo',
        error: expect.stringMatching(/^Migration tenant\/0001_staff_and_sessions\.sql failed: schema "app" already exists/),
      });
      expect(byId.get(healthyId)).toMatchObject({ status: 'ok', error: null, applied: [] });
      expect(byId.get('pool-main')).toMatchObject({ status: 'ok', error: null });
      expect(byId.get(brokenId)!.durationMs).toBeGreaterThanOrEqual(0);

      // Marked in the catalog, with the reason for operators; the last good migration's time and version are kept.
      const row = (await tenantsRepo.placement(platform.runtime.databases.platform, brokenId))!;
      expect(row).toMatchObject({ migration_status: 'failed', migration_error: byId.get(brokenId)!.error, schema_version: (await readMigrations('tenant')).length });
      expect(row.migrated_at).not.toBeNull();

      // This instance migrated it, so it knows at once: the broken silo's tenant waits, everyone else is served.
      expectMaintenance(await me(platform, broken));
      expect((await me(platform, healthy)).statusCode).toBe(200);
      expect((await me(platform, pooled)).statusCode).toBe(200);
      // Refused before its body is read: a sign-in with a body that would not even validate gets the same 503.
      expectMaintenance(await platform.call(broken, { method: 'POST', url: '/api/auth/login', payload: { email: 'not an email' } }));

      // A new instance still starts (it migrates on start): it logs the failed placement and serves the others.
      const port = await freePort();
      const server = await startServer({ ...TEST_ENV, ...platform.databaseEnv, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
      try {
        expect(server.output()).toMatch(new RegExp(`"placement":"${brokenId}".*placement migration failed`));
        expectMaintenance(await httpGet(port, broken));
        expect((await httpGet(port, healthy)).statusCode).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }

      // The CLI reports every placement, names the failure on stderr, and exits 3: the control plane is fine.
      const all = await cli('migrate');
      expect(all.code, all.stderr).toBe(3);
      expect(all.stdout).toMatch(/^Control plane: up to date \(\d+ ms\)$/m);
      expect(all.stdout).toMatch(new RegExp(`^${brokenId}\\s+silo\\s+main\\s+\\S+\\s+failed\\s+-\\s+\\d+\\s+Migration tenant/0001`, 'm'));
      expect(all.stdout).toMatch(new RegExp(`^${healthyId}\\s+silo\\s+main\\s+\\S+\\s+ok\\s+-\\s+\\d+$`, 'm'));
      expect(all.stderr).toContain(`migrate: placement ${brokenId} (main/`);
    } finally {
      await repair();
    }

    // Repaired: one placement retried alone.
    const retry = await cli('migrate', '--placement', brokenId, '--json');
    expect(retry.code, retry.stderr).toBe(0);
    const retried = JSON.parse(retry.stdout);
    expect(retried.controlPlane.applied).toEqual([]);
    expect(retried.placements).toEqual([expect.objectContaining({ id: brokenId, status: 'ok', error: null, applied: [] })]);
    expect(await tenantsRepo.placement(platform.runtime.databases.platform, brokenId)).toMatchObject({ migration_status: 'ok', migration_error: null });

    // Another instance (nothing cached) serves it again; this one does once it migrates it itself (or its cache expires).
    const other = await startTestPlatform();
    try {
      expect((await me(other, broken)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
    expectMaintenance(await me(platform, broken));
    expect((await platform.runtime.migrate({ placement: brokenId })).placements).toEqual([expect.objectContaining({ id: brokenId, status: 'ok' })]);
    expect((await me(platform, broken)).statusCode).toBe(200);
  });

  it('refuses a placement whose schema is behind the code until a migrate reaches it, and names an unknown placement', async () => {
    const tenant = await platform.createTenant({ tier: 'silo' });
    const id = `silo-${tenant.slug}`;
    const version = (await readMigrations('tenant')).length;
    // As another instance, running an older release, would have left a placement it added.
    const admin = await platform.admin();
    await admin.query('update platform.placements set schema_version = $2 where id = $1', [id, version - 1]);
    const fresh = await startTestPlatform();
    try {
      expectMaintenance(await me(fresh, tenant));
      const report = await fresh.runtime.migrate({ placement: id });
      expect(report.placements).toEqual([expect.objectContaining({ id, status: 'ok' })]);
      expect((await tenantsRepo.placement(fresh.runtime.databases.platform, id))!.schema_version).toBe(version);
      expect((await me(fresh, tenant)).statusCode).toBe(200);
    } finally {
      await fresh.close();
    }
    const unknown = await cli('migrate', '--placement', 'no-such-placement');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Placement no-such-placement was not found/);
  });
});
