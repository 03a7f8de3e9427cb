import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingStudio, memberWithSession, staffApi } from '../../../test/support/booking.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';
import { billingDeps, runBilling } from '../billing/billing-run.js';

/**
 * A studio whose staff approve the leaves and cancellations members ask for: a request is checked by the desk's
 * rules when it is made, changes nothing until approved, and is applied as asked: with the cut-off of the day it
 * was asked, however late staff decide.
 */
let platform: TestPlatform;
let tenant: TestTenant;
let admin: pg.Client;

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = await platform.admin();
});
afterAll(async () => {
  platform.runtime.clock.set(null);
  await platform?.close();
});

const on = (date: string) => platform.runtime.clock.set(new Date(`${date}T12:00:00+09:00`));

/** A studio of its own (its settings are the test's) and a member on a monthly plan there, signed in on a phone. */
async function memberOnMonthlyPlan() {
  tenant = await platform.createTenant();
  const staff = staffApi(platform, tenant);
  const studio = await bookingStudio(platform, tenant);
  const member = await memberWithSession(platform, tenant, studio);
  const plan = await staff.ok('POST', '/api/plans', { kind: 'monthly', name: `Monthly ${randomUUID().slice(0, 6)}`, terms: { price: 8800, taxCategory: 'standard_10', leaveFee: 1100 } });
  const contract = await staff.ok('POST', '/api/contracts', { memberId: member.memberId, planId: plan.id, startDate: '2026-12-01', firstInvoice: 'next_run' });
  return { staff, member, studio, contractId: contract.id as string, planName: plan.name as string, stranger: () => memberWithSession(platform, tenant, studio) };
}

const refused = (send: () => Promise<Awaited<ReturnType<TestPlatform['call']>>>, status: number, reason?: string) =>
  expectRefused(admin, tenant.id, send, status, reason ? { reason } : {});

