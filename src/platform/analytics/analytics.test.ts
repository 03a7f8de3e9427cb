import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_ENV } from '../../../test/support/env.js';
import { startFakeS3, type FakeS3 } from '../../../test/support/fake-s3.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { Analytics, COMPACTED } from './analytics.service.js';
import { collectorFor } from './collector.js';
import { PAGES } from './page-catalog.js';
import { LocalStore, S3Store } from './storage.js';

const BROWSER = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const root = path.resolve(import.meta.dirname, '../../..');

let platform: TestPlatform;
let A: TestTenant;
let B: TestTenant;
let dir: string;
let store: LocalStore;

/** Views of one day, as the app would send them; each visitor is an address. */
async function day(at: string, views: Array<[TestTenant, string, string]>) {
  platform.runtime.clock.set(new Date(at));
  for (const [tenant, page, visitor] of views) {
    const res = await platform.call(tenant, {
      method: 'POST', url: '/api/beacon', remoteAddress: visitor,
      headers: { 'content-type': 'application/json', 'user-agent': BROWSER }, payload: { path: page },
    });
    expect(res.statusCode).toBe(204);
    // Several flushes a day, as on a real server: several small files per partition.
    if (page === '/timetable') await collectorFor(platform.runtime).flush();
  }
  await collectorFor(platform.runtime).flush();
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-analytics-'));
  store = new LocalStore(dir);
  platform = await startTestPlatform({ ANALYTICS_DIR: dir, BEACON_FLUSH_MS: '3600000' });
  A = await platform.createTenant();
  B = await platform.createTenant();
  await day('2026-02-10T09:00:00Z', [
    [A, '/', '10.0.0.1'], [A, '/', '10.0.0.1'], [A, '/', '10.0.0.1'],
    [A, '/timetable', '10.0.0.1'], [A, '/timetable', '10.0.0.2'], [A, '/members/:id', '10.0.0.2'],
  ]);
  await day('2026-02-11T23:59:00Z', [[A, '/', '10.0.0.3'], [B, '/member', '10.0.0.1'], [B, '/member', '10.0.0.1'], [B, '/member/bookings', '10.0.0.1']]);
  platform.runtime.clock.set(null);
});

afterAll(async () => {
  await platform.close();
  await rm(dir, { recursive: true, force: true });
});

async function withAnalytics<T>(fn: (a: Analytics) => Promise<T>, on = store as LocalStore | S3Store, cache = dir): Promise<T> {
  const analytics = await Analytics.open(on, cache);
  try {
    return await fn(analytics);
  } finally {
    await analytics.close();
  }
}

const everything = { since: '2026-02-10' };
const expectedTop = () => [
  { tenant_id: A.id, page: '/', views: 4, visitors: 2 },
  { tenant_id: A.id, page: '/timetable', views: 2, visitors: 2 },
  { tenant_id: B.id, page: '/member', views: 2, visitors: 1 },
  { tenant_id: B.id, page: '/member/bookings', views: 1, visitors: 1 },
].sort((x, y) => x.tenant_id.localeCompare(y.tenant_id));

