import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENV } from '../../../test/support/env.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { systemClock } from '../clock.js';
import type { Db } from '../db/databases.js';
import type { DB } from '../db/types.js';
import { UsageRecorder } from './usage.js';

const root = path.resolve(import.meta.dirname, '../../..');
// The timer never fires during a test: every flush here is explicit or the one at close.
const ENV = { USAGE_FLUSH_MS: '3600000' };

interface Row {
  hour: Date;
  requests: number;
  client_errors: number;
  server_errors: number;
  duration_ms: number;
}

async function rowsOf(platform: TestPlatform, tenantId: string): Promise<Row[]> {
  const admin = await platform.admin();
  const { rows } = await admin.query(
    `select hour, requests::int, client_errors::int, server_errors::int, duration_ms from platform.tenant_usage where tenant_id = $1 order by hour`,
    [tenantId],
  );
  return rows;
}

const total = (rows: Row[]) =>
  rows.reduce((t, r) => ({ requests: t.requests + r.requests, clientErrors: t.clientErrors + r.client_errors, serverErrors: t.serverErrors + r.server_errors }), {
    requests: 0,
    clientErrors: 0,
    serverErrors: 0,
  });

const hourStart = (d: Date) => new Date(d.getTime() - (d.getTime() % 3_600_000));

