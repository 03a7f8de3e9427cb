import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { createLogger } from '../runtime.js';
import { Analytics } from './analytics.service.js';
import { BeaconCollector, collectorFor, type PageView } from './collector.js';
import { LocalStore, type ObjectStore } from './storage.js';
import { VisitorSalts } from './visitor.js';

const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const MAX = 200;

let platform: TestPlatform;
let A: TestTenant;
let B: TestTenant;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'studiohive-beacon-'));
  // Flushes happen only when a test asks, so what is in memory is known.
  platform = await startTestPlatform({ ANALYTICS_DIR: dir, BEACON_BUFFER_MAX: String(MAX), BEACON_FLUSH_MS: '3600000', BEACON_FLUSH_EVENTS: '100000' });
  A = await platform.createTenant();
  B = await platform.createTenant();
});

afterAll(async () => {
  platform.runtime.clock.set(null);
  await platform.close();
  await rm(dir, { recursive: true, force: true });
});

const beacon = (tenant: TestTenant, payload: unknown, userAgent: string | null = BROWSER, remoteAddress = '203.0.113.7') =>
  platform.call(tenant, {
    method: 'POST',
    url: '/api/beacon',
    remoteAddress,
    headers: { 'content-type': 'application/json', ...(userAgent === null ? {} : { 'user-agent': userAgent }) },
    payload: JSON.stringify(payload),
  });

const metric = async (name: string, labels: Record<string, string> = {}) => {
  const found = await platform.runtime.metrics.registry.getSingleMetric(name)!.get();
  return found.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
};

async function readPartition(store: LocalStore, prefix: string) {
  const files = await store.list(prefix);
  const lines = [];
  for (const f of files) lines.push(...gunzipSync(await readFile(store.localPath(f.key))).toString().trim().split('\n').map((l) => JSON.parse(l)));
  return { files, lines };
}

