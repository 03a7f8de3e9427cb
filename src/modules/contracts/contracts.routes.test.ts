import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { fingerprint } from '../../../test/support/cross-tenant.js';
import { expectRefused } from '../../../test/support/refused.js';
import { inTenantTransaction } from '../../platform/db/databases.js';
import { runMembershipDay } from './membership-run.js';

let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, payload?: object, headers: Record<string, string> = {}) =>
  platform.call(tenant, { method, url, payload, token: tenant.ownerToken, headers });
const write = (method: Method, url: string, payload?: object, key = randomUUID(), headers: Record<string, string> = {}) =>
  call(method, url, payload, { 'idempotency-key': key, ...headers });
/** Answers come in the studio's language (Japanese); these ask for English, for the platform's own words. */
const english = { 'accept-language': 'en' };

async function ok(res: Awaited<ReturnType<typeof call>>, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return res.json();
}

/** Sends a bad request and proves it is refused as problem+json and changes none of the tenant's rows. */
const refused = (res: Promise<Awaited<ReturnType<typeof call>>>, status: number, detail?: RegExp) => expectRefused(admin, tenant.id, res, status, { detail });

/** Moves the app's clock to noon, Tokyo time, of a day, and runs that day's membership job as the worker would. */
async function day(date: string) {
  platform.runtime.clock.set(new Date(`${date}T12:00:00+09:00`));
  return runMembershipDay(platform.runtime.directory, tenant.id, platform.runtime.clock.now());
}

const status = async (memberId: string) => (await ok(await call('GET', `/api/members/${memberId}/status`), 200)) as {
  status: string;
  events: Array<{ from: string | null; to: string; effectiveOn: string; effects: Record<string, unknown> }>;
  scheduled: Array<{ to: string; effectiveOn: string }>;
};
const credits = async (memberId: string) => ok(await call('GET', `/api/members/${memberId}/credits`), 200);

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant();
  admin = await platform.admin();
});
afterAll(() => platform.close());

