import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';

const METRICS_TOKEN = 'test-metrics-token-abcdefghijklmnop';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format into samples (enough of it for these assertions). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
};

describe('/metrics on the main port', () => {
  let platform: TestPlatform;
  let pool: TestTenant;
  let silo: TestTenant;

  beforeAll(async () => {
    platform = await startTestPlatform({ METRICS_TOKEN });
    [pool, silo] = await Promise.all([platform.createTenant(), platform.createTenant({ tier: 'silo' })]);
  });
  afterAll(() => platform?.close());

  const scrape = (token?: string) =>
    platform.app.inject({ method: 'GET', url: '/metrics', headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('refuses without a token, with a wrong one or a malformed header, and answers to the metrics or the admin token', async () => {
    for (const res of [await scrape(), await scrape('wrong-token-wrong-token-wrong'), await platform.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: METRICS_TOKEN } })]) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, code: 'unauthenticated' });
      expect(res.body).not.toContain('studiohive_http');
    }
    for (const token of [METRICS_TOKEN, platform.platformToken]) {
      const res = await scrape(token);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.body).toContain('# TYPE studiohive_http_requests_total counter');
      expect(res.body).toContain('nodejs_eventloop_lag_seconds');
      expect(res.body).toContain('process_resident_memory_bytes');
    }
  });

  it('counts requests by route pattern, method, status class and tier, with no tenant anywhere', async () => {
    const calls = [
      ...Array.from({ length: 3 }, () => platform.call(pool, { method: 'GET', url: '/api/members', token: pool.ownerToken })),
      ...Array.from({ length: 2 }, () => platform.call(pool, { method: 'GET', url: `/api/members/${randomUUID()}`, token: pool.ownerToken })),
      platform.call(silo, { method: 'GET', url: '/api/members', token: silo.ownerToken }),
      platform.call(pool, { method: 'GET', url: `/api/no-such-route-${randomUUID()}` }),
    ];
    const statuses = (await Promise.all(calls)).map((r) => r.statusCode);
    expect(statuses).toEqual([200, 200, 200, 404, 404, 200, 404]);

    const res = await scrape(METRICS_TOKEN);
    const samples = parse(res.body);
    const members = { route: '/api/members', method: 'GET', status_class: '2xx' };
    expect(valueOf(samples, 'studiohive_http_requests_total', { ...members, tier: 'pool' })).toBe(3);
    expect(valueOf(samples, 'studiohive_http_requests_total', { ...members, tier: 'silo' })).toBe(1);
    expect(valueOf(samples, 'studiohive_http_request_duration_seconds_count', { ...members, tier: 'pool' })).toBe(3);
    expect(valueOf(samples, 'studiohive_http_request_duration_seconds_bucket', { ...members, tier: 'pool', le: '+Inf' })).toBe(3);
    expect(valueOf(samples, 'studiohive_http_request_duration_seconds_sum', { ...members, tier: 'pool' })).toBeGreaterThan(0);
    // A path parameter is the pattern, not the value.
    expect(valueOf(samples, 'studiohive_http_requests_total', { route: '/api/members/:memberId', method: 'GET', status_class: '4xx', tier: 'pool' })).toBe(2);
    // An unknown URL is one fixed route value and, resolving no tenant, tier "none".
    expect(valueOf(samples, 'studiohive_http_requests_total', { route: 'unmatched', method: 'GET', status_class: '4xx', tier: 'none' })).toBe(1);
    expect(res.body).not.toContain('no-such-route');
    // The scrapes themselves, answered with and without a valid token.
    expect(valueOf(samples, 'studiohive_http_requests_total', { route: '/metrics', status_class: '4xx', tier: 'none' })).toBe(3);

    for (const tenant of [pool, silo]) {
      expect(res.body).not.toContain(tenant.id);
      expect(res.body).not.toContain(tenant.slug);
    }
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    expect([...labelNames].filter((l) => /tenant/i.test(l))).toEqual([]);
  });

  it('shows database pools per pool cell, silos together, the platform pool, and the job queue by state', async () => {
    const key = `metrics-test-${randomUUID()}`;
    await platform.runtime.jobs.add('metrics_test_never_runs', {}, { runAt: new Date('2099-01-01T00:00:00Z'), jobKey: key });
    try {
      const samples = parse((await scrape(METRICS_TOKEN)).body);
      for (const p of ['pool-main', 'silo', 'platform', 'jobs']) {
        expect(valueOf(samples, 'studiohive_db_pool_connections', { pool: p })).toBeGreaterThanOrEqual(1);
        expect(valueOf(samples, 'studiohive_db_pool_max_connections', { pool: p })).toBeGreaterThanOrEqual(1);
        expect(find(samples, 'studiohive_db_pool_idle_connections', { pool: p })).toHaveLength(1);
        expect(find(samples, 'studiohive_db_pool_waiting_requests', { pool: p })).toHaveLength(1);
      }
      // One series for every silo pool, however many tenants.
      expect(new Set(find(samples, 'studiohive_db_pool_connections').map((s) => s.labels.pool))).toEqual(new Set(['pool-main', 'silo', 'platform', 'jobs']));
      expect(valueOf(samples, 'studiohive_db_silo_pools_open')).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'studiohive_jobs_queued', { state: 'scheduled' })).toBeGreaterThanOrEqual(1);
      for (const state of ['ready', 'locked', 'failed']) expect(find(samples, 'studiohive_jobs_queued', { state })).toHaveLength(1);
    } finally {
      const admin = await platform.admin();
      await admin.query(`select graphile_worker.remove_job($1)`, [key]);
    }
  });

  it('counts jobs that fail for good, by task', async () => {
    const task = `metrics_test_fails_${randomUUID().slice(0, 8)}`;
    // A worker with only this task takes no other test's jobs.
    await platform.runtime.jobs.start({ [task]: async () => { throw new Error('fails on purpose'); } });
    await platform.runtime.jobs.add(task, {}, { maxAttempts: 1 });
    let failed = 0;
    for (let i = 0; i < 200 && failed === 0; i++) {
      failed = find(parse((await scrape(METRICS_TOKEN)).body), 'studiohive_jobs_failed_total', { task }).at(0)?.value ?? 0;
      if (failed === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failed).toBe(1);
    const samples = parse((await scrape(METRICS_TOKEN)).body);
    expect(valueOf(samples, 'studiohive_job_attempt_errors_total', { task })).toBe(1);
  });
});

describe('/metrics on its own port (METRICS_PORT)', () => {
  it('serves metrics there without a token, no longer on the main port, and closes with the app', async () => {
    const platform = await startTestPlatform({ METRICS_PORT: '0', HOST: '127.0.0.1' });
    let closed = false;
    try {
      const address = platform.app.observability.metricsAddress();
      expect(address).not.toBeNull();
      const url = `http://127.0.0.1:${address!.port}`;
      await platform.app.inject({ method: 'GET', url: '/healthz' });
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(valueOf(parse(body), 'studiohive_http_requests_total', { route: '/healthz', method: 'GET', status_class: '2xx', tier: 'none' })).toBe(1);
      expect(body).toContain('studiohive_db_pool_connections');
      expect((await fetch(`${url}/other`)).status).toBe(404);

      const main = await platform.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${platform.platformToken}` } });
      expect(main.statusCode).toBe(404);
      expect(main.body).not.toContain('studiohive_http_requests_total');

      await platform.close();
      closed = true;
      await expect(fetch(`${url}/metrics`)).rejects.toThrow();
    } finally {
      if (!closed) await platform.close();
    }
  });
});