describe('leaves and cancellations that staff approve', () => {
  it('takes a leave as a request checked by the desk’s rules, and applies it as asked though approved after the cut-off', async () => {
    on('2026-12-08');
    const { staff, member, contractId, planName } = await memberOnMonthlyPlan();
    await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: true }, 200);

    // The direct way is closed (its preview too), and says where to go.
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/leaves`, { fromMonth: '2027-01' }), 409, 'approval_required');
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/leaves/preview`, { fromMonth: '2027-01' }), 409, 'approval_required');
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/cancellation`, { reason: '引っ越し' }), 409, 'approval_required');
    // A month the cut-off no longer allows is refused at once, and nothing is asked.
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'leave', fromMonth: '2026-12' }), 422);

    const preview = await member.send('POST', `/api/me/contracts/${contractId}/requests/preview`, { kind: 'leave', fromMonth: '2027-01', returnMonth: '2027-03', reason: '出張' });
    expect(preview.statusCode, preview.body).toBe(200);
    const asked = await member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'leave', fromMonth: '2027-01', returnMonth: '2027-03', reason: '出張' });
    expect(asked.statusCode, asked.body).toBe(201);
    const { request, contract } = asked.json();
    expect(request).toMatchObject({ kind: 'leave', fromMonth: '2027-01', returnMonth: '2027-03', status: 'pending', requestedOn: '2026-12-08', memberId: member.memberId, plans: [planName] });
    // The answer shows the contract as it will be; the contract itself is unchanged until staff approve.
    expect(contract.leaves).toMatchObject([{ fromMonth: '2027-01', returnMonth: '2027-03' }]);
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).leaves).toEqual([]);
    // Asking again finds the first request.
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'leave', fromMonth: '2027-02' }), 409, 'request_pending');
    expect(await member.send('GET', '/api/me/contract-requests').then((r) => r.json())).toMatchObject({ approvalRequired: true, items: [{ id: request.id, status: 'pending' }] });

    // Staff decide on the 12th, after the cut-off (the 10th): the leave still starts in January, as asked on the 8th.
    on('2026-12-12');
    expect((await staff.ok('GET', '/api/contract-requests')).items.map((r: { id: string }) => r.id)).toEqual([request.id]);
    const approved = await staff.ok('POST', `/api/contract-requests/${request.id}/approve`, undefined, 200);
    expect(approved).toMatchObject({ status: 'approved', decidedAt: expect.any(String) });
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).leaves).toMatchObject([{ fromMonth: '2027-01', returnMonth: '2027-03' }]);
    await refused(() => staff.send('POST', `/api/contract-requests/${request.id}/decline`, { reason: 'Too late' }), 409, 'request_decided');
    expect((await staff.ok('GET', '/api/contract-requests')).items).toEqual([]);
    const told = (await admin.query(`select subject from app.outbox where tenant_id = $1 and member_id = $2 and template = 'membership_request'`, [tenant.id, member.memberId])).rows;
    expect(told.map((r) => r.subject)).toEqual(['2027年1月からの休会の申請が承認されました']);
    // Coming back later would lengthen the approved leave: that is asked too; coming back sooner is the member's.
    const leaveId = (await staff.ok('GET', `/api/contracts/${contractId}`)).leaves[0].id;
    await refused(() => member.send('PUT', `/api/me/contracts/${contractId}/leaves/${leaveId}/return`, { returnMonth: '2027-05' }), 409, 'approval_required');
    expect((await member.send('PUT', `/api/me/contracts/${contractId}/leaves/${leaveId}/return`, { returnMonth: '2027-02' })).statusCode).toBe(200);
  });

  it('never rewrites a month already invoiced: a request approved after its month was billed falls under today’s cut-off', async () => {
    on('2026-12-08');
    const { staff, member, contractId } = await memberOnMonthlyPlan();
    // Where staff do not approve, a request would wait for nobody.
    await refused(() => member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'leave', fromMonth: '2027-01' }), 409, 'approval_not_required');
    await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: true }, 200);
    const request = (await member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'leave', fromMonth: '2027-01' })).json().request;
    // The run on the billing day (the 11th) invoices January at the full price.
    on('2026-12-11');
    await runBilling(billingDeps(platform.runtime), tenant.id, platform.runtime.clock.now());
    on('2026-12-12');
    await refused(() => staff.send('POST', `/api/contract-requests/${request.id}/approve`), 422);
    expect(await staff.ok('GET', `/api/contract-requests/${request.id}`)).toMatchObject({ status: 'pending' });
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).leaves).toEqual([]);
  });

  it('declines a cancellation with a reason the member is told, and lets a member withdraw one not yet decided', async () => {
    on('2026-12-08');
    const { staff, member, contractId, stranger: others } = await memberOnMonthlyPlan();
    await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: true }, 200);
    const ask = () => member.send('POST', `/api/me/contracts/${contractId}/requests`, { kind: 'cancellation', reason: '引っ越し' });

    const first = (await ask()).json().request;
    expect(first).toMatchObject({ kind: 'cancellation', status: 'pending' });
    // Another member cannot withdraw it, nor see it.
    const stranger = await others();
    await refused(() => stranger.send('DELETE', `/api/me/contract-requests/${first.id}`), 404);
    expect((await stranger.send('GET', '/api/me/contract-requests')).json().items).toEqual([]);
    expect((await member.send('DELETE', `/api/me/contract-requests/${first.id}`)).json()).toMatchObject({ status: 'withdrawn' });
    await refused(() => staff.send('POST', `/api/contract-requests/${first.id}/approve`), 409, 'request_decided');

    const second = (await ask()).json().request;
    await refused(() => staff.send('POST', `/api/contract-requests/${second.id}/decline`, { reason: '' }), 400);
    expect(await staff.ok('POST', `/api/contract-requests/${second.id}/decline`, { reason: '年度末まで契約期間があります' }, 200)).toMatchObject({
      status: 'declined', declineReason: '年度末まで契約期間があります',
    });
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).endDate).toBeNull();
    const told = (await admin.query(`select body from app.outbox where tenant_id = $1 and member_id = $2 and template = 'membership_request'`, [tenant.id, member.memberId])).rows;
    expect(told.map((r) => r.body as string)).toEqual([expect.stringContaining('理由：年度末まで契約期間があります')]);
    expect((await staff.ok('GET', '/api/contract-requests?status=decided')).items.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([first.id, second.id]));

    // With approval off again, the member cancels directly.
    await staff.ok('PUT', '/api/settings/member-sign-up', { memberChangesNeedApproval: false }, 200);
    expect((await member.send('POST', `/api/me/contracts/${contractId}/cancellation`, { reason: '引っ越し' })).statusCode).toBe(200);
  });
});

describe('options members add in the app', () => {
  it('adds only an option the studio sells online, to the member’s own monthly contract, previewed first', async () => {
    on('2026-12-08');
    const { staff, member, contractId, stranger: others } = await memberOnMonthlyPlan();
    const locker = await staff.ok('POST', '/api/plans', { kind: 'option', name: `Locker ${randomUUID().slice(0, 4)}`, terms: { price: 1100, taxCategory: 'standard_10' } });
    const path = `/api/me/contracts/${contractId}/options`;
    // Not sold online yet: not found, as any plan the member cannot buy.
    await refused(() => member.send('POST', path, { planId: locker.id }), 404);
    await staff.ok('PATCH', `/api/plans/${locker.id}`, { soldOnline: true }, 200);
    const stranger = await others();
    await refused(() => stranger.send('POST', path, { planId: locker.id }), 404);

    const preview = await member.send('POST', `${path}/preview`, { planId: locker.id });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().options).toMatchObject([{ planId: locker.id, fromDate: '2026-12-08' }]);
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).options).toEqual([]);
    const added = await member.send('POST', path, { planId: locker.id });
    expect(added.statusCode, added.body).toBe(201);
    expect((await staff.ok('GET', `/api/contracts/${contractId}`)).options).toMatchObject([{ planId: locker.id, untilDate: null }]);
  });
});