describe('a membership from sale to cancellation', () => {
  let plan: { id: string };
  let member: { id: string };
  let contract: { id: string };
  let memberToken: string;
  /** What the member does from their phone, with their own session. */
  const asMember = (method: Method, url: string, payload?: object) =>
    platform.call(tenant, { method, url, payload, token: memberToken, headers: { 'idempotency-key': randomUUID() } });

  it('lets a new member sign up on their phone and confirm from the mailed link; bad sign-ups change nothing', async () => {
    await day('2026-11-18');
    const email = `hanako-${randomUUID().slice(0, 8)}@example.com`;
    const signUp = { email, password: 'a long member password', familyName: '佐藤', givenName: '花子', familyNameKana: 'さとう', acceptedTermsVersion: '2026-04' };
    const anonymous = (url: string, payload: object) => platform.call(tenant, { method: 'POST', url, payload });
    await refused(anonymous('/api/member-auth/sign-up', { ...signUp, password: 'short' }), 400);
    await refused(anonymous('/api/member-auth/sign-up', { ...signUp, acceptedTermsVersion: undefined }), 400);
    await refused(anonymous('/api/member-auth/sign-up', { ...signUp, email: 'someone@mailinator.com' }), 422);
    expect((await anonymous('/api/member-auth/sign-up', signUp)).statusCode).toBe(202);
    const mail = (await admin.query(`select body from app.outbox where tenant_id = $1 and to_address = $2`, [tenant.id, email])).rows[0];
    const token = decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(mail.body)![1]!);
    await refused(anonymous('/api/member-auth/confirm', { token: `${token}x` }), 422);
    const confirmed = await ok(await anonymous('/api/member-auth/confirm', { token }), 200);
    const me = await ok(await platform.call(tenant, { method: 'GET', url: '/api/me', token: confirmed.token }), 200);
    expect(me).toMatchObject({ familyName: '佐藤', familyNameKana: 'サトウ', status: 'provisional', termsVersion: '2026-04' });
    member = { id: me.id };
    memberToken = confirmed.token;
  });

  it('sells a monthly plan mid-month: the preview shows the pro-rated first month, and writes nothing', async () => {
    plan = await ok(await call('POST', '/api/plans', { kind: 'monthly', name: 'Monthly 4', terms: { price: 8800, taxCategory: 'standard_10', enrollmentFee: 5500, leaveFee: 1100, creditGrant: 'monthly', creditsPerGrant: 4 } }), 201);

    const before = await fingerprint(admin, tenant.id);
    const preview = await ok(await call('POST', '/api/contracts/preview', { memberId: member.id, planId: plan.id, startDate: '2026-11-18' }), 200);
    expect(await fingerprint(admin, tenant.id)).toBe(before);
    // 18–30 November is 13 of 30 days: 8800 × 13 / 30 = 3813 (rounded down). November and December are past
    // their invoice day (the 11th of the month before), so both are charged today; January on 11 December.
    expect(preview.charges.map((c: any) => [c.period, c.chargedOn, c.lines.map((l: any) => `${l.code}:${l.amount}`), c.total, c.tax])).toEqual([
      ['2026-11', '2026-11-18', ['enrollment_fee:5500', 'first_month_fee:3813'], 9313, 846],
      ['2026-12', '2026-11-18', ['monthly_fee:8800'], 8800, 800],
      ['2027-01', '2026-12-11', ['monthly_fee:8800'], 8800, 800],
    ]);
  });

  it('refuses bad sales with problem+json and changes nothing', async () => {
    await refused(call('POST', '/api/contracts', { memberId: member.id, planId: plan.id }), 400, /Idempotency-Key/);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-02-30' }), 400);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: randomUUID() }), 404);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-10-31' }), 422, /今月より前/);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-10-31' }, randomUUID(), english), 422, /before this month/);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, surprise: 1 }), 400);
  });

  it('confirms the sale exactly once per idempotency key; the member is active with this month’s credits', async () => {
    const key = randomUUID();
    const first = await write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-11-18' }, key);
    contract = await ok(first, 201);
    const retry = await write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-11-18' }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(contract);
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id, startDate: '2026-11-19' }, key, english), 422, /different request/);
    expect((await ok(await call('GET', `/api/members/${member.id}/contracts`), 200)).items).toHaveLength(1);
    // A second monthly contract for the same member is a conflict, not a double charge.
    await refused(write('POST', '/api/contracts', { memberId: member.id, planId: plan.id }), 409);

    expect((await status(member.id)).status).toBe('active');
    expect((await credits(member.id)).available).toBe(4);
  });

  it('puts the member on leave from the first month the cut-off allows, and back on the return month', async () => {
    // The 18th is after the cut-off (the 10th): December is already fixed, January is the first free month.
    await refused(write('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: '2026-12' }), 422, /2027年1月以降/);
    await refused(write('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: '2027-03', returnMonth: '2027-01' }), 400);
    await refused(write('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: '2027-13' }), 400);

    const preview = await ok(await call('POST', `/api/contracts/${contract.id}/leaves/preview`, { fromMonth: '2027-01', returnMonth: '2027-03' }), 200);
    const byPeriod = Object.fromEntries(preview.charges.map((c: any) => [c.period, c.lines.map((l: any) => `${l.code}:${l.amount}`)]));
    expect(byPeriod).toMatchObject({ '2027-01': ['leave_fee:1100'], '2027-02': ['leave_fee:1100'], '2027-03': ['monthly_fee:8800'] });
    // Lines are in the studio's language whoever asks, as its invoices will say them: no English beside the plan's name.
    const descriptions = (p: any) => Object.fromEntries(p.charges.map((c: any) => [c.period, c.lines.map((l: any) => l.description)]));
    expect(descriptions(preview)).toMatchObject({ '2027-01': ['休会費（Monthly 4）'], '2027-03': ['Monthly 4'] });
    const inEnglish = await ok(await call('POST', `/api/contracts/${contract.id}/leaves/preview`, { fromMonth: '2027-01', returnMonth: '2027-03' }, english), 200);
    expect(descriptions(inEnglish)).toEqual(descriptions(preview));
    // The member takes the leave from their phone; the same preview and rules apply.
    expect((await ok(await asMember('GET', '/api/me/contracts'), 200)).items.map((c: any) => c.id)).toEqual([contract.id]);
    const other = await ok(await call('POST', '/api/members', { familyName: '他人' }), 201);
    const othersContract = await ok(await write('POST', '/api/contracts', { memberId: other.id, planId: plan.id }), 201);
    await refused(asMember('POST', `/api/me/contracts/${othersContract.id}/leaves`, { fromMonth: '2027-01' }), 404);
    await refused(asMember('POST', `/api/contracts/${contract.id}/leaves`, { fromMonth: '2027-01' }), 403);
    const mine = await ok(await asMember('POST', `/api/me/contracts/${contract.id}/leaves/preview`, { fromMonth: '2027-01', returnMonth: '2027-03', reason: 'Travel' }), 200);
    expect(mine.charges).toEqual(preview.charges);
    const leave = await ok(await asMember('POST', `/api/me/contracts/${contract.id}/leaves`, { fromMonth: '2027-01', returnMonth: '2027-03', reason: 'Travel' }), 201);
    expect(leave.charges).toEqual(preview.charges);
    expect((await status(member.id)).scheduled.map((c) => `${c.to}@${c.effectiveOn}`)).toEqual(['on_leave@2027-01-01', 'active@2027-03-01']);

    await day('2026-12-01');
    expect((await credits(member.id)).available).toBe(4); // November's four expired, December's four granted
    await day('2027-01-01');
    expect((await status(member.id)).status).toBe('on_leave');
    expect((await credits(member.id)).available).toBe(0); // none granted while on leave
    await day('2027-03-01');
    expect((await status(member.id)).status).toBe('active');
    expect((await credits(member.id)).available).toBe(4);
  });

  it('cancels after the cut-off: the contract ends at the end of next month, and then the credits expire', async () => {
    await day('2027-03-15');
    await refused(write('POST', `/api/contracts/${contract.id}/cancellation`, { reason: '' }), 400);
    const preview = await ok(await call('POST', `/api/contracts/${contract.id}/cancellation/preview`, { reason: 'Moving away' }), 200);
    expect(preview).toMatchObject({ status: 'ending', endDate: '2027-04-30' });
    expect(preview.charges.map((c: any) => c.period)).toEqual(['2027-03', '2027-04']);
    const cancelled = await ok(await asMember('POST', `/api/me/contracts/${contract.id}/cancellation`, { reason: 'Moving away' }), 200);
    expect(cancelled).toMatchObject({ endDate: '2027-04-30', cancelReason: 'Moving away' });
    await refused(write('POST', `/api/contracts/${contract.id}/cancellation`, { reason: 'Again' }), 409);

    await day('2027-04-30');
    expect((await status(member.id)).status).toBe('active');
    const ended = await day('2027-05-01');
    expect(ended).toMatchObject({ statusChanges: 1 });
    const history = await status(member.id);
    expect(history.status).toBe('cancelled');
    expect(history.events.map((e) => `${e.from}→${e.to}@${e.effectiveOn}`)).toEqual([
      'null→provisional@2026-11-18', // signed up
      'provisional→active@2026-11-18',
      'active→on_leave@2027-01-01',
      'on_leave→active@2027-03-01',
      'active→cancelled@2027-05-01',
    ]);
    expect(history.events.at(-1)!.effects).toEqual({ creditsExpired: 4 });
    const after = await credits(member.id);
    expect(after.available).toBe(0);
    expect(after.ledger[0]).toMatchObject({ kind: 'expire', amount: -4, reason: '退会による失効' });
    expect((await ok(await call('GET', `/api/contracts/${contract.id}`), 200)).status).toBe('ended');

    // Running the day again changes nothing.
    const fp = await fingerprint(admin, tenant.id);
    expect(await day('2027-05-01')).toMatchObject({ statusChanges: 0, creditsGranted: 0, lotsExpired: 0 });
    expect(await fingerprint(admin, tenant.id)).toBe(fp);
  });

  it('reinstates a cancelled member with a new contract', async () => {
    await day('2027-06-03');
    await ok(await write('POST', '/api/contracts', { memberId: member.id, planId: plan.id }), 201);
    const history = await status(member.id);
    expect(history.status).toBe('active');
    expect(history.events.at(-1)).toMatchObject({ from: 'cancelled', to: 'active', effectiveOn: '2027-06-03', reason: '再入会：Monthly 4' });
  });
});

describe('plan changes', () => {
  it('take effect from a chosen month, keep the contract on its version, and wait while an invoice is unpaid', async () => {
    await day('2026-11-05');
    const basic = await ok(await call('POST', '/api/plans', { kind: 'monthly', name: 'Basic', terms: { price: 5500, taxCategory: 'standard_10', priceIncludesTax: false, enrollmentFee: 1100, leaveFee: 550 } }), 201);
    const premium = await ok(await call('POST', '/api/plans', { kind: 'monthly', name: 'Premium', terms: { price: 11000, taxCategory: 'standard_10' } }), 201);
    const m = await ok(await call('POST', '/api/members', { familyName: '鈴木' }), 201);
    const c = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: basic.id, startDate: '2026-11-01', firstInvoice: 'next_run' }), 201);

    // A price edit makes version 2; the contract stays on version 1.
    const edited = await ok(await call('PATCH', `/api/plans/${basic.id}`, { terms: { price: 6600 } }), 200);
    // Only the price changed: every other term carries over to the new version.
    expect(edited).toMatchObject({ currentVersion: 2, terms: { price: 6600, priceIncludesTax: false, enrollmentFee: 1100, leaveFee: 550 } });
    expect((await ok(await call('GET', `/api/contracts/${c.id}`), 200)).charges[1].lines[0]).toMatchObject({ amount: 5500, planVersion: 1 });

    // The 5th is before the cut-off: December is the earliest month.
    const changed = await ok(await write('POST', `/api/contracts/${c.id}/plan-change`, { planId: premium.id, fromMonth: '2026-12' }), 200);
    expect(changed.charges.map((x: any) => `${x.period}:${x.lines.at(-1).amount}`)).toEqual(['2026-11:5500', '2026-12:11000', '2027-01:11000']);

    const record = (await platform.runtime.directory.byId(tenant.id))!;
    await inTenantTransaction(await platform.runtime.directory.dbFor(record), tenant.id, (db) =>
      db.insertInto('app.invoices').values({ billing_member_id: m.id, period: '2026-11-01', status: 'open', total: 5500, due_on: '2026-11-30', number: 9001, issued_on: '2026-11-01' }).execute(),
    );
    await refused(write('POST', `/api/contracts/${c.id}/plan-change`, { planId: basic.id, fromMonth: '2027-01' }), 409, /未払いの請求書が1件/);
  });

  it('are for managers and owners to price; the front desk sells but cannot edit plans', async () => {
    const desk = await ok(await call('POST', '/api/api-keys', { name: 'front desk tablet', role: 'front_desk' }), 201);
    const asDesk = (method: Method, url: string, payload?: object) => platform.call(tenant, { method, url, payload, token: desk.key, headers: { 'idempotency-key': randomUUID() } });
    const before = await fingerprint(admin, tenant.id);
    expect((await asDesk('POST', '/api/plans', { kind: 'option', name: 'Towel', terms: { price: 220, taxCategory: 'standard_10' } })).statusCode).toBe(403);
    expect((await asDesk('PATCH', '/api/settings/membership', { cutoffDay: 5 })).statusCode).toBe(403);
    expect(await fingerprint(admin, tenant.id)).toBe(before);
    const m = await ok(await asDesk('POST', '/api/members', { familyName: '高橋' }), 201);
    const plans = await ok(await asDesk('GET', '/api/plans?kind=monthly'), 200);
    expect((await asDesk('POST', '/api/contracts', { memberId: m.id, planId: plans.items[0].id })).statusCode).toBe(201);
  });
});

describe('the member history', () => {
  it('is append-only in the database, and a member’s status changes only through it', async () => {
    const m = await ok(await call('POST', '/api/members', { familyName: '田中' }), 201);
    const record = (await platform.runtime.directory.byId(tenant.id))!;
    const db = await platform.runtime.directory.dbFor(record);
    await expect(inTenantTransaction(db, tenant.id, (trx) => trx.updateTable('app.member_status_events').set({ reason: 'rewritten' }).where('member_id', '=', m.id).execute())).rejects.toThrow(/append-only/);
    await expect(inTenantTransaction(db, tenant.id, (trx) => trx.deleteFrom('app.member_status_events').where('member_id', '=', m.id).execute())).rejects.toThrow(/append-only/);
    await expect(inTenantTransaction(db, tenant.id, (trx) => trx.updateTable('app.members').set({ status: 'active' } as never).where('id', '=', m.id).execute())).rejects.toThrow(/only through its history/);
    await expect(inTenantTransaction(db, tenant.id, (trx) => trx.updateTable('app.credit_ledger').set({ amount: 100 }).execute())).rejects.toThrow(/append-only/);
  });

  it('takes hand-made changes for a future day, and they wait for it', async () => {
    await day('2026-11-20');
    const m = await ok(await call('POST', '/api/members', { familyName: '伊藤' }), 201);
    await refused(write('POST', `/api/members/${m.id}/status`, { to: 'on_leave', reason: 'x' }), 422, /「仮登録」の会員を「休会中」にすることはできません/);
    await refused(write('POST', `/api/members/${m.id}/status`, { to: 'trial', reason: 'x', effectiveOn: '2026-11-19' }), 400, /過去の日付/);
    const scheduled = await ok(await write('POST', `/api/members/${m.id}/status`, { to: 'trial', reason: 'Trial lesson', effectiveOn: '2026-11-25' }), 200);
    expect(scheduled).toMatchObject({ status: 'provisional', scheduled: [{ to: 'trial', effectiveOn: '2026-11-25' }] });
    await day('2026-11-24');
    expect((await status(m.id)).status).toBe('provisional');
    await day('2026-11-25');
    expect((await status(m.id)).status).toBe('trial');
  });
});

describe('edges found in review', () => {
  const monthly = async (name: string, terms: object = {}) =>
    ok(await call('POST', '/api/plans', { kind: 'monthly', name: `${name} ${randomUUID().slice(0, 4)}`, terms: { price: 8800, taxCategory: 'standard_10', leaveFee: 1100, ...terms } }), 201);

  it('will not revive a cancelled contract next to its successor (no double charge)', async () => {
    await day('2026-07-01');
    const p = await monthly('Successor');
    const m = await ok(await call('POST', '/api/members', { familyName: '木村' }), 201);
    const a = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: p.id, startDate: '2026-07-01' }), 201);
    await ok(await write('POST', `/api/contracts/${a.id}/cancellation`, { reason: 'Switching' }), 200);
    await day('2026-07-20');
    await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: p.id, startDate: '2026-08-01' }), 201);
    await refused(call('DELETE', `/api/contracts/${a.id}/cancellation`), 409, /二重に請求/);
  });

  it('refuses months so far ahead that they could only be mistakes, quickly', async () => {
    await day('2026-07-20');
    const p = await monthly('Far');
    const m = await ok(await call('POST', '/api/members', { familyName: '林' }), 201);
    const c = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: p.id }), 201);
    await refused(call('POST', `/api/contracts/${c.id}/leaves/preview`, { fromMonth: '2026-09', returnMonth: '2099-12' }), 422, /24か月先/);
    await refused(call('POST', `/api/contracts/${c.id}/plan-change/preview`, { planId: p.id, fromMonth: '2099-12' }), 422, /24か月先/);
    // Past the years any date may name, the schema refuses it first.
    await refused(call('POST', `/api/contracts/${c.id}/leaves/preview`, { fromMonth: '2026-09', returnMonth: '9999-12' }, english), 400, /between 2000-01-01 and 2099-12-31/);
    await refused(call('POST', `/api/contracts/${c.id}/plan-change/preview`, { planId: p.id, fromMonth: '9999-12' }, english), 400, /between 2000-01-01 and 2099-12-31/);
  });

  it('ends only the contract when a pack runs on, and keeps the pack’s credits', async () => {
    await day('2026-07-05');
    const p = await monthly('With pack');
    const pack = await ok(await call('POST', '/api/plans', { kind: 'pack', name: `Pack ${randomUUID().slice(0, 4)}`, terms: { price: 11000, taxCategory: 'standard_10', packCredits: 10, packValidityDays: 180 } }), 201);
    const m = await ok(await call('POST', '/api/members', { familyName: '清水' }), 201);
    const c = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: p.id }), 201);
    await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: pack.id }), 201);
    await ok(await write('POST', `/api/contracts/${c.id}/cancellation`, { reason: 'Pack only' }), 200);
    await day('2026-08-01');
    expect((await status(m.id)).status).toBe('active');
    expect((await credits(m.id)).available).toBe(10);
    expect((await ok(await call('GET', `/api/contracts/${c.id}`), 200)).status).toBe('ended');
  });

  it('keeps a return from leave within the contract, and one leave from running into another', async () => {
    await day('2026-07-05');
    const p = await monthly('Leaves');
    const m = await ok(await call('POST', '/api/members', { familyName: '森' }), 201);
    const c = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: p.id }), 201);
    const first = await ok(await write('POST', `/api/contracts/${c.id}/leaves`, { fromMonth: '2026-08', returnMonth: '2026-10' }), 201);
    await ok(await write('POST', `/api/contracts/${c.id}/leaves`, { fromMonth: '2026-11' }), 201);
    const leaveId = first.leaves.find((l: { fromMonth: string }) => l.fromMonth === '2026-08').id;
    await refused(write('PUT', `/api/contracts/${c.id}/leaves/${leaveId}/return`, { returnMonth: '2027-01' }), 409, /重なります/);
    await ok(await write('POST', `/api/contracts/${c.id}/cancellation`, { reason: 'Done' }), 200); // ends 2026-07-31
    await refused(write('PUT', `/api/contracts/${c.id}/leaves/${leaveId}/return`, { returnMonth: '2026-09' }), 422, /2026年7月31日.*に終了/);
  });

  it('puts the leave back on the calendar when a cancellation is withdrawn', async () => {
    await day('2026-07-05');
    const p = await monthly('Withdraw');
    const m = await ok(await call('POST', '/api/members', { familyName: '池田' }), 201);
    const c = await ok(await write('POST', `/api/contracts`, { memberId: m.id, planId: p.id }), 201);
    await ok(await write('POST', `/api/contracts/${c.id}/leaves`, { fromMonth: '2026-09', returnMonth: '2026-11' }), 201);
    await ok(await write('POST', `/api/contracts/${c.id}/cancellation`, { reason: 'Maybe' }), 200);
    expect((await status(m.id)).scheduled.map((s) => s.to)).toEqual(['cancelled']);
    await ok(await call('DELETE', `/api/contracts/${c.id}/cancellation`), 200);
    expect((await status(m.id)).scheduled.map((s) => `${s.to}@${s.effectiveOn}`)).toEqual(['on_leave@2026-09-01', 'active@2026-11-01']);
  });
});