describe('per-tenant usage', () => {
  let platform: TestPlatform;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    platform = await startTestPlatform(ENV);
    [A, B] = await Promise.all([platform.createTenant(), platform.createTenant()]);
    await platform.app.observability.usage.flush();
  });
  afterAll(() => platform?.close());

  it('counts each tenant’s requests, client errors and time per hour, and two flushes add up', async () => {
    const before = { A: total(await rowsOf(platform, A.id)), B: total(await rowsOf(platform, B.id)) };
    const started = new Date();
    const send = (t: TestTenant, url: string) => platform.call(t, { method: 'GET', url, token: t.ownerToken });
    const first = await Promise.all([
      send(A, '/api/members'), send(A, '/api/members'), send(A, '/api/members'),
      send(A, `/api/members/${randomUUID()}`), send(A, `/api/members/${randomUUID()}`),
      // Refused by validation: the tenant is resolved before it, so this counts for A too.
      send(A, '/api/members/not-a-uuid'),
      send(B, '/api/members'),
    ]);
    expect(first.map((r) => r.statusCode)).toEqual([200, 200, 200, 404, 404, 400, 200]);
    // Nothing is written before a flush.
    expect(total(await rowsOf(platform, A.id))).toEqual(before.A);

    expect(await platform.app.observability.usage.flush()).toBeGreaterThanOrEqual(2);
    const afterFirst = { A: await rowsOf(platform, A.id), B: await rowsOf(platform, B.id) };
    expect(total(afterFirst.A)).toEqual({ requests: before.A.requests + 6, clientErrors: before.A.clientErrors + 3, serverErrors: 0 });
    expect(total(afterFirst.B)).toEqual({ requests: before.B.requests + 1, clientErrors: before.B.clientErrors, serverErrors: 0 });
    for (const row of [...afterFirst.A, ...afterFirst.B]) {
      expect(row.hour.getTime() % 3_600_000).toBe(0);
      expect(row.hour.getTime()).toBeGreaterThanOrEqual(hourStart(started).getTime() - 3_600_000);
      expect(row.hour.getTime()).toBeLessThanOrEqual(Date.now());
      expect(row.duration_ms).toBeGreaterThan(0);
    }

    await Promise.all([send(A, '/api/members'), send(B, `/api/members/${randomUUID()}`)]);
    await platform.app.observability.usage.flush();
    const afterSecond = { A: await rowsOf(platform, A.id), B: await rowsOf(platform, B.id) };
    expect(total(afterSecond.A)).toEqual({ ...total(afterFirst.A), requests: total(afterFirst.A).requests + 1 });
    expect(total(afterSecond.B)).toEqual({ requests: total(afterFirst.B).requests + 1, clientErrors: total(afterFirst.B).clientErrors + 1, serverErrors: 0 });
    // Added to the hour's row, not a second row for it.
    expect(new Set(afterSecond.A.map((r) => r.hour.getTime())).size).toBe(afterSecond.A.length);
  });

  describe('counted by UTC hour (a recorder on a set clock)', () => {
    const clock = systemClock();
    let broken = false;
    let brokenDb: Db;
    let recorder: UsageRecorder;
    beforeAll(() => {
      // A pool that cannot connect (nothing listens on port 1): a real database failure, not a mock.
      brokenDb = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: 'postgres://x:y@127.0.0.1:1/none', connectionTimeoutMillis: 2000 }) }) });
      recorder = new UsageRecorder({
        get db() {
          return broken ? brokenDb : platform.runtime.databases.platform;
        },
        clock,
        log: platform.runtime.log,
      });
    });
    afterAll(() => brokenDb.destroy());

    const at = (iso: string, tenantId: string, status: number, ms: number) => {
      clock.set(new Date(iso));
      recorder.record(tenantId, status, ms);
    };

    it('writes one row per tenant and hour, adds to existing rows, skips unknown tenants, and keeps counts when a flush fails', async () => {
      at('2020-01-01T10:15:00Z', A.id, 200, 12);
      at('2020-01-01T10:40:00Z', A.id, 503, 8);
      // It waited 6.5 ms of those for its turn at the database (fair admission).
      recorder.queued(A.id, 6.5);
      at('2020-01-01T11:05:00Z', A.id, 404, 1.5);
      at('2020-01-01T10:59:59.999Z', B.id, 201, 3);
      at('2020-01-01T10:30:00Z', randomUUID(), 200, 1); // a tenant not in the catalog
      expect(await recorder.flush()).toBe(3);
      const hours = (rows: Row[]) => rows.filter((r) => r.hour.getUTCFullYear() === 2020).map((r) => ({ ...r, hour: r.hour.toISOString() }));
      expect(hours(await rowsOf(platform, A.id))).toEqual([
        { hour: '2020-01-01T10:00:00.000Z', requests: 2, client_errors: 0, server_errors: 1, duration_ms: 20 },
        { hour: '2020-01-01T11:00:00.000Z', requests: 1, client_errors: 1, server_errors: 0, duration_ms: 1.5 },
      ]);
      expect(hours(await rowsOf(platform, B.id))).toEqual([{ hour: '2020-01-01T10:00:00.000Z', requests: 1, client_errors: 0, server_errors: 0, duration_ms: 3 }]);

      at('2020-01-01T10:50:00Z', A.id, 200, 10);
      broken = true;
      await expect(recorder.flush()).rejects.toThrow();
      expect(recorder.pendingRows).toBe(1);
      at('2020-01-01T10:55:00Z', A.id, 422, 5);
      broken = false;
      expect(await recorder.flush()).toBe(1);
      expect(recorder.pendingRows).toBe(0);
      expect(hours(await rowsOf(platform, A.id))[0]).toEqual({ hour: '2020-01-01T10:00:00.000Z', requests: 4, client_errors: 1, server_errors: 1, duration_ms: 35 });
    });

    it('answers in the admin API: totals per tenant, hourly rows, one tenant by slug or id', async () => {
      const window = 'since=2020-01-01T00:00:00Z&until=2020-01-02';
      const totals = await platform.platform({ method: 'GET', url: `/platform/usage?${window}` });
      expect(totals.statusCode).toBe(200);
      expect(totals.json()).toEqual({
        by: 'tenant',
        since: '2020-01-01T00:00:00.000Z',
        until: '2020-01-02T00:00:00.000Z',
        items: [
          { tenantId: A.id, slug: A.slug, hours: 2, requests: 5, clientErrors: 2, serverErrors: 1, durationMs: 36.5, queuedMs: 6.5, avgDurationMs: 7.3 },
          { tenantId: B.id, slug: B.slug, hours: 1, requests: 1, clientErrors: 0, serverErrors: 0, durationMs: 3, queuedMs: 0, avgDurationMs: 3 },
        ],
      });
      const hourly = await platform.platform({ method: 'GET', url: `/platform/usage?${window}&by=hour&tenant=${A.slug}` });
      expect(hourly.json().items.map((r: { hour: string; requests: number }) => [r.hour, r.requests])).toEqual([
        ['2020-01-01T10:00:00.000Z', 4],
        ['2020-01-01T11:00:00.000Z', 1],
      ]);
      // A window from 10:30 still shows the hour that started at 10:00; one ending at 11:00 leaves 11:00 out.
      const partial = await platform.platform({ method: 'GET', url: `/platform/tenants/${A.id}/usage?since=2020-01-01T10:30:00Z&until=2020-01-01T11:00:00Z` });
      expect(partial.json()).toMatchObject({ tenantId: A.id, slug: A.slug, items: [{ hour: '2020-01-01T10:00:00.000Z', requests: 4 }] });
      const bySlug = await platform.platform({ method: 'GET', url: `/platform/tenants/${A.slug}/usage?${window}` });
      expect(bySlug.json().items).toEqual(hourly.json().items);
      // The default window is the last 24 hours, which holds this test's live requests but not 2020.
      const recent = await platform.platform({ method: 'GET', url: `/platform/tenants/${A.slug}/usage` });
      expect(recent.statusCode).toBe(200);
      expect(recent.json().items.length).toBeGreaterThanOrEqual(1);
      expect(recent.json().items.every((r: { hour: string }) => r.hour > '2021')).toBe(true);
    });

    it('refuses bad input with problem+json', async () => {
      const bad = [
        '/platform/usage?since=yesterday',
        '/platform/usage?by=week',
        '/platform/usage?limit=0',
        '/platform/usage?since=2020-02-30',
        '/platform/usage?since=2020-01-02&until=2020-01-01',
        '/platform/tenants/x/usage?until=soon',
      ];
      for (const url of bad) {
        const res = await platform.platform({ method: 'GET', url });
        expect(res.statusCode, url).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      const unknown = await platform.platform({ method: 'GET', url: `/platform/tenants/no-such-studio/usage` });
      expect(unknown.statusCode).toBe(404);
      expect((await platform.platform({ method: 'GET', url: `/platform/usage?tenant=${randomUUID()}` })).statusCode).toBe(404);
      const anonymous = await platform.app.inject({ method: 'GET', url: '/platform/usage' });
      expect(anonymous.statusCode).toBe(401);
    });

    it('answers from the CLI the same as the API', async () => {
      const cli = (args: string[]) =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'usage', ...args], {
          cwd: root,
          env: { ...process.env, ...TEST_ENV, ...platform.databaseEnv },
        });
      const window = ['--since', '2020-01-01', '--until', '2020-01-02T00:00:00Z'];
      const json = JSON.parse((await cli([...window, '--tenant', A.slug, '--by', 'hour', '--json'])).stdout);
      const api = await platform.platform({ method: 'GET', url: `/platform/usage?since=2020-01-01&until=2020-01-02T00:00:00Z&tenant=${A.slug}&by=hour` });
      expect(json).toEqual(api.json());
      const table = (await cli(window)).stdout;
      expect(table).toMatch(new RegExp(`${A.slug}\\s.*\\s5\\s+2\\s+1\\s`));
      expect(table).toContain(B.slug);
      await expect(cli(['--since', 'last week'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('since') });
    });
  });
});

describe('usage at shutdown', () => {
  it('closing the app flushes what is still in memory, including a request in flight when the close began', async () => {
    const platform = await startTestPlatform({ ...ENV, HOST: '127.0.0.1' });
    const tenant = await platform.createTenant();
    // Its own client: the platform's admin clients end with it.
    const admin = new pg.Client({ connectionString: platform.adminUrl });
    await admin.connect();
    await platform.call(tenant, { method: 'GET', url: '/api/members', token: tenant.ownerToken });
    await platform.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (platform.app.server.address() as { port: number }).port;
    // The close starts as soon as the server has the request, before it has been answered.
    const closing = new Promise<Promise<void>>((resolve) => platform.app.server.once('request', () => resolve(platform.close())));
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/api/members', agent: false, headers: { host: tenant.host, authorization: `Bearer ${tenant.ownerToken}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    await (await closing);
    const { rows } = await admin.query(`select sum(requests)::int as requests from platform.tenant_usage where tenant_id = $1`, [tenant.id]);
    // The owner's sign-in, the request before, and the one in flight.
    expect(rows[0].requests).toBe(3);
    await admin.end();
  });
});