describe('the page-view beacon', () => {
  it('takes views for the studio of the address, answers 204 at once, and writes them per day and tenant as gzipped NDJSON', async () => {
    platform.runtime.clock.set(new Date('2026-03-01T10:00:00Z'));
    const collector = collectorFor(platform.runtime);
    const memberId = '0b6d3c9e-7f1a-4c2b-9d8e-1a2b3c4d5e6f';
    const sent = [
      beacon(A, { path: `/members/${memberId}?token=secret#x`, referrer: '/', screen: '1280x800', language: 'ja-JP' }),
      beacon(A, { path: '/timetable', referrer: 'https://www.google.com/search?q=yoga', screen: '390x844', language: 'en' }),
      beacon(A, { path: '/', referrer: null, screen: '1280x800', language: 'ja' }, BROWSER, '198.51.100.9'),
      beacon(B, { path: '/member' }),
    ];
    for (const res of await Promise.all(sent)) {
      expect(res.statusCode, res.body).toBe(204);
      expect(res.body).toBe('');
    }
    expect(collector.waiting().length).toBe(4);
    await collector.flush();
    expect(collector.size).toBe(0);

    const store = new LocalStore(dir);
    const a = await readPartition(store, `dt=2026-03-01/tenant=${A.id}/`);
    expect(a.files.map((f) => f.key)).toEqual([expect.stringMatching(new RegExp(`^dt=2026-03-01/tenant=${A.id}/[^/]+\\.ndjson\\.gz$`))]);
    expect(a.lines.map((l) => l.path).sort()).toEqual(['/', '/members/:id', '/timetable']);
    const member = a.lines.find((l) => l.path === '/members/:id');
    expect(member).toMatchObject({ tenant_id: A.id, referrer: '/', screen: '1280x800', language: 'ja-JP', device: 'desktop', ts: '2026-03-01T10:00:00.000Z' });
    expect(a.lines.find((l) => l.path === '/timetable')).toMatchObject({ referrer: 'https://www.google.com', device: 'phone' });
    // Neither the address nor the browser is stored; the same visitor hashes alike, another one not.
    expect(JSON.stringify(a.lines)).not.toMatch(/203\.0\.113|Chrome|secret/);
    expect(Object.keys(member).sort()).toEqual(['device', 'language', 'path', 'referrer', 'screen', 'tenant_id', 'ts', 'visitor']);
    const visitors = a.lines.map((l) => l.visitor);
    expect(visitors[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(visitors).size).toBe(2);
    const b = await readPartition(store, `dt=2026-03-01/tenant=${B.id}/`);
    expect(b.lines).toMatchObject([{ path: '/member', referrer: null, screen: null, language: null, device: null }]);
    // The same browser at the same address is another visitor at another studio.
    expect(visitors).not.toContain(b.lines[0].visitor);

    // DuckDB reads the files back.
    const analytics = await Analytics.open(store, dir);
    try {
      expect(await analytics.eventCount({ since: '2026-03-01' })).toBe(4);
      expect(await analytics.eventCount({ since: '2026-03-01', tenantId: B.id })).toBe(1);
    } finally {
      await analytics.close();
    }
  });

  it('keeps one salt per day in the database and forgets the salts before yesterday', async () => {
    const db = await platform.admin();
    const salts = new VisitorSalts(platform.runtime.databases.platform, () => new Date('2026-03-05T12:00:00Z'));
    const first = await salts.saltFor('2026-03-05');
    // Another instance (another cache) gets the same salt.
    const other = new VisitorSalts(platform.runtime.databases.platform, () => new Date('2026-03-05T12:00:00Z'));
    expect((await other.saltFor('2026-03-05')).equals(first)).toBe(true);
    expect(first.length).toBe(32);
    const { rows } = await db.query(`select day::text from platform.analytics_salts where day <= '2026-03-05' order by day`);
    expect(rows.map((r) => r.day).filter((d: string) => d < '2026-03-04')).toEqual([]);
  });

  it('drops HeadlessChrome, crawlers and scripts (counted, still 204) and stores nothing of them', async () => {
    const collector = collectorFor(platform.runtime);
    const before = { bots: collector.counts.droppedBot, waiting: collector.waiting().length, metric: await metric('studiohive_beacon_events_dropped_total', { reason: 'bot' }) };
    const bots = [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
      'curl/8.5.0',
      'python-requests/2.32.3',
      null,
    ];
    for (const ua of bots) expect((await beacon(A, { path: '/plans' }, ua)).statusCode).toBe(204);
    expect(collector.counts.droppedBot - before.bots).toBe(bots.length);
    expect(collector.waiting().length).toBe(before.waiting);
    expect((await metric('studiohive_beacon_events_dropped_total', { reason: 'bot' })) - before.metric).toBe(bots.length);
  });

  it('refuses bad input with a 400 problem', async () => {
    for (const payload of [
      { path: 'members' },
      { path: `/${'x'.repeat(600)}` },
      { path: '/', screen: 'huge' },
      { path: '/', language: 'x'.repeat(50) },
      { path: '/', extra: 1 },
      {},
    ]) {
      const res = await beacon(A, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const unknown = await platform.call({ host: 'nobody.studiohive.test' }, { method: 'POST', url: '/api/beacon', payload: { path: '/' }, headers: { 'user-agent': BROWSER } });
    expect(unknown.statusCode).toBe(404);
  });

  it('under a burst beyond its bound keeps memory at the bound and counts every drop', async () => {
    const collector = collectorFor(platform.runtime);
    await collector.flush();
    const before = { ...collector.counts };
    const metricsBefore = { accepted: await metric('studiohive_beacon_events_accepted_total'), full: await metric('studiohive_beacon_events_dropped_total', { reason: 'buffer_full' }) };
    const sent = 3 * MAX;
    const answers = await Promise.all(Array.from({ length: sent }, (_, i) => beacon(A, { path: `/burst-${i % 7}` })));
    expect(answers.every((r) => r.statusCode === 204)).toBe(true);
    const accepted = collector.counts.accepted - before.accepted;
    const dropped = collector.counts.droppedFull - before.droppedFull;
    expect(accepted).toBe(MAX);
    expect(accepted + dropped).toBe(sent);
    expect(collector.size).toBe(MAX);
    expect(await metric('studiohive_beacon_buffer_events')).toBe(MAX);
    expect((await metric('studiohive_beacon_events_accepted_total')) - metricsBefore.accepted).toBe(accepted);
    expect((await metric('studiohive_beacon_events_dropped_total', { reason: 'buffer_full' })) - metricsBefore.full).toBe(dropped);

    await collector.flush();
    expect(collector.size).toBe(0);
    expect(await metric('studiohive_beacon_buffer_events')).toBe(0);
    const analytics = await Analytics.open(new LocalStore(dir), dir);
    try {
      const burst = (await analytics.topPages({ since: '2026-03-01', tenantId: A.id }, 100)).filter((r) => r.page.startsWith('/burst-'));
      expect(burst.reduce((n, r) => n + r.views, 0)).toBe(MAX);
    } finally {
      await analytics.close();
    }
  });
});

describe('the collector', () => {
  /** A store whose writes fail while `failing` is set. */
  function flakyStore(inner: ObjectStore) {
    const state = { failing: true };
    const store: ObjectStore = { ...inner, list: (p) => inner.list(p), get: (k) => inner.get(k), delete: (k) => inner.delete(k), describe: () => 'flaky',
      put: async (key, body) => {
        if (state.failing) throw new Error('storage is down');
        return inner.put(key, body);
      } };
    return { store, state };
  }

  it('keeps a batch whose write failed, within the bound, takes new views meanwhile, and writes all on the next flush', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'studiohive-flaky-'));
    const { store, state } = flakyStore(new LocalStore(folder));
    const collector = new BeaconCollector(
      { maxEvents: 10, flushMs: 3_600_000, flushEvents: 1_000 },
      store,
      new VisitorSalts(platform.runtime.databases.platform, () => new Date('2026-03-01T12:00:00Z')),
      createLogger({ LOG_LEVEL: 'silent' }),
      new Registry(),
    );
    const view = (i: number): PageView => ({ at: new Date('2026-03-01T12:00:00Z'), tenantId: A.id, path: `/p${i}`, referrer: null, screen: null, language: null, ip: '192.0.2.1', userAgent: BROWSER });
    for (let i = 0; i < 6; i++) expect(collector.accept(view(i))).toBe(true);
    const flushing = collector.flush();
    // Views arriving during a flush wait for the next batch; the batch being written still counts to the bound.
    for (let i = 6; i < 12; i++) collector.accept(view(i));
    expect(collector.counts).toMatchObject({ accepted: 10, droppedFull: 2 });
    await flushing;
    expect(collector.size).toBe(10);
    expect(await store.list('')).toEqual([]);
    state.failing = false;
    await collector.close();
    expect(collector.size).toBe(0);
    expect(collector.counts.flushed).toBe(10);
    const analytics = await Analytics.open(new LocalStore(folder), folder);
    try {
      expect(await analytics.eventCount({})).toBe(10);
    } finally {
      await analytics.close();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