describe('options', () => {
  it('say what removing them today does, and removing one does exactly that: stopped by the cut-off, or taken off if not yet started', async () => {
    await day('2026-11-05');
    const plan = await ok(await write('POST', '/api/plans', { kind: 'monthly', name: 'Monthly', terms: { price: 8800, taxCategory: 'standard_10' } }), 201);
    const locker = await ok(await write('POST', '/api/plans', { kind: 'option', name: 'Locker', terms: { price: 1100, taxCategory: 'standard_10' } }), 201);
    const towel = await ok(await write('POST', '/api/plans', { kind: 'option', name: 'Towel', terms: { price: 550, taxCategory: 'standard_10' } }), 201);
    const m = await ok(await write('POST', '/api/members', { familyName: '森', givenName: '葵' }), 201);
    const contract = await ok(await write('POST', '/api/contracts', { memberId: m.id, planId: plan.id, startDate: '2026-11-05', optionPlanIds: [locker.id] }), 201);
    const later = await ok(await write('POST', `/api/contracts/${contract.id}/options`, { planId: towel.id, fromDate: '2027-01-01' }), 201);
    type Option = { id: string; planId: string; untilDate: string | null; removal: unknown };
    const optionOf = (c: { options: Option[] }, planId: string) => c.options.find((o) => o.planId === planId);

    // On the 5th, before the cut-off day (the 10th): a removal takes effect from December, so it stops after 30 November.
    expect(optionOf(later, locker.id)!.removal).toEqual({ stopsAfter: '2026-11-30', takenOff: false });
    expect(optionOf(later, towel.id)!.removal).toEqual({ stopsAfter: '2026-11-30', takenOff: true });
    // After the cut-off, the earliest end moves a month on.
    await day('2026-11-12');
    const read = await ok(await call('GET', `/api/contracts/${contract.id}/options/${optionOf(later, locker.id)!.id}`), 200);
    expect(read.removal).toEqual({ stopsAfter: '2026-12-31', takenOff: false });

    const afterLocker = await ok(await write('DELETE', `/api/contracts/${contract.id}/options/${optionOf(later, locker.id)!.id}`), 200);
    expect(optionOf(afterLocker, locker.id)).toMatchObject({ untilDate: '2026-12-31', removal: null });
    const afterTowel = await ok(await write('DELETE', `/api/contracts/${contract.id}/options/${optionOf(later, towel.id)!.id}`), 200);
    expect(optionOf(afterTowel, towel.id)).toBeUndefined();
  });
});
