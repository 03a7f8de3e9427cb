import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction } from './databases.js';
import type { AdmissionObserver } from './admission.js';

/** Records, per tenant, every wait the gates report, on top of the app's own observer (metrics and usage). */
function watchAdmission(platform: TestPlatform) {
  const waited = new Map<string, number>();
  const refused: string[] = [];
  const app = platform.runtime.databases.admissionObserver!;
  platform.runtime.databases.admissionObserver = {
    waited(tier, tenantId, ms) {
      waited.set(tenantId, (waited.get(tenantId) ?? 0) + 1);
      app.waited(tier, tenantId, ms);
    },
    refused(tier, tenantId, why) {
      refused.push(`${tenantId}:${why}`);
      app.refused(tier, tenantId, why);
    },
  } satisfies AdmissionObserver;
  return { waited, refused };
}

const members = (platform: TestPlatform, tenant: TestTenant, headers: Record<string, string> = {}) =>
  platform.call(tenant, { method: 'GET', url: '/api/members?limit=25', token: tenant.ownerToken, headers });

describe('fair admission under a flood (real PostgreSQL, one pool cell of 4 connections)', () => {
  let platform: TestPlatform;
  let admin: pg.Client;
  beforeAll(async () => {
    platform = await startTestPlatform({ DB_POOL_MAX: '4', ADMISSION_TENANT_SHARE: '0.5', ADMISSION_WAIT_MS: '20000' });
    admin = await platform.admin();
  });
  afterAll(() => platform?.close());

  it('serves a quiet tenant while another floods its share, and never queues it behind the flood', async () => {
    const [noisy, quiet] = [await platform.createTenant(), await platform.createTenant()];
    const seen = watchAdmission(platform);
    const flood = Array.from({ length: 150 }, () => members(platform, noisy));
    const quietAnswers: number[] = [];
    // One at a time, all while the flood is under way: each finds a free place, since the flood holds only its share.
    for (let i = 0; i < 20; i++) quietAnswers.push((await members(platform, quiet)).statusCode);
    const noisyAnswers = (await Promise.all(flood)).map((r) => r.statusCode);
    expect(noisyAnswers.every((s) => s === 200)).toBe(true);
    expect(quietAnswers.every((s) => s === 200)).toBe(true);
    expect(seen.waited.get(noisy.id) ?? 0).toBeGreaterThan(0);
    expect(seen.waited.get(quiet.id) ?? 0).toBe(0);
    expect(seen.refused).toEqual([]);

    // The time queued is counted per tenant in the usage table (the metrics have no tenant label).
    await platform.app.observability.usage.flush();
    const queued = async (tenant: TestTenant) =>
      Number((await admin.query(`select coalesce(sum(queued_ms), 0) as ms from platform.tenant_usage where tenant_id = $1`, [tenant.id])).rows[0].ms);
    expect(await queued(noisy)).toBeGreaterThan(0);
    expect(await queued(quiet)).toBe(0);
  });
});

describe('fair admission refusals', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform({ DB_POOL_MAX: '4', ADMISSION_TENANT_SHARE: '0.5', ADMISSION_QUEUE_MAX: '1', ADMISSION_WAIT_MS: '300' });
  });
  afterAll(() => platform?.close());

  it('answers 503 problem+json with Retry-After in the reader\'s language when a queue is full or its wait runs out, and only to that tenant', async () => {
    const [noisy, quiet] = [await platform.createTenant(), await platform.createTenant()];
    const seen = watchAdmission(platform);
    const tenant = (await platform.runtime.directory.byId(noisy.id))!;
    const db = await platform.runtime.directory.dbFor(tenant);
    // The noisy tenant's two places are taken by transactions that stay open until the test lets them go.
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    const holders = [0, 1].map(() => inTenantTransaction(db, noisy.id, () => gate));

    const waiting = members(platform, noisy, { 'accept-language': 'en' });
    const full = await members(platform, noisy, { 'accept-language': 'ja' });
    expect(full.statusCode).toBe(503);
    expect(full.headers['content-type']).toContain('application/problem+json');
    expect(full.headers['retry-after']).toBe('1');
    expect(full.json()).toMatchObject({ status: 503, code: 'unavailable', reason: 'busy' });
    expect(full.json().detail).toContain('アクセスが集中');

    expect((await members(platform, quiet)).statusCode).toBe(200);

    const timedOut = await waiting;
    expect(timedOut.statusCode).toBe(503);
    expect(timedOut.headers['retry-after']).toBe('1');
    expect(timedOut.json().detail).toContain('very busy');
    expect(seen.refused).toEqual([`${noisy.id}:queue_full`, `${noisy.id}:deadline`]);

    letGo();
    await Promise.all(holders);
    expect((await members(platform, noisy)).statusCode).toBe(200);

    const metrics = (await platform.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${platform.platformToken}` } })).body;
    expect(metrics).toMatch(/studiohive_admission_refused_total\{tier="pool",reason="queue_full"\} 1\b/);
    expect(metrics).toMatch(/studiohive_admission_refused_total\{tier="pool",reason="deadline"\} 1\b/);
    expect(metrics).toMatch(/studiohive_admission_queued_requests\{tier="pool"\} 0\b/);
  });
});
