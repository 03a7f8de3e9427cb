import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { dateIn } from '../../platform/calendar.js';
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
    await ok(await call('POST', '/api/contracts', { memberId: m.id, planId: plan.id, startDate: '2026-12-01', optionPlanIds: [option.id, towel.id], firstInvoice: 'next_run' }), 201);
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

  it('replays a dunning schedule by date: retries on days 1, 3 and 7, escalates, and takes the final action, whatever the clock says', async () => {
    const studio = await platform.createTenant();
    const as = (method: Method, url: string, payload?: object) =>
      platform.call(studio, { method, url, payload, token: studio.ownerToken, headers: { 'idempotency-key': randomUUID() } });
    await ok(await as('PATCH', '/api/settings/billing', { retryDays: [1, 3, 7], finalAction: 'leave', finalAfterDays: 2 }), 200);
    const plan = await ok(await as('POST', '/api/plans', { kind: 'monthly', name: 'Monthly', terms: { price: 11000, taxCategory: 'standard_10' } }), 201);
    const m = await ok(await as('POST', '/api/members', { familyName: '田中', givenName: '一郎', email: `d-${randomUUID().slice(0, 6)}@example.com` }), 201);
    const contract = await ok(await as('POST', '/api/contracts', { memberId: m.id, planId: plan.id, startDate: '2027-01-01', firstInvoice: 'next_run' }), 201);
    await ok(await as('PUT', `/api/members/${m.id}/card`, { token: '4000000000009995' }), 200);

    // The clock stays on 1 November throughout: only the date given moves the run.
    platform.runtime.clock.set(new Date('2026-11-01T12:00:00+09:00'));
    const runOn = (date: string) => runBilling(billingDeps(platform.runtime), studio.id, platform.runtime.clock.now(), { today: date });
    const invoice = async () =>
      (await admin.query(`select * from app.invoices where tenant_id = $1 and billing_member_id = $2`, [studio.id, m.id])).rows[0];
    const tokyoDate = (at: Date | null) => at && dateIn(at, 'Asia/Tokyo');

    expect(await runOn('2026-12-11')).toMatchObject({ period: '2027-01', invoicesCreated: 1, charged: { failed: 1 }, retries: 0 });
    let i = await invoice();
    expect({ issued: i.issued_on, due: i.due_on, next: tokyoDate(i.next_attempt_at) }).toEqual({ issued: '2026-12-11', due: '2027-01-01', next: '2026-12-12' });
    const retried: string[] = [];
    for (const date of ['2026-12-12', '2026-12-13', '2026-12-14', '2026-12-15', '2026-12-16', '2026-12-17', '2026-12-18']) {
      const run = await runOn(date);
      if (run!.retries > 0) retried.push(date);
    }
    // Day 1, 3 and 7 after the first failure; the last failure escalates on day 7.
    expect(retried).toEqual(['2026-12-12', '2026-12-14', '2026-12-18']);
    i = await invoice();
    expect({ attempts: i.attempt_count, next: i.next_attempt_at, escalated: tokyoDate(i.escalated_at) }).toEqual({ attempts: 4, next: null, escalated: '2026-12-18' });
    expect(await runOn('2026-12-19')).toMatchObject({ retries: 0, finalActions: 0 });
    expect(await runOn('2026-12-20')).toMatchObject({ retries: 0, finalActions: 1 });
    const leaves = await admin.query(`select to_char(from_month, 'YYYY-MM') as m from app.contract_leaves where tenant_id = $1 and contract_id = $2`, [studio.id, contract.id]);
    // Decided on the 20th, after the cut-off day: from February.
    expect(leaves.rows).toEqual([{ m: '2027-02' }]);
  });
});
