import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { inTenantTransaction, type Tx } from '../../platform/db/databases.js';
import { SYSTEM } from '../../platform/tenancy/actor.js';
import { runMembershipDay } from '../contracts/membership-run.js';
import { creditsRepo } from './credits.repo.js';
import { creditsService } from './credits.service.js';

let platform: TestPlatform;
let tenant: TestTenant;

const inTenant = async <T>(fn: (db: Tx) => Promise<T>) => {
  const record = (await platform.runtime.directory.byId(tenant.id))!;
  return inTenantTransaction(await platform.runtime.directory.dbFor(record), tenant.id, fn);
};
const post = async (url: string, payload: object, status = 201) => {
  const res = await platform.call(tenant, { method: 'POST', url, payload, token: tenant.ownerToken, headers: { 'idempotency-key': randomUUID() } });
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
};
const at = (date: string) => platform.runtime.clock.set(new Date(`${date}T12:00:00+09:00`));
const day = (date: string) => {
  at(date);
  return runMembershipDay(platform.runtime.directory, tenant.id, platform.runtime.clock.now());
};
const available = async (memberId: string, today: string) => (await inTenant((db) => creditsService.balance(db, memberId, today))).available;

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
});
afterAll(() => platform.close());

describe('the credits ledger', () => {
  it('spends each credit once under concurrent bookings, and refunds a booking once', async () => {
    at('2026-11-02');
    const pack = await post('/api/plans', { kind: 'pack', name: '3 lessons', terms: { price: 6600, taxCategory: 'standard_10', packCredits: 3, packValidityDays: 30 } });
    const m = await post('/api/members', { familyName: '山本' });
    await post('/api/contracts', { memberId: m.id, planId: pack.id });
    const bookings = Array.from({ length: 12 }, () => randomUUID());
    const results = await Promise.allSettled(
      // Each takes the member lock first, as a booking does.
      bookings.map((ref) => inTenant(async (db) => { await creditsRepo.lockMember(db, m.id); return creditsService.consumeOne(db, m.id, { referenceId: ref, today: '2026-11-02', actor: SYSTEM, reason: 'Booked' }); })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason.message).toMatch(/Not enough credits: 0 left/);
    expect(await available(m.id, '2026-11-02')).toBe(0);

    const spent = bookings.filter((_, i) => results[i]!.status === 'fulfilled');
    await Promise.all([spent[0]!, spent[0]!].map((ref) => inTenant((db) => creditsService.refund(db, m.id, ref, { actor: SYSTEM, reason: 'Cancelled' })).catch(() => null)));
    expect(await available(m.id, '2026-11-02')).toBe(1);
    // Past the pack's validity, what is left expires, recorded as a row.
    await day('2026-12-02');
    expect(await available(m.id, '2026-12-02')).toBe(0);
    const overview = (await platform.call(tenant, { method: 'GET', url: `/api/members/${m.id}/credits`, token: tenant.ownerToken })).json();
    expect(overview.ledger.map((r: { kind: string; amount: number }) => `${r.kind}:${r.amount}`)).toEqual(['expire:-1', 'refund:1', 'consume:-1', 'consume:-1', 'consume:-1', 'grant:3']);
  });

  it('carries unused monthly credits into the next month up to the cap, and grants each month once', async () => {
    await day('2026-11-03');
    const plan = await post('/api/plans', { kind: 'monthly', name: 'Carry 4', terms: { price: 8800, taxCategory: 'standard_10', creditGrant: 'monthly_carryover', creditsPerGrant: 4, carryoverCap: 2 } });
    const m = await post('/api/members', { familyName: '中村' });
    await post('/api/contracts', { memberId: m.id, planId: plan.id, startDate: '2026-11-03' });
    expect(await available(m.id, '2026-11-03')).toBe(4);
    await inTenant(async (db) => { await creditsRepo.lockMember(db, m.id); return creditsService.consumeOne(db, m.id, { referenceId: randomUUID(), today: '2026-11-03', actor: SYSTEM, reason: 'Booked' }); });
    // Three unused in November: two carry over (the cap), plus December's four.
    await day('2026-12-01');
    await day('2026-12-01');
    expect(await available(m.id, '2026-12-01')).toBe(6);
    // Spent soonest-expiring first; all of December's expire with it, so January starts with its four and
    // carries at most two again.
    await day('2027-01-01');
    expect(await available(m.id, '2027-01-01')).toBe(6);
  });

  it('refuses a negative adjustment beyond the balance, and changes nothing', async () => {
    const m = await post('/api/members', { familyName: '小林' });
    const res = await platform.call(tenant, { method: 'POST', url: `/api/members/${m.id}/credits/adjustments`, payload: { amount: -1, reason: 'typo' }, token: tenant.ownerToken, headers: { 'idempotency-key': randomUUID() } });
    expect(res.statusCode).toBe(422);
    expect(res.json().creditsAvailable).toBe(0);
    await post(`/api/members/${m.id}/credits/adjustments`, { amount: 2, reason: 'Goodwill', expiresOn: '2027-03-31' });
    await post(`/api/members/${m.id}/credits/adjustments`, { amount: -1, reason: 'Correction' });
    expect(await available(m.id, '2027-01-01')).toBe(1);
  });
});

describe('the ledger list', () => {
  it('pages through rows written in the same millisecond without skipping any, and refuses a made-up cursor', async () => {
    at('2026-11-10');
    const m = await post('/api/members', { familyName: '加藤' });
    for (let i = 0; i < 3; i += 1) await post(`/api/members/${m.id}/credits/adjustments`, { amount: 2, reason: `Lot ${i}` });
    // One draw of 5 over three lots writes three rows in one statement.
    await post(`/api/members/${m.id}/credits/adjustments`, { amount: -5, reason: 'Correction' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await platform.call(tenant, { method: 'GET', url: `/api/members/${m.id}/credits`, query: { limit: '2', ...(cursor ? { before: cursor } : {}) }, token: tenant.ownerToken });
      expect(res.statusCode, res.body).toBe(200);
      seen.push(...res.json().ledger.map((r: { id: string }) => r.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    const bad = await platform.call(tenant, { method: 'GET', url: `/api/members/${m.id}/credits`, query: { before: 'bm9wZQ' }, token: tenant.ownerToken });
    expect(bad.statusCode).toBe(400);
  });
});
