import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { billingDeps, runBilling } from './billing-run.js';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, payload?: object) =>
  platform.call(tenant, { method, url, payload, token: tenant.ownerToken, headers: { 'idempotency-key': randomUUID() } });
async function ok(res: Awaited<ReturnType<typeof call>>, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}
const run = (date: string) => {
  platform.runtime.clock.set(new Date(`${date}T12:00:00+09:00`));
  return runBilling(billingDeps(platform.runtime), tenant.id, platform.runtime.clock.now());
};

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
});
afterAll(() => platform.close());

describe('the monthly run', () => {
  it('invoices each account once per month, with tax rounded once per rate, and charges the saved card once', async () => {
    platform.runtime.clock.set(new Date('2026-11-01T12:00:00+09:00'));
    const plan = await ok(await call('POST', '/api/plans', { kind: 'monthly', name: 'Monthly', terms: { price: 105, priceIncludesTax: false, taxCategory: 'standard_10' } }), 201);
    const option = await ok(await call('POST', '/api/plans', { kind: 'option', name: 'Locker', terms: { price: 105, priceIncludesTax: false, taxCategory: 'standard_10' } }), 201);
    const towel = await ok(await call('POST', '/api/plans', { kind: 'option', name: 'Towel', terms: { price: 105, priceIncludesTax: false, taxCategory: 'standard_10' } }), 201);
    const m = await ok(await call('POST', '/api/members', { familyName: '佐藤', givenName: '花子', email: `h-${randomUUID().slice(0, 6)}@example.com` }), 201);
    await ok(await call('POST', '/api/contracts', { memberId: m.id, planId: plan.id, startDate: '2026-12-01', optionPlanIds: [option.id, towel.id] }), 201);
    await admin.query(`insert into app.payment_methods (tenant_id, member_id, gateway, token, last4) values ($1, $2, 'test', 'tok_test_4242424242424242', '4242')`, [tenant.id, m.id]);
    const first = await run('2026-11-11');
    expect(first).toMatchObject({ period: '2026-12', invoicesCreated: 1 });
    const again = await run('2026-11-11');
    expect(again?.invoicesCreated).toBe(0);
    const invoices = (await admin.query(`select * from app.invoices where tenant_id = $1 and billing_member_id = $2 order by period`, [tenant.id, m.id])).rows;
    // Three lines of ¥105 before tax at 10%, floor: the tax is rounded once for the rate, ¥31 (not 3 × ¥10).
    expect(invoices).toHaveLength(1);
    expect(Number(invoices[0].total)).toBe(315 + 31);
    expect(Number(invoices[0].tax_total)).toBe(31);
    expect(invoices[0].status).toBe('paid');
    const charges = (await admin.query(`select count(*)::int as n from app.test_gateway_operations where tenant_id = $1 and outcome = 'succeeded'`, [tenant.id])).rows[0].n;
    expect(charges).toBe(1);
    const ledger = (await admin.query(`select kind, sum(amount)::int as s from app.billing_ledger where tenant_id = $1 group by kind order by kind`, [tenant.id])).rows;
    expect(ledger).toEqual([{ kind: 'charge', s: 346 }, { kind: 'payment', s: -346 }]);
  });
});