describe('analytics across tenants (DuckDB over the files)', () => {
  it('answers top pages, daily visitors and unused pages, filtered by --since and --tenant', async () => {
    await withAnalytics(async (a) => {
      expect(await a.topPages(everything, 2)).toEqual(expectedTop());
      expect(await a.topPages({ ...everything, tenantId: B.id }, 10)).toEqual([
        { tenant_id: B.id, page: '/member', views: 2, visitors: 1 },
        { tenant_id: B.id, page: '/member/bookings', views: 1, visitors: 1 },
      ]);
      expect(await a.topPages({ since: '2026-02-11', tenantId: A.id }, 10)).toEqual([{ tenant_id: A.id, page: '/', views: 1, visitors: 1 }]);

      // A visitor is counted once a day; the same address on another day (or at another studio) is another hash.
      expect(await a.visitors(everything)).toEqual(
        [
          { day: '2026-02-10', tenant_id: A.id, visitors: 2, views: 6 },
          { day: '2026-02-11', tenant_id: A.id, visitors: 1, views: 1 },
          { day: '2026-02-11', tenant_id: B.id, visitors: 1, views: 3 },
        ].sort((x, y) => x.day.localeCompare(y.day) || x.tenant_id.localeCompare(y.tenant_id)),
      );
      expect(await a.visitors({ since: '2026-02-12' })).toEqual([]);

      const used = new Set(['/', '/timetable', '/members/:id', '/member', '/member/bookings']);
      expect((await a.unusedPages(everything)).map((p) => p.page)).toEqual(PAGES.map((p) => p.path).filter((p) => !used.has(p)));
      const unusedByB = (await a.unusedPages({ ...everything, tenantId: B.id })).map((p) => p.page);
      expect(unusedByB).toContain('/timetable');
      expect(unusedByB).not.toContain('/member');
    });
  });

  it('the CLI prints them as JSON (or a table), resolving --tenant by slug', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'analytics', ...args], {
        cwd: root,
        env: { ...process.env, ...TEST_ENV, ...platform.databaseEnv, ANALYTICS_DIR: dir },
      });
    const json = JSON.parse((await run('top-pages', '--since', '2026-02-10', '--tenant', B.slug, '--json')).stdout);
    expect(json).toEqual([
      { tenant: B.slug, page: '/member', views: 2, visitors: 1, tenant_id: B.id },
      { tenant: B.slug, page: '/member/bookings', views: 1, visitors: 1, tenant_id: B.id },
    ]);
    const table = (await run('visitors', '--since', '2026-02-11', '--tenant', A.id)).stdout;
    expect(table.split('\n')[0]).toMatch(/^tenant\s+day\s+visitors\s+views\s+tenant_id$/);
    expect(table).toContain(A.slug);
    await expect(run('visitors', '--since', '2026-02-31')).rejects.toMatchObject({ code: 1 });
  });

  it('compaction leaves one Parquet file per day and tenant with the same counts, and survives being cut off midway', async () => {
    const snapshot = await mkdtemp(path.join(os.tmpdir(), 'studiohive-snapshot-'));
    try {
      await cp(dir, snapshot, { recursive: true });
      const smallsBefore = (await store.list('dt=')).filter((o) => o.key.endsWith('.ndjson.gz'));
      expect(smallsBefore.length).toBeGreaterThan(3);
      // Today's partition (2026-02-11 as "before") is not finished: only 2026-02-10 is compacted.
      const partial = await withAnalytics((a) => a.compact('2026-02-11'));
      expect(partial).toMatchObject({ partitions: 1, filesAfter: 1 });
      const result = await withAnalytics((a) => a.compact('2026-02-12'));
      expect(result.partitions).toBe(2);
      const after = await store.list('dt=');
      expect(after.map((o) => o.key).sort()).toEqual(
        [`dt=2026-02-10/tenant=${A.id}/${COMPACTED}`, `dt=2026-02-11/tenant=${A.id}/${COMPACTED}`, `dt=2026-02-11/tenant=${B.id}/${COMPACTED}`].sort(),
      );
      expect(after.length).toBeLessThan(smallsBefore.length);
      await withAnalytics(async (a) => {
        expect(await a.topPages(everything, 2)).toEqual(expectedTop());
        expect(await a.eventCount(everything)).toBe(10);
      });

      // Killed after storing the merged file but before deleting the small ones: the small files come back.
      // Queries skip what the merged file holds, and the next run only deletes them.
      for (const small of smallsBefore) await store.put(small.key, await readFile(path.join(snapshot, ...small.key.split('/'))));
      await withAnalytics(async (a) => expect(await a.eventCount(everything)).toBe(10));
      await withAnalytics((a) => a.compact('2026-02-12'));
      expect((await store.list('dt=')).length).toBe(3);

      // A late view of a compacted day (a batch that waited for a retry) is counted, and merged next time.
      await day('2026-02-10T23:59:59Z', [[A, '/plans', '10.0.0.9']]);
      await withAnalytics(async (a) => expect(await a.eventCount(everything)).toBe(11));
      await withAnalytics((a) => a.compact('2026-02-12'));
      expect((await store.list('dt=')).length).toBe(3);
      await withAnalytics(async (a) => {
        expect(await a.eventCount(everything)).toBe(11);
        expect(await a.eventCount({ since: '2026-02-11' })).toBe(4);
      });
    } finally {
      await rm(snapshot, { recursive: true, force: true });
    }
  });
});

