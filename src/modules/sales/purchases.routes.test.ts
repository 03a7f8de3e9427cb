import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookingStudio, memberWithSession, staffApi, type BookingStudio } from '../../../test/support/booking.js';
import { startTestPlatform, type TestPlatform, type TestTenant } from '../../../test/support/platform.js';
import { expectRefused } from '../../../test/support/refused.js';

let platform: TestPlatform;
let T: TestTenant;
let studio: BookingStudio;
let admin: pg.Client;
let staff: ReturnType<typeof staffApi>;

beforeAll(async () => {
  platform = await startTestPlatform();
  T = await platform.createTenant();
  admin = await platform.admin();
  staff = staffApi(platform, T);
  studio = await bookingStudio(platform, T);
});
afterAll(() => platform?.close());

const plan = (body: object) => staff.ok('POST', '/api/plans', { name: `Plan ${randomUUID().slice(0, 6)}`, ...body });
const attempts = async (invoiceId: string) =>
  (await admin.query<{ status: string }>('select status from app.payment_attempts where tenant_id = $1 and invoice_id = $2', [T.id, invoiceId])).rows.map((r) => r.status);

describe('buying a plan in the member app', () => {
  it('lists only what the studio sells online, and sells it as the desk does, charging the saved card once', async () => {
    const online = await plan({ kind: 'pack', soldOnline: true, terms: { price: 5500, taxCategory: 'standard_10', packCredits: 5, packValidityDays: 90 } });
    const deskOnly = await plan({ kind: 'pack', terms: { price: 3300, taxCategory: 'standard_10', packCredits: 3, packValidityDays: 30 } });
    const m = await memberWithSession(platform, T, studio);
    const listed = (await m.send('GET', '/api/me/plans')).json().items.map((p: { id: string }) => p.id);
    expect(listed).toContain(online.id);
    expect(listed).not.toContain(deskOnly.id);
    expect(listed).not.toContain(studio.packPlanId); // the fixture's pack is sold at the desk only

    // Refusals change nothing: a plan not sold online is not found, and without a card nothing is sold.
    await expectRefused(admin, T.id, () => m.send('POST', '/api/me/purchases', { planId: deskOnly.id }), 404);
    await expectRefused(admin, T.id, () => m.send('POST', '/api/me/purchases', { planId: online.id }), 422, { reason: 'no_card' });

    expect((await m.send('PUT', '/api/me/card', { token: '4242424242424242' })).statusCode).toBe(200);
    const credits = async () => (await staff.ok('GET', `/api/members/${m.memberId}/credits`, undefined, 200)).available as number;
    const before = await credits();
    const preview = await m.send('POST', '/api/me/purchases/preview', { planId: online.id });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({ kind: 'pack', firstInvoice: { total: 5500, status: 'open' } });
    expect(await credits()).toBe(before);

    const key = randomUUID();
    const buy = () => m.send('POST', '/api/me/purchases', { planId: online.id }, { 'idempotency-key': key });
    const bought = await buy();
    expect(bought.statusCode, bought.body).toBe(201);
    expect(bought.json()).toMatchObject({ kind: 'pack', status: 'active', memberId: m.memberId, firstInvoice: { total: 5500, status: 'paid', amountDue: 0 } });
    expect(await credits()).toBe(before + 5);
    // A retry with the same key is the same purchase: no second contract, no second charge.
    const again = await buy();
    expect(again.json().id).toBe(bought.json().id);
    expect(await attempts(bought.json().firstInvoice.id)).toEqual(['succeeded']);
    expect(await credits()).toBe(before + 5);

    // The studio stops selling it online: it leaves the app's list, and buying it is refused.
    expect((await staff.ok('PATCH', `/api/plans/${online.id}`, { soldOnline: false }, 200)).soldOnline).toBe(false);
    expect((await m.send('GET', '/api/me/plans')).json().items.map((p: { id: string }) => p.id)).not.toContain(online.id);
    await expectRefused(admin, T.id, () => m.send('POST', '/api/me/purchases', { planId: online.id }), 404);
  });

  it('lets a family lead buy for a family member, billed to the lead, and nobody else', async () => {
    const online = await plan({ kind: 'pack', soldOnline: true, terms: { price: 2200, taxCategory: 'standard_10', packCredits: 2, packValidityDays: 30 } });
    const lead = await memberWithSession(platform, T, studio);
    const child = await staff.ok('POST', '/api/members', { familyName: '子', givenName: 'ども' });
    await staff.ok('PUT', `/api/members/${child.id}/family-lead`, { leadId: lead.memberId }, 200);
    expect((await lead.send('PUT', '/api/me/card', { token: '4242424242424242' })).statusCode).toBe(200);
    const bought = await lead.send('POST', '/api/me/purchases', { planId: online.id, memberId: child.id });
    expect(bought.statusCode, bought.body).toBe(201);
    expect(bought.json()).toMatchObject({ memberId: child.id, billingMemberId: lead.memberId, firstInvoice: { status: 'paid' } });
    const stranger = await memberWithSession(platform, T, studio);
    await expectRefused(admin, T.id, () => stranger.send('POST', '/api/me/purchases', { planId: online.id, memberId: child.id }), 404);
  });
});
