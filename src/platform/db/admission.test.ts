import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { FairGate, type AdmissionObserver, type AdmissionSettings, type Refusal } from './admission.js';

function gate(capacity: number, settings: Partial<AdmissionSettings> = {}, tier: 'pool' | 'silo' = 'pool') {
  const seen = { waited: [] as string[], refused: [] as Array<[string, Refusal]> };
  const observer: AdmissionObserver = {
    waited: (_tier, tenantId) => seen.waited.push(tenantId),
    refused: (_tier, tenantId, why) => seen.refused.push([tenantId, why]),
  };
  const g = new FairGate(tier, capacity, { tenantShare: 0.5, queueMax: 100, waitMs: 5_000, ...settings }, () => observer);
  return { g, seen };
}

/** Acquires and records the order in which turns are granted. */
function queue(g: FairGate, order: string[], tenantId: string, label: string) {
  return g.acquire(tenantId).then((release) => {
    order.push(label);
    return release;
  });
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('fair admission to a pool', () => {
  it('holds a tenant to its share of a pool cell while another tenant takes a free connection at once', async () => {
    const { g, seen } = gate(4);
    expect(g.perTenant).toBe(2);
    const order: string[] = [];
    const a1 = await g.acquire('a');
    await g.acquire('a');
    const a3 = queue(g, order, 'a', 'a3');
    await settle();
    expect(order).toEqual([]);
    // Two connections are free: the other tenant is not behind a's queue.
    await g.acquire('b');
    expect(g.stats()).toMatchObject({ inUse: 3, queued: 1 });
    expect(seen.waited).toEqual([]);
    a1();
    await a3;
    expect(order).toEqual(['a3']);
    expect(seen.waited).toEqual(['a']);
  });

  it('hands freed connections round robin over the waiting tenants, each in arrival order', async () => {
    const { g } = gate(3, { tenantShare: 1 });
    const held = [await g.acquire('a'), await g.acquire('a'), await g.acquire('a')];
    const order: string[] = [];
    const waiting = [queue(g, order, 'a', 'a1'), queue(g, order, 'a', 'a2'), queue(g, order, 'a', 'a3'), queue(g, order, 'b', 'b1'), queue(g, order, 'b', 'b2'), queue(g, order, 'c', 'c1')];
    for (const release of held) release();
    const granted = await Promise.all([waiting[0]!, waiting[3]!, waiting[5]!]);
    await settle();
    expect(order).toEqual(['a1', 'b1', 'c1']);
    for (const release of granted) release();
    await Promise.all(waiting);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('skips a tenant at its share and serves the next one', async () => {
    const { g } = gate(4);
    const a = [await g.acquire('a'), await g.acquire('a')];
    const b1 = await g.acquire('b');
    const b2 = await g.acquire('b');
    const order: string[] = [];
    const a3 = queue(g, order, 'a', 'a3');
    const b3 = queue(g, order, 'b', 'b3');
    b1();
    await b3;
    expect(order).toEqual(['b3']);
    a[0]!();
    await a3;
    expect(order).toEqual(['b3', 'a3']);
    b2();
  });

  it('refuses at once with 503 and Retry-After when the tenant\'s queue is full, and only that tenant', async () => {
    const { g, seen } = gate(2, { queueMax: 1 });
    await g.acquire('a');
    const waiting = g.acquire('a');
    const refused = await g.acquire('a').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 503, code: 'unavailable', extra: { retryAfterSeconds: 1, reason: 'busy' } });
    expect(seen.refused).toEqual([['a', 'queue_full']]);
    expect(await g.acquire('b')).toBeTypeOf('function');
    void waiting.catch(() => undefined);
  });

  it('refuses a wait past its deadline and never grants it afterwards', async () => {
    vi.useFakeTimers();
    const { g, seen } = gate(2, { waitMs: 200 });
    const held = await g.acquire('a');
    const late = g.acquire('a').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(200);
    expect(await late).toMatchObject({ status: 503, extra: { retryAfterSeconds: 1 } });
    expect(seen.refused).toEqual([['a', 'deadline']]);
    expect(g.stats()).toMatchObject({ inUse: 1, queued: 0 });
    held();
    expect(g.stats()).toMatchObject({ inUse: 0, queued: 0 });
    expect(seen.waited).toEqual([]);
  });

  it('gives a silo\'s one tenant the whole pool, and a release counts once', async () => {
    const { g } = gate(3, {}, 'silo');
    expect(g.perTenant).toBe(3);
    const releases = [await g.acquire('a'), await g.acquire('a'), await g.acquire('a')];
    releases[0]!();
    releases[0]!();
    expect(g.stats().inUse).toBe(2);
  });

  it('refuses its waiters when its pool closes (an evicted silo pool), so none is given a dead pool', async () => {
    const { g } = gate(1, {}, 'silo');
    const held = await g.acquire('a');
    const waiting = g.acquire('a').catch((error: unknown) => error);
    g.close();
    expect(await waiting).toMatchObject({ status: 503, extra: { retryAfterSeconds: 1 } });
    held();
    expect(g.stats()).toMatchObject({ inUse: 0, queued: 0 });
  });
});