describe('the S3 store', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await startFakeS3({ pageSize: 2 });
    // The SDK's default credential chain reads these, as it would on a server.
    process.env.AWS_ACCESS_KEY_ID = 'test-key';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
  });
  afterAll(async () => s3.close());

  const s3Store = () => new S3Store({ bucket: 'analytics-bucket', prefix: 'studiohive/', endpoint: s3.endpoint, region: 'ap-northeast-1', forcePathStyle: true });

  it('puts, lists by prefix across pages, gets and deletes objects', async () => {
    const bucket = s3Store();
    await bucket.put('dt=2026-01-01/a.ndjson.gz', Buffer.from('one'));
    await bucket.put('dt=2026-01-01/b.ndjson.gz', Buffer.from('two!'));
    await bucket.put('dt=2026-01-02/c.ndjson.gz', Buffer.from('three'));
    expect([...s3.objects.keys()]).toContain('analytics-bucket/studiohive/dt=2026-01-01/a.ndjson.gz');
    expect(await bucket.list('dt=')).toEqual([
      { key: 'dt=2026-01-01/a.ndjson.gz', size: 3 },
      { key: 'dt=2026-01-01/b.ndjson.gz', size: 4 },
      { key: 'dt=2026-01-02/c.ndjson.gz', size: 5 },
    ]);
    expect(s3.requests.filter((r) => r.startsWith('GET analytics-bucket/')).length).toBeGreaterThanOrEqual(2);
    expect((await bucket.list('dt=2026-01-01/')).map((o) => o.key)).toEqual(['dt=2026-01-01/a.ndjson.gz', 'dt=2026-01-01/b.ndjson.gz']);
    expect((await bucket.get('dt=2026-01-01/b.ndjson.gz')).toString()).toBe('two!');
    for (const o of await bucket.list('dt=')) await bucket.delete(o.key);
    expect(await bucket.list('')).toEqual([]);
    await bucket.close();
  });

  it('analytics and compaction work over S3 through a local cache of the partitions the filter keeps', async () => {
    const bucket = s3Store();
    for (const o of await store.list('dt=')) await bucket.put(o.key, await store.get(o.key));
    // New small files in the bucket next to the merged ones.
    await bucket.put(`dt=2026-02-12/tenant=${B.id}/x.ndjson.gz`, await gz(B.id));
    const cache = await mkdtemp(path.join(os.tmpdir(), 'studiohive-s3cache-'));
    try {
      await withAnalytics(async (a) => {
        expect(await a.eventCount({ since: '2026-02-10' })).toBe(12);
        expect(await a.topPages({ since: '2026-02-12' }, 5)).toEqual([{ tenant_id: B.id, page: '/member/card', views: 1, visitors: 1 }]);
      }, bucket, cache);
      const result = await withAnalytics((a) => a.compact('2026-02-13'), bucket, cache);
      expect(result.partitions).toBe(1);
      expect((await bucket.list(`dt=2026-02-12/`)).map((o) => o.key)).toEqual([`dt=2026-02-12/tenant=${B.id}/${COMPACTED}`]);
      await withAnalytics(async (a) => expect(await a.eventCount({ since: '2026-02-10' })).toBe(12), bucket, cache);
    } finally {
      await bucket.close();
      await rm(cache, { recursive: true, force: true });
    }
  });
});

async function gz(tenantId: string): Promise<Buffer> {
  const line = { ts: '2026-02-12T08:00:00.000Z', tenant_id: tenantId, path: '/member/card', referrer: null, screen: '390x844', language: 'ja', device: 'phone', visitor: 'v'.repeat(22) };
  return gzipSync(JSON.stringify(line) + '\n');
}
